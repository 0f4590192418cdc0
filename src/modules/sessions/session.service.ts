import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { DeviceSession, sessionEnd, type RevokeReason } from './device-session.entity.ts';
import { RefreshToken } from './refresh-token.entity.ts';
import { signAccessToken } from '../../platform/tokens/sign-access-token.ts';
import { hashToken, newOpaqueToken, REFRESH_TOKEN_PATTERN, successorToken } from '../../platform/crypto/tokens.ts';
import { revokeSessions } from './sessions.queries.ts';
import { runApart } from '../../db/request-transaction.ts';
import { recordSecurityEvent, type SecurityEventType } from '../../platform/security-log/security-events.queries.ts';
import { findOwnMembership } from '../../platform/tenancy/memberships.queries.ts';
import { AppError, ErrorCode, forbidden, notFound } from '../../core/errors.ts';
import type { RequestContext } from '../../api/graphql/context.ts';
import { parseId } from '../../core/ids.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { countRefreshOutcome, recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { Membership, type Role } from '../organizations/membership.entity.ts';
import { Organization, type Tier } from '../organizations/organization.entity.ts';
import { canRemoveMember } from '../../core/roles.ts';
import { decideEntry, type CodeCheck } from '../../core/decisions/decide-entry.ts';
import { resolvePolicy, strictestPolicy, type SessionPolicy } from '../../core/policy/session-policy.ts';
import { activeSigningKeyId, ensureSigningKey } from '../../platform/keys/key-ring.ts';
import { User } from '../identity/user.entity.ts';
import { checkCode, hasTotp, markMfaPassed } from '../mfa/mfa.service.ts';
import { requireSignedIn, requireTenant } from '../../platform/tenancy/require.ts';
import { decideRefresh } from '../../core/decisions/decide-refresh.ts';

export interface AuthPayload {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly session: DeviceSession;
  readonly activeOrganization: Organization | null;
}

/** An organization the user is entering, with their live role there. */
export interface Entered {
  readonly org: Organization;
  readonly role: Role;
}

/**
 * The user's live membership of `orgId` and the org, or null when there is none. Looked up as the
 * user without any org (RLS `member_read` shows a user's own memberships); only when it exists does
 * the transaction enter that org (the caller is about to act in it): the membership is the verified
 * decision the tenant comes from.
 */
export async function membershipIn(ctx: RequestContext, orgId: string, userId: string): Promise<Entered | null> {
  await ctx.tx.enterTenant({ orgId: null, userId });
  const membership = await findOwnMembership(ctx.em, orgId, userId);
  if (!membership) return null;
  const role = membership.role;
  await ctx.tx.enterTenant({ orgId, userId });
  const org = await ctx.em.findOne(Organization, { id: orgId });
  return org ? { org, role } : null;
}

export interface OpenSessionInput {
  readonly userId: string;
  readonly deviceName: string;
  readonly entered: Entered | null;
  readonly policy: SessionPolicy;
  readonly amr: readonly string[];
  /** When MFA was passed for this sign-in, or null. */
  readonly mfaAt: Date | null;
  /** Session-per-org: the session may only ever serve `entered`. */
  readonly bound: boolean;
}

/** Opens a new device session (a new refresh family) and issues its first tokens. */
export async function openSession(ctx: RequestContext, input: OpenSessionInput): Promise<AuthPayload> {
  const now = ctx.app.now();
  const expiresAt = new Date(now.getTime() + input.policy.absoluteTimeoutSeconds * 1000);
  const session = ctx.em.create(DeviceSession, {
    id: randomUUID(),
    userId: input.userId,
    deviceName: input.deviceName,
    createdAt: now,
    lastUsedAt: now,
    expiresAt,
    idleExpiresAt: idleEnd(now, input.policy, expiresAt),
    revokedAt: null,
    revokeReason: null,
    boundOrgId: input.bound && input.entered ? input.entered.org.id : null,
    activeOrgId: input.entered?.org.id ?? null,
    enteredOrgIds: input.entered ? [input.entered.org.id] : [],
    policy: { ...input.policy },
    authTime: now,
    amr: [...input.amr],
    mfaAt: input.mfaAt,
  });
  await ctx.em.persist(session).flush(); // no ORM relation orders the inserts: the session goes first
  const refreshToken = newOpaqueToken('ort');
  ctx.em.persist(newTokenRow(ctx, session, refreshToken, null, now));
  await ctx.em.flush();
  return payload(ctx, session, input.entered, refreshToken, now);
}

export function idleEnd(now: Date, policy: SessionPolicy, absoluteEnd: Date): Date {
  return new Date(Math.min(now.getTime() + policy.idleTimeoutSeconds * 1000, absoluteEnd.getTime()));
}

function newTokenRow(ctx: RequestContext, session: DeviceSession, token: string, parentId: string | null, now: Date): RefreshToken {
  return ctx.em.create(RefreshToken, {
    id: randomUUID(),
    sessionId: session.id,
    parentId,
    tokenHash: hashToken(token),
    createdAt: now,
    expiresAt: session.idleExpiresAt,
    rotatedAt: null,
    retiredBy: null,
  });
}

/**
 * The key that signs for `entered`: the org's own key when it has one (created here if its policy
 * asks for one and it has none yet), else the global key. Decided by the database, not the cache.
 */
export async function signingKeyFor(ctx: Pick<RequestContext, "em" | "app">, entered: Entered | null, now: Date) {
  const orgId = entered?.org.id ?? null;
  let { kid, ownerOrgId } = await activeSigningKeyId(ctx.em, orgId);
  if (entered && ownerOrgId !== entered.org.id && policyOf(entered.org).dedicatedSigningKey) {
    kid = await ensureSigningKey(ctx.em, ctx.app.config.kek, entered.org.id, now);
  }
  return ctx.app.keys.signingKey(kid, ctx.em);
}

/** An organization's effective policy. */
export function policyOf(org: Organization): SessionPolicy {
  return resolvePolicy(org.tier, org.policyOverrides);
}

/** Signs an access token for `session` in `entered` (or no org); it never outlives the session. */
export async function payload(ctx: RequestContext, session: DeviceSession, entered: Entered | null, refreshToken: string, now: Date): Promise<AuthPayload> {
  const end = sessionEnd(session);
  const ttlSeconds = Math.max(1, Math.min(session.policy.accessTokenTtlSeconds, Math.floor((end.getTime() - now.getTime()) / 1000)));
  const access = await signAccessToken(await signingKeyFor(ctx, entered, now), { iss: ctx.app.config.jwt.issuer, aud: ctx.app.config.jwt.audience }, {
    userId: session.userId,
    sessionId: session.id,
    org: entered ? { id: entered.org.id, tier: entered.org.tier, role: entered.role } : undefined,
    authTime: session.authTime,
    amr: session.amr,
    ttlSeconds,
    now,
  });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: end,
    session,
    activeOrganization: entered?.org ?? null,
  };
}

const invalidRefreshToken = () => new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid refresh token');

/**
 * Exchanges a refresh token for new tokens (ARCHITECTURE.md, Sessions); the decision is
 * decideRefresh's. Presentations of one token wait for each other in memory, before the request
 * takes a database connection (a burst of retries cannot drain the pool), and the family's device
 * session row is locked while it is decided (presentations on other instances). Raises RATE_LIMITED
 * (too many attempts from the client address, or on the token's family: each counted whatever the
 * outcome), UNAUTHENTICATED (unknown token, or one superseded by a switch), SESSION_REVOKED,
 * SESSION_EXPIRED, and REFRESH_TOKEN_REUSED; the revocation of every session of the user that reuse
 * causes is written apart, after the request's transaction, so it holds whatever else the operation does.
 */
export async function refreshSession(ctx: RequestContext, presented: string): Promise<AuthPayload> {
  await ctx.app.rateLimiter.consume('refreshPerAddress', ctx.clientAddress);
  if (!REFRESH_TOKEN_PATTERN.test(presented)) {
    countRefreshOutcome(ctx, 'invalid', null);
    throw invalidRefreshToken();
  }
  const presentedHash = hashToken(presented);
  ctx.tx.onEnd(await ctx.app.gates.acquire(`refresh:${presentedHash}`));
  await ctx.open({ readOnly: false });
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
  // A refresh's successor is derived from the presented token (a retry hands out that same token); a switch's is random.
  const successorIsLive = !!successor && !successor.rotatedAt && (token.retiredBy === 'switch' || successor.tokenHash === hashToken(next));

  const decision = decideRefresh(
    { expiresAt: token.expiresAt, rotatedAt: token.rotatedAt ?? null, retiredBy: token.retiredBy ?? null, successorIsLive },
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
  const entered = await activeOrgOf(ctx, session, now);
  await ctx.em.flush();
  countRefreshOutcome(ctx, decision.kind === 'rotate' ? 'rotated' : 'retried', entered?.org.tier ?? null);
  return payload(ctx, session, entered, next, now);
}

/**
 * The presented token and its device session, the session row locked (FOR UPDATE) until the
 * request's transaction ends: rotation, revocation and switching of one family never interleave,
 * across instances too. The token is read after the lock, so it is what the last holder committed.
 */
async function lockFamilyOf(ctx: RequestContext, tokenHash: string): Promise<{ token: RefreshToken; session: DeviceSession } | null> {
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
function revokeForReuseApart(ctx: RequestContext, session: DeviceSession, now: Date, tier: Tier | null): void {
  const { orm, metrics } = ctx.app;
  const userId = session.userId;
  const enteredOrgIds = [...session.enteredOrgIds];
  ctx.tx.afterFinish(async () => {
    const event = await runApart(orm, { orgId: null, userId }, async (tx) => {
      const revoked = await revokeSessions(tx.em, { userId }, 'REFRESH_TOKEN_REUSED', now);
      const userEvent = { type: 'REFRESH_TOKEN_REUSED' as const, userId, sessionId: session.id, orgId: null, detail: { sessionsRevoked: revoked, enteredOrgIds } };
      await recordSecurityEvent(tx.em, userEvent, now);
      for (const orgId of enteredOrgIds) {
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
 * refresh). The ends only ever move earlier. Returns those orgs (the ones the user still belongs to).
 */
async function tightenToEnteredOrgs(ctx: RequestContext, session: DeviceSession, now: Date): Promise<Organization[]> {
  if (session.enteredOrgIds.length === 0) return [];
  await ctx.tx.enterTenant({ orgId: null, userId: session.userId }); // RLS: the orgs the user still belongs to
  const orgs = await ctx.em.find(Organization, { id: { $in: session.enteredOrgIds } });
  applyPolicy(session, strictestPolicy([session.policy, ...orgs.map(policyOf)]), now);
  return orgs;
}

/** Sets the session's policy (already the strictest) and pulls its ends in to match. */
function applyPolicy(session: DeviceSession, policy: SessionPolicy, now: Date): void {
  session.policy = { ...policy };
  const absolute = new Date(Math.min(session.expiresAt.getTime(), session.createdAt.getTime() + policy.absoluteTimeoutSeconds * 1000));
  session.expiresAt = absolute;
  session.idleExpiresAt = new Date(Math.min(session.idleExpiresAt.getTime(), idleEnd(now, policy, absolute).getTime()));
}

/**
 * The org a refreshed access token is for: the session's active org while the membership lives.
 * Without it, an unbound session continues without an org; a bound one (session-per-org) has
 * nothing left to serve and is revoked.
 */
async function activeOrgOf(ctx: RequestContext, session: DeviceSession, now: Date): Promise<Entered | null> {
  if (!session.activeOrgId) return null;
  const entered = await membershipIn(ctx, session.activeOrgId, session.userId);
  // An org that isolates its sessions (it may have turned that on since) is never served to an unbound session.
  if (entered && (!policyOf(entered.org).isolatedSession || session.boundOrgId === entered.org.id)) return entered;
  if (session.boundOrgId) {
    // Nothing left to serve: the session ends, apart from this request (which fails and rolls back).
    const { orm } = ctx.app;
    const where = { id: session.id, userId: session.userId };
    ctx.tx.afterFinish(async () => void (await runApart(orm, { orgId: null, userId: session.userId }, (tx) => revokeSessions(tx.em, where, 'MEMBER_REMOVED', now))));
    throw new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');
  }
  session.activeOrgId = null;
  await ctx.tx.enterTenant({ orgId: null, userId: session.userId });
  return null;
}

function revokeWhere(ctx: RequestContext, where: { userId: string } & Record<string, unknown>, reason: RevokeReason, now: Date): Promise<number> {
  return revokeSessions(ctx.em, where, reason, now);
}

/** The signed-in user's first `first` live sessions, most recently used first. Raises BAD_USER_INPUT for a bad `first`. */
export async function listSessions(ctx: RequestContext, first: number | null | undefined): Promise<DeviceSession[]> {
  const scope = requireSignedIn(ctx.scope);
  const now = ctx.app.now();
  return ctx.em.find(
    DeviceSession,
    { userId: scope.userId, revokedAt: null, expiresAt: { $gt: now }, idleExpiresAt: { $gt: now } },
    { orderBy: { lastUsedAt: 'desc', id: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) },
  );
}

async function revokeOwn(ctx: RequestContext, where: Record<string, unknown>, reason: RevokeReason, type: SecurityEventType): Promise<number> {
  const scope = requireSignedIn(ctx.scope);
  const now = ctx.app.now();
  // Sessions already past their end are over: not revoked again, not counted.
  const count = await revokeWhere(ctx, { ...where, userId: scope.userId, expiresAt: { $gt: now }, idleExpiresAt: { $gt: now } }, reason, now);
  if (count > 0) await recordAndCountEvent(ctx, { type, userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { count, ...where } }, now, scope.tier);
  return count;
}

/** Ends the current device session. */
export async function signOut(ctx: RequestContext): Promise<boolean> {
  const scope = requireSignedIn(ctx.scope);
  return (await revokeOwn(ctx, { id: scope.sessionId }, 'SIGN_OUT', 'SESSION_SIGNED_OUT')) === 1;
}

/** Ends one of the viewer's own live sessions. Raises NOT_FOUND for anyone else's or an ended one. */
export async function revokeSession(ctx: RequestContext, id: string): Promise<boolean> {
  const sessionId = parseId(id, 'id');
  if ((await revokeOwn(ctx, { id: sessionId }, 'REVOKED', 'SESSION_REVOKED')) !== 1) throw notFound('Session');
  return true;
}

/** Ends every live session of the viewer, the current one included; returns how many. */
export function revokeAllSessions(ctx: RequestContext): Promise<number> {
  return revokeOwn(ctx, {}, 'REVOKED_ALL', 'SESSIONS_REVOKED_ALL');
}

/**
 * Ends the sessions of a member of the active org that have entered it (an admin's reach ends at
 * the org's boundary: sessions that never entered it are untouched). Raises NOT_FOUND (not a member)
 * and FORBIDDEN (an ADMIN targeting an OWNER).
 */
export async function revokeMemberSessions(ctx: RequestContext, rawUserId: string): Promise<number> {
  const scope = requireTenant(ctx.scope);
  const userId = parseId(rawUserId, 'userId');
  const target = await ctx.em.findOne(Membership, { userId });
  if (!target) throw notFound('Member');
  if (!scope.role || !canRemoveMember(scope.role, target.role)) throw forbidden(`${scope.role} cannot revoke an ${target.role}'s sessions`);
  const now = ctx.app.now();
  const count = await revokeWhere(ctx, { userId, enteredOrgIds: { $contains: [scope.orgId] } }, 'REVOKED_BY_ADMIN', now);
  await recordAndCountEvent(ctx, { type: 'MEMBER_SESSIONS_REVOKED', userId, sessionId: null, orgId: scope.orgId, detail: { count, by: scope.userId } }, now, scope.tier);
  return count;
}

/**
 * After a member is removed: their sessions bound to the org have nothing left to serve and end;
 * unbound sessions lose the org at once (the scope check) and on refresh (activeOrgOf).
 */
export async function endSessionsBoundTo(ctx: RequestContext, orgId: string, userId: string): Promise<number> {
  return revokeWhere(ctx, { userId, boundOrgId: orgId }, 'MEMBER_REMOVED', ctx.app.now());
}


/**
 * Moves the current device session into another org the user belongs to (ARCHITECTURE.md, Sessions):
 * a new access token for that org, and always a rotated refresh token (the old one is retired as
 * superseded: a switch is a privilege change). The session's policy becomes the strictest of every
 * org it has entered, at once. Raises FORBIDDEN (not a member; the same for an org that does not
 * exist), REAUTHENTICATION_REQUIRED (a session-per-org org, or a bound session), MFA_REQUIRED,
 * MFA_ENROLLMENT_REQUIRED and RATE_LIMITED.
 */
export async function switchOrganization(ctx: RequestContext, rawOrgId: string, mfaCode: string | null | undefined): Promise<AuthPayload> {
  const scope = requireSignedIn(ctx.scope);
  const targetOrgId = parseId(rawOrgId, 'organizationId');
  // The family's row lock, as refreshSession takes it: a switch and a refresh of one session never interleave.
  const session = await ctx.em.findOneOrFail(DeviceSession, { id: scope.sessionId, userId: scope.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const user = await ctx.em.findOneOrFail(User, { id: scope.userId });
  const entered = await membershipIn(ctx, targetOrgId, scope.userId);
  const now = ctx.app.now();
  const code: CodeCheck = mfaCode && entered && hasTotp(user) ? await checkCode(ctx, user, mfaCode, { tier: entered.org.tier, orgId: entered.org.id }) : 'absent';
  const decision = decideEntry(
    {
      via: 'switch',
      targetOrgId,
      policy: entered ? policyOf(entered.org) : resolvePolicy('STANDARD'),
      member: entered !== null,
      session: { boundOrgId: session.boundOrgId ?? null, mfaAt: session.mfaAt ?? null },
      hasTotp: hasTotp(user),
      code,
    },
    now,
  );
  // A wrong code was already counted and recorded apart (checkCode).
  if (decision.kind === 'deny') throw new AppError(decision.code, decision.message);
  if (!entered) throw forbidden('Not a member of that organization'); // decideEntry already refused; for the type checker
  if (code === 'valid') markMfaPassed(session, now);
  else session.mfaAt = decision.mfaAt;
  if (!session.enteredOrgIds.includes(entered.org.id)) session.enteredOrgIds = [...session.enteredOrgIds, entered.org.id];
  session.activeOrgId = entered.org.id;
  session.lastUsedAt = now;
  applyPolicy(session, strictestPolicy([session.policy, policyOf(entered.org)]), now);

  const live = await ctx.em.findOne(RefreshToken, { sessionId: session.id, rotatedAt: null });
  if (live) {
    live.rotatedAt = now;
    live.retiredBy = 'switch';
    await ctx.em.flush(); // retire first: at most one live token per family (unique index)
  }
  session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
  const refreshToken = newOpaqueToken('ort');
  ctx.em.persist(newTokenRow(ctx, session, refreshToken, live?.id ?? null, now));
  await recordAndCountEvent(
    ctx,
    { type: 'ORGANIZATION_SWITCHED', userId: scope.userId, sessionId: session.id, orgId: entered.org.id, detail: { from: scope.orgId, mfa: code === 'valid' } },
    now,
    entered.org.tier,
  );
  await ctx.em.flush();
  return payload(ctx, session, entered, refreshToken, now);
}
