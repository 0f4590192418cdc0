import { randomUUID } from 'node:crypto';
import { idleEnd, sessionEnd } from '../../core/policy/session-ends.ts';
import type { SessionPolicy } from '../../core/policy/session-policy.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import type { ActiveKey } from '../../core/decisions/decide-signing-key.ts';
import { signingKeyAmong, signingKeyFor } from '../../platform/keys/signing.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { findOwnMembership } from '../../platform/tenancy/memberships.queries.ts';
import type { Entered, OrganizationView } from '../../platform/tenancy/organization-view.ts';
import { signAccessToken } from '../../platform/tokens/sign-access-token.ts';
import { DeviceSession } from './device-session.entity.ts';
import { RefreshToken } from './refresh-token.entity.ts';

export interface AuthPayload {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly session: DeviceSession;
  readonly activeOrganization: OrganizationView | null;
}

/**
 * The user's live membership of `orgId` and the org, or null when there is none. Looked up as the
 * user without any org (RLS `member_read` shows a user's own memberships); only when it exists does
 * the transaction enter that org (the caller is about to act in it): the membership is the verified
 * decision the tenant comes from.
 */
export async function enterMembership(ctx: RequestScope, orgId: string, userId: string): Promise<Entered | null> {
  await ctx.tx.enterTenant({ orgId: null, userId });
  const entered = await findOwnMembership(ctx.em, orgId, userId);
  // tenant: the user's live membership of it, just read.
  if (entered) await ctx.tx.enterTenant({ orgId, userId });
  return entered;
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
export async function openSession(ctx: RequestScope, input: OpenSessionInput): Promise<AuthPayload> {
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

/** A new member of `session`'s refresh family, valid until its idle end. Persisted with the next flush. */
export function newTokenRow(ctx: RequestScope, session: DeviceSession, token: string, parentId: string | null, now: Date): RefreshToken {
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
 * Signs an access token for `session` in `entered` (or no org); it never outlives the session.
 * `keys`: the unretired signing keys when the caller has read them already (else they are read here).
 */
export async function payload(ctx: RequestScope, session: DeviceSession, entered: Entered | null, refreshToken: string, now: Date, keys?: readonly ActiveKey[]): Promise<AuthPayload> {
  const end = sessionEnd(session);
  const ttlSeconds = Math.max(1, Math.min(session.policy.accessTokenTtlSeconds, Math.floor((end.getTime() - now.getTime()) / 1000)));
  const org = entered?.org ?? null;
  const key = keys ? await signingKeyAmong(ctx.em, ctx.app, org, keys, now) : await signingKeyFor(ctx.em, ctx.app, org, now);
  const access = await signAccessToken(key, { iss: ctx.app.config.jwt.issuer, aud: ctx.app.config.jwt.audience }, {
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
