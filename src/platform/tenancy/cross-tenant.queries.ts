import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A GraphQL type looked up by id whose existence in another tenant is checked: a row of
 * `cross_tenant_kinds`, registered by its module (`crossTenant` in module.ts, and the migration that
 * creates its table). cross_tenant_owner raises for a kind nobody registered.
 */
export type CheckedObject = string;

/**
 * The org that owns `id` as a `kind` object when that is not the transaction's tenant, else null:
 * from the SECURITY DEFINER function cross_tenant_owner
 * (migrations/Migration20261202000000_cross_tenant_owner.ts), a deliberate, tiny RLS bypass. Raw SQL
 * in src/db because it is a function call, not a load: the tenant filter has nothing to apply to,
 * and the function compares against app.org_id itself. Call it only after the tenant's own lookup
 * came back empty, and never let its answer reach the client.
 */
export async function ownerInAnotherTenant(em: EntityManager, kind: CheckedObject, id: string): Promise<string | null> {
  const rows = await em.execute<{ owner: string | null }[]>(`select cross_tenant_owner(?, ?::uuid) as owner`, [kind, id]);
  return rows[0]?.owner ?? null;
}
