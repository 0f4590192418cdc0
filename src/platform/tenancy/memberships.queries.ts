import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '../../core/vocabulary.ts';
import type { PolicyOverrides } from '../../core/policy/session-policy.ts';
import type { Entered, OrganizationView } from './organization-view.ts';

/*
 * Memberships and organizations as tenancy reads them: which orgs a user belongs to, with which role,
 * and their policies. Raw SQL (this is a `.queries.ts` file): the tables belong to the organizations
 * module, and the platform reads them without its entities. Every statement runs in the request
 * transaction under RLS (`member_read`: the active org's rows and the user's own; `org_read`: the
 * active org and the user's orgs) and names the user or the org itself as well.
 */

interface OrganizationRow {
  id: string;
  name: string;
  tier: OrganizationView['tier'];
  policy_overrides: PolicyOverrides | null;
  created_at: Date;
}

const view = (row: OrganizationRow): OrganizationView => ({
  id: row.id,
  name: row.name,
  tier: row.tier,
  policyOverrides: row.policy_overrides ?? {},
  createdAt: new Date(row.created_at),
});

/**
 * The user's membership of `orgId` with its org, or null: read as the user (the transaction's user
 * must be `userId`; its org need not be `orgId`, which is the point: signIn and switchOrganization
 * look it up before they enter the org).
 */
export async function findOwnMembership(em: EntityManager, orgId: string, userId: string): Promise<Entered | null> {
  const rows = await em.execute<(OrganizationRow & { role: Role })[]>(
    `select m.role, o.id, o.name, o.tier, o.policy_overrides, o.created_at
       from memberships m join organizations o on o.id = m.org_id
      where m.org_id = ?::uuid and m.user_id = ?::uuid`,
    [orgId, userId],
  );
  const row = rows[0];
  return row ? { org: view(row), role: row.role } : null;
}

/** Of `orgIds`, the organizations the user still belongs to (read as the user). */
export async function organizationsOfUser(em: EntityManager, userId: string, orgIds: readonly string[]): Promise<OrganizationView[]> {
  if (orgIds.length === 0) return [];
  const rows = await em.execute<OrganizationRow[]>(
    `select o.id, o.name, o.tier, o.policy_overrides, o.created_at
       from organizations o join memberships m on m.org_id = o.id and m.user_id = ?::uuid
      where o.id in (?)`,
    [userId, orgIds],
  );
  return rows.map(view);
}

/** The active organization (the transaction's tenant must be `orgId`), or null. */
export async function findOrganization(em: EntityManager, orgId: string): Promise<OrganizationView | null> {
  const rows = await em.execute<OrganizationRow[]>(`select id, name, tier, policy_overrides, created_at from organizations where id = ?::uuid`, [orgId]);
  return rows[0] ? view(rows[0]) : null;
}

/** The role of `userId` in the active organization `orgId` (the transaction's tenant), or null for a non-member. */
export async function memberRole(em: EntityManager, orgId: string, userId: string): Promise<Role | null> {
  const rows = await em.execute<{ role: Role }[]>(`select role from memberships where org_id = ?::uuid and user_id = ?::uuid`, [orgId, userId]);
  return rows[0]?.role ?? null;
}
