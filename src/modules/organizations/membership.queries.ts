import type { EntityManager } from '@mikro-orm/postgresql';
import { Membership } from './membership.entity.ts';

/**
 * The user's memberships across organizations (for `viewer.memberships`), oldest first. `filters:
 * false` because the tenant filter would keep only the active org; the RLS policy `member_read`
 * still limits rows to `user_id = app.user_id` or the active org, and the query names the user.
 */
export function listMembershipsOfUser(em: EntityManager, userId: string, limit: number): Promise<Membership[]> {
  return em.find(Membership, { userId }, { filters: false, orderBy: { createdAt: 'asc', orgId: 'asc' }, limit });
}
