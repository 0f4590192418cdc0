import { forbidden, notFound } from '../../core/errors.ts';
import { parseId } from '../../core/ids.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { canRemoveMember } from '../../core/roles.ts';
import type { RevokeReason, SecurityEventType } from '../../core/vocabulary.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { memberRole } from '../../platform/tenancy/memberships.queries.ts';
import { requireSignedIn, requireTenant } from '../../platform/tenancy/require.ts';
import { DeviceSession } from './device-session.entity.ts';
import { revokeSessions } from './sessions.queries.ts';

/** The signed-in user's first `first` live sessions, most recently used first. Raises BAD_USER_INPUT for a bad `first`. */
export async function listSessions(ctx: RequestScope, first: number | null | undefined): Promise<DeviceSession[]> {
  const scope = requireSignedIn(ctx.scope);
  const now = ctx.app.now();
  return ctx.em.find(
    DeviceSession,
    { userId: scope.userId, revokedAt: null, expiresAt: { $gt: now }, idleExpiresAt: { $gt: now } },
    { orderBy: { lastUsedAt: 'desc', id: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) },
  );
}

/** The viewer's own device session of this request. Raises NotFoundError when it is gone. */
export function findOwnSession(ctx: RequestScope, sessionId: string, userId: string): Promise<DeviceSession> {
  return ctx.em.findOneOrFail(DeviceSession, { id: sessionId, userId });
}

async function revokeOwn(ctx: RequestScope, where: Record<string, unknown>, reason: RevokeReason, type: SecurityEventType): Promise<number> {
  const scope = requireSignedIn(ctx.scope);
  const now = ctx.app.now();
  // Sessions already past their end are over: not revoked again, not counted.
  const count = await revokeSessions(ctx.em, { ...where, userId: scope.userId, expiresAt: { $gt: now }, idleExpiresAt: { $gt: now } }, reason, now);
  if (count > 0) await recordAndCountEvent(ctx, { type, userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { count, ...where } }, now, scope.tier);
  return count;
}

/** Ends the current device session. */
export async function signOut(ctx: RequestScope): Promise<boolean> {
  const scope = requireSignedIn(ctx.scope);
  return (await revokeOwn(ctx, { id: scope.sessionId }, 'SIGN_OUT', 'SESSION_SIGNED_OUT')) === 1;
}

/** Ends one of the viewer's own live sessions. Raises NOT_FOUND for anyone else's or an ended one. */
export async function revokeSession(ctx: RequestScope, id: string): Promise<boolean> {
  const sessionId = parseId(id, 'id');
  if ((await revokeOwn(ctx, { id: sessionId }, 'REVOKED', 'SESSION_REVOKED')) !== 1) throw notFound('Session');
  return true;
}

/** Ends every live session of the viewer, the current one included; returns how many. */
export function revokeAllSessions(ctx: RequestScope): Promise<number> {
  return revokeOwn(ctx, {}, 'REVOKED_ALL', 'SESSIONS_REVOKED_ALL');
}

/**
 * Ends the sessions of a member of the active org that have entered it (an admin's reach ends at
 * the org's boundary: sessions that never entered it are untouched). Raises NOT_FOUND (not a member)
 * and FORBIDDEN (an ADMIN targeting an OWNER).
 */
export async function revokeMemberSessions(ctx: RequestScope, rawUserId: string): Promise<number> {
  const scope = requireTenant(ctx.scope);
  const userId = parseId(rawUserId, 'userId');
  const targetRole = await memberRole(ctx.em, scope.orgId, userId);
  if (!targetRole) throw notFound('Member');
  if (!scope.role || !canRemoveMember(scope.role, targetRole)) throw forbidden(`${scope.role} cannot revoke an ${targetRole}'s sessions`);
  const now = ctx.app.now();
  const count = await revokeSessions(ctx.em, { userId, enteredOrgIds: { $contains: [scope.orgId] } }, 'REVOKED_BY_ADMIN', now);
  await recordAndCountEvent(ctx, { type: 'MEMBER_SESSIONS_REVOKED', userId, sessionId: null, orgId: scope.orgId, detail: { count, by: scope.userId } }, now, scope.tier);
  return count;
}

/**
 * After a member is removed: their sessions bound to the org have nothing left to serve and end;
 * unbound sessions lose the org at once (the scope check) and on refresh (decideReentry).
 */
export function endSessionsBoundTo(ctx: RequestScope, orgId: string, userId: string): Promise<number> {
  return revokeSessions(ctx.em, { userId, boundOrgId: orgId }, 'MEMBER_REMOVED', ctx.app.now());
}
