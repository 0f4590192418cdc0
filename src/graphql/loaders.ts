import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { User } from '../auth/user.entity.ts';
import { Organization } from '../organizations/organization.entity.ts';
import { Project } from '../projects/project.entity.ts';
import { Task } from '../projects/task.entity.ts';

/**
 * Per-request batch loaders (one set per RequestContext, never shared): every load goes through the
 * request's EntityManager, so the tenant filter and the transaction's RLS setting apply.
 */
export function createLoaders(em: EntityManager) {
  return {
    projectById: new DataLoader<string, Project | null>(async (ids) => {
      const rows = await em.find(Project, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((p) => p.id === id) ?? null);
    }),
    tasksByProject: new DataLoader<string, Task[]>(async (projectIds) => {
      const rows = await em.find(Task, { projectId: { $in: [...projectIds] } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return projectIds.map((id) => rows.filter((t) => t.projectId === id));
    }),
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
