import type { EntityManager } from '@mikro-orm/postgresql';

/*
 * Reads of the security log for the audit trail. Raw SQL (a `.queries.ts` file): the table is
 * append-only and has no entity (platform/security-log/security-events.queries.ts writes it). Each
 * statement names the org or the user explicitly, besides RLS `event_read`.
 */

export interface SecurityEventRow {
  readonly id: string;
  readonly at: Date;
  readonly type: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly orgId: string | null;
  readonly detail: Record<string, unknown>;
}

export interface EventPage {
  readonly limit: number;
  /** Keyset position: rows strictly older than (at, id), newest first. */
  readonly before?: { readonly at: Date; readonly id: string } | null;
  readonly type?: string | null;
}

const EVENT_COLUMNS = `id, at, type, user_id as "userId", session_id as "sessionId", org_id as "orgId", detail`;

function pageClauses(page: EventPage): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (page.type) {
    parts.push(`and type = ?`);
    params.push(page.type);
  }
  if (page.before) {
    parts.push(`and (at, id) < (?, ?::uuid)`);
    params.push(page.before.at, page.before.id);
  }
  return { sql: parts.join(' '), params };
}

/**
 * The events of `orgId`, newest first (auditEvents). The explicit `org_id = ?` and RLS `event_read`
 * (the active org's events) both restrict the rows; reads use security_events_org_idx (org_id, at).
 * Raw SQL in src/db: the table has no entity (append-only, see recordSecurityEvent).
 */
export async function listOrganizationEvents(em: EntityManager, orgId: string, page: EventPage): Promise<SecurityEventRow[]> {
  const where = pageClauses(page);
  return em.execute<SecurityEventRow[]>(`select ${EVENT_COLUMNS} from security_events where org_id = ? ${where.sql} order by at desc, id desc limit ?`, [
    orgId,
    ...where.params,
    page.limit,
  ]);
}

/**
 * The user's own events, newest first (viewer.securityEvents): those RLS `event_read` shows this
 * transaction, i.e. the user's events without an org and those in the active org.
 */
export async function listUserEvents(em: EntityManager, userId: string, page: EventPage): Promise<SecurityEventRow[]> {
  const where = pageClauses(page);
  return em.execute<SecurityEventRow[]>(`select ${EVENT_COLUMNS} from security_events where user_id = ? ${where.sql} order by at desc, id desc limit ?`, [
    userId,
    ...where.params,
    page.limit,
  ]);
}
