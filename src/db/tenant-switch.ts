import type { EntityManager } from '@mikro-orm/postgresql';
import { Membership } from '../organizations/membership.entity.ts';
import { setTenant, type TenantSetting } from './request-transaction.ts';

/**
 * Runs `work` inside the request transaction with another tenant set, then restores `restore`.
 * Used where a capability other than the access token names the tenant: creating an organization
 * (the creator enters the new org) and accepting an invitation (the secret token is org-qualified).
 * The identity map is cleared afterwards so nothing loaded for that tenant is served to a later
 * lookup under the restored one (MikroORM's identity map is not tenant-aware).
 */
export async function withTenant<T>(em: EntityManager, tenant: TenantSetting, restore: TenantSetting, work: () => Promise<T>): Promise<T> {
  await setTenant(em, tenant);
  try {
    const result = await work();
    await em.flush();
    return result;
  } finally {
    em.clear();
    await setTenant(em, restore);
  }
}

/**
 * Every membership of the signed-in user, across organizations (for `viewer.memberships`).
 * `filters: false` because the tenant filter would keep only the active org; the RLS policy
 * `member_read` still limits rows to `user_id = app.user_id` or the active org.
 */
export function listMembershipsOfUser(em: EntityManager, userId: string): Promise<Membership[]> {
  return em.find(Membership, { userId }, { filters: false, orderBy: { createdAt: 'asc' } });
}

/** One membership of the user, in any org the user belongs to (RLS: own rows). Used by signIn. */
export function findOwnMembership(em: EntityManager, orgId: string, userId: string): Promise<Membership | null> {
  return em.findOne(Membership, { orgId, userId }, { filters: false });
}
