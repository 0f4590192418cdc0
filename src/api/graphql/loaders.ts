import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { User } from '../../modules/identity/user.entity.ts';
import { firstTasksOfProjects } from '../../modules/projects/tasks.queries.ts';
import { Organization } from '../../modules/organizations/organization.entity.ts';
import { Project } from '../../modules/projects/project.entity.ts';
import { Task } from '../../modules/projects/task.entity.ts';

/**
 * Per-request batch loaders (one set per tenant of a RequestContext, never shared): every load goes
 * through the request's EntityManager, so the tenant filter and the transaction's RLS setting apply.
 */
export function createLoaders(em: EntityManager, orgId: string | null) {
  const tasksByFirst = new Map<number, DataLoader<string, Task[]>>();
  return {
    projectById: new DataLoader<string, Project | null>(async (ids) => {
      const rows = await em.find(Project, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((p) => p.id === id) ?? null);
    }),
    /** The first `first` tasks of a project, oldest first (Project.tasks: a bounded list, issue 15). */
    tasksOfProject(first: number): DataLoader<string, Task[]> {
      let loader = tasksByFirst.get(first);
      if (!loader) {
        loader = new DataLoader<string, Task[]>(async (projectIds) => {
          if (!orgId) throw new Error('Tenant filter used without a tenant (fail closed)');
          const rows = await firstTasksOfProjects(em, orgId, projectIds, first);
          return projectIds.map((id) => rows.filter((t) => t.projectId === id));
        });
        tasksByFirst.set(first, loader);
      }
      return loader;
    },
    // Organizations are the tenant root: RLS shows the active one and those the viewer belongs to.
    organizationById: new DataLoader<string, Organization | null>(async (ids) => {
      const rows = await em.find(Organization, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((o) => o.id === id) ?? null);
    }),
    // Identity data, reached only through memberships the viewer can already see.
    userById: new DataLoader<string, User | null>(async (ids) => {
      const rows = await em.find(User, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((u) => u.id === id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
