import type { EntityManager } from '@mikro-orm/postgresql';
import { Membership } from '../../modules/organizations/membership.entity.ts';
import type { RequestTransaction, TenantSetting } from '../../db/request-transaction.ts';

/**
 * Runs `work` inside the request transaction in another tenant, then goes back to `restore`, both
 * through the one door (RequestTransaction.enterTenant: flush, forget tenant data, set). Used where a
 * capability other than the access token names the tenant: creating an organization (the creator
 * enters the new org) and accepting an invitation (the secret token is org-qualified).
 */
export async function withTenant<T>(tx: RequestTransaction, tenant: TenantSetting, restore: TenantSetting, work: () => Promise<T>): Promise<T> {
  await tx.enterTenant(tenant);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await tx.enterTenant(restore).catch(() => undefined);
    throw err;
  }
  await tx.enterTenant(restore);
  return result;
}

/**
 * Every membership of the signed-in user, across organizations (for `viewer.memberships`).
 * `filters: false` because the tenant filter would keep only the active org; the RLS policy
 * `member_read` still limits rows to `user_id = app.user_id` or the active org.
 */
export function listMembershipsOfUser(em: EntityManager, userId: string, limit: number): Promise<Membership[]> {
  return em.find(Membership, { userId }, { filters: false, orderBy: { createdAt: 'asc', orgId: 'asc' }, limit });
}

/** One membership of the user, in any org the user belongs to (RLS: own rows). Used by signIn. */
export function findOwnMembership(em: EntityManager, orgId: string, userId: string): Promise<Membership | null> {
  return em.findOne(Membership, { orgId, userId }, { filters: false });
}
