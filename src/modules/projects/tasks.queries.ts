import type { EntityManager } from '@mikro-orm/postgresql';
import { Task } from './task.entity.ts';

/**
 * The first `first` tasks of each project (oldest first), for every project of a batch in one
 * statement: a LATERAL join runs one index range scan per project (tasks_org_project_idx), so a
 * project with a million tasks costs `first` rows, never a million. Raw SQL in src/db: the ORM cannot
 * express a per-parent limit, so the statement carries the tenant filter's predicate itself
 * (`org_id = ?`, the request's tenant) and runs in the request transaction under RLS.
 */
export async function firstTasksOfProjects(em: EntityManager, orgId: string, projectIds: readonly string[], first: number): Promise<Task[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    `select t.* from unnest(array[?]::uuid[]) as p(id)
       cross join lateral (
         select org_id, id, project_id, title, done, created_at from tasks
          where org_id = ? and project_id = p.id order by created_at, id limit ?) t`,
    [projectIds, orgId, first],
  );
  return rows.map((row) => em.map(Task, row));
}
