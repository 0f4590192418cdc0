import { useEffect, useState } from 'react';
import { SessionEndedError } from '../api/errors';
import type { Session } from '../api/session';
import type { ProjectsQuery } from '../gql/graphql';
import { createProjectMutation, projectsQuery } from '../operations';
import { describeError } from './messages';
import { useSubmit } from './use-submit';

type Project = ProjectsQuery['projects']['edges'][number]['node'];

/** The active org's projects (mounted per org: a switch starts from an empty list). */
export function Projects({ session, orgName }: { session: Session; orgName: string }) {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    session.request(projectsQuery, { first: 50 }).then(
      ({ projects }) => current && setProjects(projects.edges.map((edge) => edge.node)),
      (err) => current && !(err instanceof SessionEndedError) && setLoadError(describeError(err)),
    );
    return () => {
      current = false;
    };
  }, [session]);

  const { busy, error, onSubmit } = useSubmit(async (form) => {
    const { createProject } = await session.request(createProjectMutation, { name: String(form.get('name')) });
    setProjects((list) => [...(list ?? []), createProject]);
  });

  return (
    <section className="card" aria-label="Projects">
      <h2>Projects of {orgName}</h2>
      {loadError && <p role="alert">{loadError}</p>}
      {projects === null ? (
        !loadError && <p>Loading…</p>
      ) : projects.length === 0 ? (
        <p>No projects yet.</p>
      ) : (
        <ul className="projects">
          {projects.map((project) => (
            <li key={project.id}>{project.name}</li>
          ))}
        </ul>
      )}
      <form onSubmit={onSubmit} aria-label="New project" className="inline">
        <label>
          New project
          <input name="name" required maxLength={200} />
        </label>
        <button type="submit" disabled={busy}>
          Create project
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
