import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashToken, newOpaqueToken } from '../crypto/tokens.ts';
import { setTenant } from '../db/request-transaction.ts';
import { findOwnMembership } from '../db/tenant-switch.ts';
import { AppError, badInput, ErrorCode, forbidden } from '../errors.ts';
import type { RequestContext } from '../graphql/context.ts';
import { parseId } from '../graphql/ids.ts';
import { Organization } from '../organizations/organization.entity.ts';
import { NO_ORG_POLICY, TIER_FLOORS, type SessionPolicy } from '../policy/session-policy.ts';
import { DeviceSession } from './device-session.entity.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { RefreshToken } from './refresh-token.entity.ts';
import { signAccessToken } from './tokens/sign-access-token.ts';
import { User } from './user.entity.ts';
import { storableText } from '../validation.ts';

const email = z.email().max(254).transform((e) => e.toLowerCase());
/** NIST SP 800-63B: at least 8 characters, long passphrases allowed; the hash caps the cost. */
const password = z.string().min(10).max(256);
const displayName = storableText(100);
const deviceName = storableText(100);

export interface AuthPayload {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
  readonly session: DeviceSession;
  readonly activeOrganization: Organization | null;
}

/** Raises BAD_USER_INPUT for an invalid email or password, or an email already registered. */
export async function signUp(ctx: RequestContext, input: { email: string; password: string; displayName?: string | null }): Promise<User> {
  const parsed = z.object({ email, password, displayName: displayName.nullish() }).safeParse(input);
  if (!parsed.success) throw badInput(`Invalid ${parsed.error.issues[0]?.path.join('.') ?? 'input'}`);
  const user = ctx.em.create(User, {
    id: randomUUID(),
    email: parsed.data.email,
    passwordHash: await hashPassword(parsed.data.password),
    displayName: parsed.data.displayName ?? null,
    createdAt: ctx.app.now(),
  });
  try {
    await ctx.em.persist(user).flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw badInput('An account with this email already exists');
    throw err;
  }
  return user;
}

/**
 * Opens a device session and issues its first tokens. Raises UNAUTHENTICATED with one message for
 * an unknown email and a wrong password (same argon2 work for both), FORBIDDEN when the user is not
 * a member of `organizationId`, and MFA_ENROLLMENT_REQUIRED for an org whose policy needs MFA
 * (TOTP is not available yet, so such orgs cannot be entered: fail closed).
 */
export async function signIn(ctx: RequestContext, input: { email: string; password: string; deviceName: string; organizationId?: string | null }): Promise<AuthPayload> {
  const device = deviceName.safeParse(input.deviceName);
  if (!device.success) throw badInput('Invalid deviceName');
  const orgId = input.organizationId ? parseId(input.organizationId, 'organizationId') : null;
  const parsedEmail = email.safeParse(input.email);
  const user = parsedEmail.success ? await ctx.em.findOne(User, { email: parsedEmail.data }) : null;
  if (!(await verifyPassword(user?.passwordHash, input.password)) || !user) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password');
  }
  const entered = orgId ? await enterOrganization(ctx, orgId, user.id) : null;
  const policy = entered ? TIER_FLOORS[entered.org.tier] : NO_ORG_POLICY;
  const now = ctx.app.now();
  const session = ctx.em.create(DeviceSession, {
    id: randomUUID(),
    userId: user.id,
    deviceName: device.data,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + policy.absoluteTimeoutSeconds * 1000),
    revokedAt: null,
    boundOrgId: entered && policy.isolatedSession ? entered.org.id : null,
  });
  await ctx.em.persist(session).flush(); // no ORM relation orders the inserts: the session goes first
  const refresh = newRefreshToken(ctx, session, policy, now);
  await ctx.em.persist(refresh.row).flush();
  const access = await signAccessToken(ctx.app.keys, { iss: ctx.app.config.jwt.issuer, aud: ctx.app.config.jwt.audience }, {
    userId: user.id,
    sessionId: session.id,
    org: entered ? { id: entered.org.id, tier: entered.org.tier, role: entered.role } : undefined,
    authTime: now,
    amr: ['pwd'],
    ttlSeconds: policy.accessTokenTtlSeconds,
    now,
  });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.row.expiresAt,
    session,
    activeOrganization: entered?.org ?? null,
  };
}

/** Checks live membership of `orgId` and that its policy can be satisfied at this sign-in. */
async function enterOrganization(ctx: RequestContext, orgId: string, userId: string) {
  await setTenant(ctx.em, { orgId, userId });
  const membership = await findOwnMembership(ctx.em, orgId, userId);
  const org = membership ? await ctx.em.findOne(Organization, { id: orgId }) : null;
  if (!membership || !org) throw forbidden('Not a member of that organization');
  if (TIER_FLOORS[org.tier].mfaRequired) throw new AppError(ErrorCode.MFA_ENROLLMENT_REQUIRED, 'This organization requires multi-factor authentication');
  return { org, role: membership.role };
}

/** A new opaque refresh token for `session`; it expires at the idle timeout or the session's end. */
function newRefreshToken(ctx: RequestContext, session: DeviceSession, policy: SessionPolicy, now: Date) {
  const token = newOpaqueToken('ort');
  const idleEnd = now.getTime() + policy.idleTimeoutSeconds * 1000;
  const row = ctx.em.create(RefreshToken, {
    id: randomUUID(),
    sessionId: session.id,
    tokenHash: hashToken(token),
    createdAt: now,
    expiresAt: new Date(Math.min(idleEnd, session.expiresAt.getTime())),
    rotatedAt: null,
  });
  return { token, row };
}

export async function viewerUser(ctx: RequestContext, userId: string): Promise<User> {
  return ctx.em.findOneOrFail(User, { id: userId });
}

export async function findDeviceSession(ctx: RequestContext, sessionId: string, userId: string): Promise<DeviceSession> {
  return ctx.em.findOneOrFail(DeviceSession, { id: sessionId, userId });
}
