import type { EntityManager } from '@mikro-orm/postgresql';
import type { SecurityEventRow } from '../../modules/audit/index.ts';

/*
 * Queries of the operator CLI (scripts/orgbound.ts). They run on the OWNER connection, outside any
 * request and across tenants on purpose (an operator lists every org, exports one org's log), so they
 * live here in src/db, where raw SQL is allowed. The API never calls them.
 */

export interface OrganizationSummary {
  readonly id: string;
  readonly name: string;
  readonly tier: string;
  readonly members: number;
}

/** Every organization with its tier and member count, oldest first. */
export function listOrganizationSummaries(em: EntityManager): Promise<OrganizationSummary[]> {
  return em.execute<OrganizationSummary[]>(
    `select o.id, o.name, o.tier, (select count(*)::int from memberships m where m.org_id = o.id) as members
       from organizations o order by o.created_at, o.id`,
  );
}

/** The id of the user named by id or email (case-insensitive), or null. */
export async function findUserId(em: EntityManager, idOrEmail: string): Promise<string | null> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrEmail);
  const rows = await em.execute<{ id: string }[]>(byId ? `select id from users where id = ?::uuid` : `select id from users where email = lower(?)`, [idOrEmail]);
  return rows[0]?.id ?? null;
}

/** Whether the organization exists. */
export async function organizationExists(em: EntityManager, orgId: string): Promise<boolean> {
  const rows = await em.execute<{ n: number }[]>(`select count(*)::int as n from organizations where id = ?::uuid`, [orgId]);
  return (rows[0]?.n ?? 0) > 0;
}

/** One batch of an org's events, oldest first, strictly after `after` (keyset), at or after `since`. */
export function exportEventBatch(
  em: EntityManager,
  orgId: string,
  opts: { since: Date | null; after: { at: Date; id: string } | null; limit: number },
): Promise<SecurityEventRow[]> {
  const params: unknown[] = [orgId];
  let where = `org_id = ?::uuid`;
  if (opts.since) {
    where += ` and at >= ?`;
    params.push(opts.since);
  }
  if (opts.after) {
    where += ` and (at, id) > (?, ?::uuid)`;
    params.push(opts.after.at, opts.after.id);
  }
  return em.execute<SecurityEventRow[]>(
    `select id, at, type, user_id as "userId", session_id as "sessionId", org_id as "orgId", detail from security_events where ${where} order by at, id limit ?`,
    [...params, opts.limit],
  );
}

/** How many events of the org `exportEventBatch` would return in all (for the progress line). */
export async function countOrganizationEvents(em: EntityManager, orgId: string, since: Date | null): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(`select count(*)::int as n from security_events where org_id = ?::uuid${since ? ' and at >= ?' : ''}`, since ? [orgId, since] : [orgId]);
  return rows[0]?.n ?? 0;
}
