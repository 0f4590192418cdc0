import DataLoader from 'dataloader';
import { perRequest } from '../../platform/loaders.ts';
import { Project } from './project.entity.ts';
import type { Task } from './task.entity.ts';
import { firstTasksOfProjects } from './tasks.queries.ts';

/**
 * The projects module's batch loaders, one set per request and tenant (platform/loaders.ts): every
 * load goes through the request's EntityManager, so the tenant filter and the transaction's RLS
 * setting apply, and a project page with its tasks costs one statement per level.
 */
export const projectLoaders = perRequest((em, orgId) => {
  const tasksByFirst = new Map<number, DataLoader<string, Task[]>>();
  return {
    projectById: new DataLoader<string, Project | null>(async (ids) => {
      const rows = await em.find(Project, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((p) => p.id === id) ?? null);
    }),
    /** The first `first` tasks of a project, oldest first (Project.tasks: a bounded list). */
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
  };
});
