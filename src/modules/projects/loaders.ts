import DataLoader from 'dataloader';
import { firstRowsPerParent, tenantRows } from '../../db/tenant-rows.ts';
import { perRequest } from '../../platform/loaders.ts';
import { Project } from './project.entity.ts';
import { Task } from './task.entity.ts';

/** The order of every list of projects and of tasks: oldest first (the index (org_id, created_at, id)). */
export const CREATION_ORDER = 'created_at, id';

/**
 * The projects module's batch loaders, one set per request and tenant (platform/loaders.ts). They
 * read plain rows (src/db/tenant-rows.ts: the tenant predicate in every statement, in the request's
 * transaction under RLS, no unit of work), so a page of projects with their tasks costs one
 * statement per level and no entity hydration. What they return is for reading: a mutation loads
 * what it changes through the EntityManager (project.service.ts).
 */
export const projectLoaders = perRequest((_em, _orgId, tx) => {
  const tasksByFirst = new Map<number, DataLoader<string, Task[]>>();
  return {
    projectById: new DataLoader<string, Project | null>(async (ids) => {
      const rows = await tenantRows(tx, Project, { where: 'id = any(?::uuid[])', params: [ids] });
      return ids.map((id) => rows.find((p) => p.id === id) ?? null);
    }),
    /** The first `first` tasks of a project, oldest first (Project.tasks: a bounded list). */
    tasksOfProject(first: number): DataLoader<string, Task[]> {
      let loader = tasksByFirst.get(first);
      if (!loader) {
        loader = new DataLoader<string, Task[]>(async (projectIds) => {
          const rows = await firstRowsPerParent(tx, Task, 'project_id', projectIds, { orderBy: CREATION_ORDER, limit: first });
          const byProject = new Map<string, Task[]>();
          for (const task of rows) byProject.set(task.projectId, [...(byProject.get(task.projectId) ?? []), task]);
          return projectIds.map((id) => byProject.get(id) ?? []);
        });
        tasksByFirst.set(first, loader);
      }
      return loader;
    },
  };
});
