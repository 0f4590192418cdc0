import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { setTenant } from '../db/request-transaction.ts';
import { recordSecurityEvent } from '../db/security-events.ts';
import { AppError, badInput, ErrorCode, forbidden } from '../errors.ts';
import type { RequestContext } from '../graphql/context.ts';
import { parseId } from '../graphql/ids.ts';
import { NO_ORG_POLICY, TIER_FLOORS } from '../policy/session-policy.ts';
import { membershipIn, openSession, type AuthPayload } from '../sessions/session.service.ts';
import { DeviceSession } from './device-session.entity.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { User } from './user.entity.ts';
import { storableText } from '../validation.ts';

const email = z.email().max(254).transform((e) => e.toLowerCase());
/** NIST SP 800-63B: at least 8 characters, long passphrases allowed; the hash caps the cost. */
const password = z.string().min(10).max(256);
const displayName = storableText(100);
const deviceName = storableText(100);

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
 * a member of `organizationId`, and MFA_ENROLLMENT_REQUIRED for an org whose policy needs MFA.
 * Every outcome is a security event; a failed attempt's event commits although the call fails.
 */
export async function signIn(ctx: RequestContext, input: { email: string; password: string; deviceName: string; organizationId?: string | null }): Promise<AuthPayload> {
  const device = deviceName.safeParse(input.deviceName);
  if (!device.success) throw badInput('Invalid deviceName');
  const orgId = input.organizationId ? parseId(input.organizationId, 'organizationId') : null;
  const parsedEmail = email.safeParse(input.email);
  const user = parsedEmail.success ? await ctx.em.findOne(User, { email: parsedEmail.data }) : null;
  const now = ctx.app.now();
  const fail = async (userId: string | null, reason: string, error: AppError): Promise<never> => {
    await setTenant(ctx.em, { orgId: null, userId });
    await recordSecurityEvent(ctx.em, { type: 'SIGN_IN_FAILED', userId, sessionId: null, orgId: null, detail: { reason, ...(orgId ? { organizationId: orgId } : {}) } }, now);
    throw ctx.tx.commitDespite(error);
  };
  if (!(await verifyPassword(user?.passwordHash, input.password)) || !user) {
    return fail(user?.id ?? null, 'bad_credentials', new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password'));
  }
  const entered = orgId ? await membershipIn(ctx, orgId, user.id) : null;
  if (orgId && !entered) return fail(user.id, 'not_a_member', forbidden('Not a member of that organization'));
  const policy = entered ? TIER_FLOORS[entered.org.tier] : NO_ORG_POLICY;
  if (policy.mfaRequired) return fail(user.id, 'mfa_enrollment_required', new AppError(ErrorCode.MFA_ENROLLMENT_REQUIRED, 'This organization requires multi-factor authentication'));
  const result = await openSession(ctx, { userId: user.id, deviceName: device.data, entered, policy, amr: ['pwd'], bound: policy.isolatedSession });
  await recordSecurityEvent(ctx.em, { type: 'SIGN_IN_SUCCEEDED', userId: user.id, sessionId: result.session.id, orgId: entered?.org.id ?? null, detail: { amr: ['pwd'] } }, now);
  return result;
}

export async function viewerUser(ctx: RequestContext, userId: string): Promise<User> {
  return ctx.em.findOneOrFail(User, { id: userId });
}

export async function findDeviceSession(ctx: RequestContext, sessionId: string, userId: string): Promise<DeviceSession> {
  return ctx.em.findOneOrFail(DeviceSession, { id: sessionId, userId });
}
