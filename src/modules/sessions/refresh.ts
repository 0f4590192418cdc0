import { randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import { decideReentry } from '../../core/decisions/decide-reentry.ts';
import { decideRefresh, successorIsLive } from '../../core/decisions/decide-refresh.ts';
import { AppError, ErrorCode } from '../../core/errors.ts';
import { idleEnd, sessionEnd, tightenedEnds } from '../../core/policy/session-ends.ts';
import { strictestPolicy } from '../../core/policy/session-policy.ts';
import type { Tier } from '../../core/vocabulary.ts';
import { runApart } from '../../db/request-transaction.ts';
import { hashToken, REFRESH_TOKEN_PATTERN, successorToken } from '../../platform/crypto/tokens.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { countRefreshOutcome } from '../../platform/security-log/record-event.ts';
import { recordSecurityEvent } from '../../platform/security-log/security-events.queries.ts';
import { organizationsOfUser } from '../../platform/tenancy/memberships.queries.ts';
import { policyOf, type Entered, type OrganizationView } from '../../platform/tenancy/organization-view.ts';
import { DeviceSession } from './device-session.entity.ts';
import { enterMembership, newTokenRow, payload, type AuthPayload } from './open-session.ts';
import { RefreshToken } from './refresh-token.entity.ts';
import { commitRotation, retireIfLive, rotationContext, type RotationContext } from './rotation.queries.ts';
import { revokeSessions } from './sessions.queries.ts';

const invalidRefreshToken = () => new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid refresh token');

/**
 * Exchanges a refresh token for new tokens (docs/ARCHITECTURE.md, Sessions); the decision is
 * decideRefresh's. Presentations of one token wait for each other in memory, before the request
 * takes a database connection (a burst of retries cannot drain the pool), and the family's device
 * session row is locked while it is decided (presentations on other instances). Raises RATE_LIMITED
 * (too many attempts from the client address, or on the token's family: each counted whatever the
 * outcome), UNAUTHENTICATED (unknown token, or one superseded by a switch), SESSION_REVOKED,
 * SESSION_EXPIRED, and REFRESH_TOKEN_REUSED; the revocation of every session of the user that reuse
 * causes is written apart, after the request's transaction, so it holds whatever else the operation does.
 */
export async function refreshSession(ctx: RequestScope, presented: string): Promise<AuthPayload> {
  await ctx.app.rateLimiter.consume('refreshPerAddress', ctx.clientAddress);
  if (!REFRESH_TOKEN_PATTERN.test(presented)) {
    countRefreshOutcome(ctx, 'invalid', null);
    throw invalidRefreshToken();
  }
  const presentedHash = hashToken(presented);
  ctx.tx.onEnd(await ctx.app.gates.acquire(`refresh:${presentedHash}`, ctx.tx));
  await ctx.open({ readOnly: false });
  const rotated = await rotateIfLive(ctx, presented, presentedHash);
  if (rotated) return rotated;
  // The full path: the token is unknown, already rotated (a retry or a reuse), superseded or expired.
  const family = await lockFamilyOf(ctx, presentedHash);
  if (!family) {
    countRefreshOutcome(ctx, 'invalid', null);
    throw invalidRefreshToken();
  }
  const { token, session } = family;
  await ctx.app.rateLimiter.consume('refreshPerSession', session.id);
  const now = ctx.app.now();
  const enteredOrgs = session.revokedAt ? [] : await tightenToEnteredOrgs(ctx, session, now);
  // Metrics only: the tier of the org the session was serving, when it was read.
  const activeTier = enteredOrgs.find((org) => org.id === session.activeOrgId)?.tier ?? null;
  const next = successorToken(ctx.app.config.kek, presented);
  const successor = token.rotatedAt ? await ctx.em.findOne(RefreshToken, { parentId: token.id, sessionId: session.id }) : null;
  const decision = decideRefresh(
    {
      expiresAt: token.expiresAt,
      rotatedAt: token.rotatedAt ?? null,
      retiredBy: token.retiredBy ?? null,
      successorIsLive: successorIsLive({ retiredBy: token.retiredBy ?? null, successor: successor && { rotatedAt: successor.rotatedAt ?? null, tokenHash: successor.tokenHash }, derivedSuccessorHash: hashToken(next) }),
    },
    // The session's end is the earlier of its absolute end and its idle end (which a tightened policy may have pulled in).
    { revokedAt: session.revokedAt ?? null, expiresAt: sessionEnd(session) },
    session.policy.refreshReuseLeewaySeconds,
    now,
  );
  switch (decision.kind) {
    case 'revoked':
      countRefreshOutcome(ctx, 'revoked', activeTier);
      throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
    case 'expired':
      countRefreshOutcome(ctx, 'expired', activeTier);
      throw new AppError(ErrorCode.SESSION_EXPIRED, 'Session expired');
    case 'superseded':
      countRefreshOutcome(ctx, 'superseded', activeTier);
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'Refresh token superseded by an organization switch');
    case 'reuse':
      revokeForReuseApart(ctx, session, now, activeTier);
      throw new AppError(ErrorCode.REFRESH_TOKEN_REUSED, 'Refresh token reused: every session of this account has been signed out');
    case 'retry':
    case 'rotate':
      break;
  }
  if (decision.kind === 'rotate') {
    token.rotatedAt = now;
    token.retiredBy = 'refresh';
    await ctx.em.flush(); // retire first: at most one live token per family (unique index)
    session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
    ctx.em.persist(newTokenRow(ctx, session, next, token.id, now));
  }
  session.lastUsedAt = now;
  const entered = await reenterActiveOrg(ctx, session, now);
  await ctx.em.flush();
  countRefreshOutcome(ctx, decision.kind === 'rotate' ? 'rotated' : 'retried', entered?.org.tier ?? null);
  return payload(ctx, session, entered, next, now);
}

/**
 * The common case in three statements (rotation.queries.ts): the presented token is the live token of
 * its family, so it is retired at once by a compare-and-swap; the session takes on the current policy
 * of every org it has entered (strictest wins), decideRefresh still decides revocation and expiry,
 * decideReentry the org, and the successor is written only while the session is not revoked. Any
 * refusal raises and the request's rollback undoes the retirement. Null when the token is not the
 * live one: the full path (lockFamilyOf, decideRefresh) takes over in the same transaction.
 */
async function rotateIfLive(ctx: RequestScope, presented: string, presentedHash: string): Promise<AuthPayload | null> {
  const now = ctx.app.now();
  const retired = await retireIfLive(ctx.em, presentedHash, now);
  if (!retired) return null;
  const { session } = retired;
  await ctx.app.rateLimiter.consume('refreshPerSession', session.id);
  // tenant: no org; the user of the session the presented token belongs to (RLS shows the user's own memberships and orgs).
  await ctx.tx.enterTenant({ orgId: null, userId: session.userId });
  const context: RotationContext = session.revokedAt ? { memberships: [], keys: [] } : await rotationContext(ctx.em, session.userId, session.enteredOrgIds, session.activeOrgId ?? null);
  const orgs = context.memberships.map((m) => m.org);
  if (orgs.length > 0) takePolicy(session, strictestPolicy([session.policy, ...orgs.map(policyOf)]), now);
  const active = context.memberships.find((m) => m.org.id === session.activeOrgId) ?? null;
  const activeTier = active?.org.tier ?? null;
  const decision = decideRefresh(
    { expiresAt: retired.tokenExpiresAt, rotatedAt: null, retiredBy: null, successorIsLive: false },
    { revokedAt: session.revokedAt ?? null, expiresAt: sessionEnd(session) },
    session.policy.refreshReuseLeewaySeconds,
    now,
  );
  if (decision.kind === 'revoked') {
    countRefreshOutcome(ctx, 'revoked', activeTier);
    throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
  }
  if (decision.kind === 'expired') {
    countRefreshOutcome(ctx, 'expired', activeTier);
    throw new AppError(ErrorCode.SESSION_EXPIRED, 'Session expired');
  }
  if (decision.kind !== 'rotate') throw new Error(`refresh: a live token decided ${decision.kind}`);
  const reentry = decideReentry({
    activeOrgId: session.activeOrgId ?? null,
    boundOrgId: session.boundOrgId ?? null,
    membership: active ? { isolatedSession: policyOf(active.org).isolatedSession } : null,
  });
  let entered: Entered | null = null;
  switch (reentry.kind) {
    case 'enter':
      entered = active;
      break;
    case 'no_org':
      break;
    case 'leave_org':
      session.activeOrgId = null;
      break;
    case 'revoke_bound':
      revokeBoundApart(ctx, session, now);
      throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
  }
  session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
  session.lastUsedAt = now;
  const next = successorToken(ctx.app.config.kek, presented);
  // tenant: the user's live membership of the active org, read above (rotationContext), entered once the successor is written; the payload's nested fields read in it, as after the full path.
  const tenant = { orgId: entered?.org.id ?? null, userId: session.userId };
  const written = await commitRotation(ctx.tx, { session, successor: { id: randomUUID(), tokenHash: hashToken(next), parentId: retired.tokenId }, now }, tenant);
  if (!written) {
    countRefreshOutcome(ctx, 'revoked', activeTier);
    throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
  }
  countRefreshOutcome(ctx, 'rotated', entered?.org.tier ?? null);
  return payload(ctx, session, entered, next, now, context.keys);
}

/** A session bound to an org it may no longer serve ends, apart from this request (which fails). */
function revokeBoundApart(ctx: RequestScope, session: DeviceSession, now: Date): void {
  const { orm } = ctx.app;
  const where = { id: session.id, userId: session.userId };
  ctx.tx.afterFinish(async () => void (await runApart(orm, { orgId: null, userId: session.userId }, (tx) => revokeSessions(tx.em, where, 'MEMBER_REMOVED', now))));
}

/**
 * The presented token and its device session, the session row locked (FOR UPDATE) until the
 * request's transaction ends: rotation, revocation and switching of one family never interleave,
 * across instances too. The token is read after the lock, so it is what the last holder committed.
 */
async function lockFamilyOf(ctx: RequestScope, tokenHash: string): Promise<{ token: RefreshToken; session: DeviceSession } | null> {
  const seen = await ctx.em.findOne(RefreshToken, { tokenHash });
  if (!seen) return null;
  const session = await ctx.em.findOne(DeviceSession, { id: seen.sessionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!session) return null;
  const token = await ctx.em.refresh(seen);
  return token ? { token, session } : null;
}

/**
 * Refresh-token reuse (RFC 9700 section 4.14.2): every session of the user is revoked, in a
 * transaction apart from the request's (which fails and rolls back), once that one has ended and
 * before the response is sent, so the next request of any of those sessions is refused. The user gets
 * REFRESH_TOKEN_REUSED without an org, and each org the stolen session had entered gets its own copy,
 * so its admins see it (the detail names no other org).
 */
function revokeForReuseApart(ctx: RequestScope, session: DeviceSession, now: Date, tier: Tier | null): void {
  const { orm, metrics } = ctx.app;
  const userId = session.userId;
  const enteredOrgIds = [...session.enteredOrgIds];
  ctx.tx.afterFinish(async () => {
    const event = await runApart(orm, { orgId: null, userId }, async (tx) => {
      const revoked = await revokeSessions(tx.em, { userId }, 'REFRESH_TOKEN_REUSED', now);
      const userEvent = { type: 'REFRESH_TOKEN_REUSED' as const, userId, sessionId: session.id, orgId: null, detail: { sessionsRevoked: revoked, enteredOrgIds } };
      await recordSecurityEvent(tx.em, userEvent, now);
      for (const orgId of enteredOrgIds) {
        // tenant: an org this session had entered (its own entered_org_ids), for that org's copy of the event.
        await tx.enterTenant({ orgId, userId });
        await recordSecurityEvent(tx.em, { type: 'REFRESH_TOKEN_REUSED', userId, sessionId: session.id, orgId, detail: { allSessionsOfUserRevoked: true } }, now);
      }
      return userEvent;
    });
    metrics.countSecurityEvent(event, tier);
  });
}

/**
 * Strictest wins, and keeps winning: the session's policy is tightened by the current policy of every
 * org it has entered (an org that tightened its policy since reaches its sessions at their next
 * refresh). The ends only ever move earlier (tightenedEnds). Returns those orgs (the ones the user
 * still belongs to).
 */
async function tightenToEnteredOrgs(ctx: RequestScope, session: DeviceSession, now: Date): Promise<OrganizationView[]> {
  if (session.enteredOrgIds.length === 0) return [];
  await ctx.tx.enterTenant({ orgId: null, userId: session.userId }); // RLS: the orgs the user still belongs to
  const orgs = await organizationsOfUser(ctx.em, session.userId, session.enteredOrgIds);
  takePolicy(session, strictestPolicy([session.policy, ...orgs.map(policyOf)]), now);
  return orgs;
}

/** Sets the session's policy (already the strictest) and pulls its ends in to match. */
export function takePolicy(session: DeviceSession, policy: DeviceSession['policy'], now: Date): void {
  session.policy = { ...policy };
  Object.assign(session, tightenedEnds(session, policy, now));
}

/**
 * The org a refreshed access token is for, as decideReentry says: the session's active org while the
 * membership lives and the org does not isolate its sessions from this one; otherwise an unbound
 * session continues without an org, and a bound one (session-per-org) has nothing left to serve and
 * is revoked (apart from this request, which fails).
 */
async function reenterActiveOrg(ctx: RequestScope, session: DeviceSession, now: Date): Promise<Entered | null> {
  const entered = session.activeOrgId ? await enterMembership(ctx, session.activeOrgId, session.userId) : null;
  const reentry = decideReentry({
    activeOrgId: session.activeOrgId ?? null,
    boundOrgId: session.boundOrgId ?? null,
    membership: entered ? { isolatedSession: policyOf(entered.org).isolatedSession } : null,
  });
  switch (reentry.kind) {
    case 'enter':
      return entered;
    case 'no_org':
      return null;
    case 'revoke_bound':
      revokeBoundApart(ctx, session, now);
      throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
    case 'leave_org':
      session.activeOrgId = null;
      await ctx.tx.enterTenant({ orgId: null, userId: session.userId });
      return null;
  }
}
