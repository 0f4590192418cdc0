import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { runApart } from '../../db/request-transaction.ts';
import type { SidePool } from '../../db/side-pool.ts';

import type { SecurityEventType } from '../../core/vocabulary.ts';

export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly userId: string | null;
  readonly sessionId: string | null;
  /** The org the event belongs to: must be the transaction's tenant (RLS `event_insert`), or null. */
  readonly orgId: string | null;
  /** Small, secret-free facts (never tokens, passwords or codes). */
  readonly detail?: Record<string, unknown>;
}

/**
 * Appends to `security_events` in the caller's transaction. Services call it through
 * recordAndCountEvent (src/platform/security-log/record-event.ts), which also counts the event in the
 * metrics once the transaction commits. Raw SQL in src/db: the table is
 * append-only (the runtime role holds INSERT and SELECT only), so it has no entity to update.
 */
export async function recordSecurityEvent(em: EntityManager, event: SecurityEvent, at: Date): Promise<void> {
  await em.execute(`insert into security_events (id, at, type, user_id, session_id, org_id, detail) values (?, ?, ?, ?, ?, ?, ?::jsonb)`, [
    randomUUID(),
    at,
    event.type,
    event.userId,
    event.sessionId,
    event.orgId,
    JSON.stringify(event.detail ?? {}),
  ]);
}

/**
 * Appends a user-level event (no org: RLS `event_insert` needs no tenant for it) at once, in one
 * autocommitted statement on the side pool: it is committed before the caller goes on, whatever
 * becomes of the request's transaction, and a concurrent request of the same user that reads it
 * afterwards sees it (the wrong MFA codes the per-user limit counts, issue 15).
 */
export async function recordSecurityEventNow(pool: SidePool, event: SecurityEvent & { readonly orgId: null }, at: Date): Promise<void> {
  await pool.execute(`insert into security_events (id, at, type, user_id, session_id, org_id, detail) values ($1, $2, $3, $4, $5, null, $6::jsonb)`, [
    randomUUID(),
    at,
    event.type,
    event.userId,
    event.sessionId,
    JSON.stringify(event.detail ?? {}),
  ]);
}

/**
 * How many user-level events (no org) of `type` the user has had since `since` (rate limits). Only
 * org-less rows: an org's copy of the same event is not counted twice, and RLS shows a user's
 * org-less events whatever the tenant (the transaction's user must be `userId`).
 */
export async function countRecentEvents(em: EntityManager, userId: string, type: SecurityEventType, since: Date): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(`select count(*)::int as n from security_events where user_id = ? and org_id is null and type = ? and at > ?`, [userId, type, since]);
  return rows[0]?.n ?? 0;
}

/**
 * Appends an event in a short transaction of its own, with the event's org as the tenant (RLS
 * `event_insert`), so it persists whatever becomes of the request's transaction: a cross-tenant
 * attempt is recorded even when the operation fails and rolls back. Call it only once the request's
 * transaction has ended (RequestTransaction.afterFinish), so a request never holds two connections.
 */
export async function recordSecurityEventApart(orm: MikroORM, event: SecurityEvent, at: Date): Promise<void> {
  // tenant: the org the event belongs to (RLS event_insert), decided by the caller that records it.
  await runApart(orm, { orgId: event.orgId, userId: event.userId }, (tx) => recordSecurityEvent(tx.em, event, at));
}
