import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';

export type SecurityEventType =
  | 'SIGN_IN_SUCCEEDED'
  | 'SIGN_IN_FAILED'
  | 'REFRESH_TOKEN_REUSED'
  | 'SESSION_SIGNED_OUT'
  | 'SESSION_REVOKED'
  | 'SESSIONS_REVOKED_ALL'
  | 'MEMBER_SESSIONS_REVOKED'
  | 'MEMBER_REMOVED'
  | 'ORGANIZATION_SWITCHED'
  | 'MFA_ENROLLED'
  | 'MFA_PASSED'
  | 'MFA_FAILED'
  | 'SESSION_POLICY_UPDATED'
  | 'ORGANIZATION_TIER_RAISED'
  | 'SIGNING_KEY_ROTATED';

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
 * recordAndCountEvent (src/observability/auth-outcomes.ts), which also counts the event in the
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

/** How many events of `type` the user has had since `since` (rate limits). RLS: the user's own org-less events. */
export async function countRecentEvents(em: EntityManager, userId: string, type: SecurityEventType, since: Date): Promise<number> {
  const rows = await em.execute<{ n: number }[]>(`select count(*)::int as n from security_events where user_id = ? and type = ? and at > ?`, [userId, type, since]);
  return rows[0]?.n ?? 0;
}
