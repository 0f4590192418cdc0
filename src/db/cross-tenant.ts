import type { EntityManager } from '@mikro-orm/postgresql';

/** The objects looked up by id whose existence in another tenant can be checked. */
export type CheckedObject = 'Project' | 'Task';

/**
 * Whether `id` names a `kind` row of an org other than the transaction's tenant: one boolean from the
 * SECURITY DEFINER function object_exists_elsewhere (migrations/Migration20261129000000_audit_cross_tenant.ts),
 * a deliberate, tiny RLS bypass that returns nothing of the other row. Raw SQL in src/db because it is
 * a function call, not a load: the tenant filter has nothing to apply to, and the function compares
 * against app.org_id itself. Call it only after the tenant's own lookup came back empty.
 */
export async function existsInAnotherTenant(em: EntityManager, kind: CheckedObject, id: string): Promise<boolean> {
  const rows = await em.execute<{ found: boolean }[]>(`select object_exists_elsewhere(?, ?::uuid) as found`, [kind, id]);
  return rows[0]?.found === true;
}
