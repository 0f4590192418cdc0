import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, badInput, ErrorCode } from '../../core/errors.ts';
import type { RequestContext } from '../../api/graphql/context.ts';
import { parseId } from '../../core/ids.ts';
import { recordAndCountEvent, recordApart } from '../../platform/security-log/record-event.ts';
import type { Tier } from '../organizations/organization.entity.ts';
import { NO_ORG_POLICY } from '../../core/policy/session-policy.ts';
import { decideEntry, type CodeCheck } from '../../core/decisions/decide-entry.ts';
import { checkCode, hasTotp } from '../mfa/mfa.service.ts';
import { membershipIn, openSession, policyOf, type AuthPayload } from '../sessions/session.service.ts';
import { DeviceSession } from '../sessions/device-session.entity.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { User } from './user.entity.ts';
import { storableText } from '../../core/validation.ts';

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
 * Opens a device session and issues its first tokens. Raises RATE_LIMITED first when the email or
 * the client address has had too many attempts (counted whatever the outcome, before the account is
 * looked up, so the answer is the same for an unknown email); UNAUTHENTICATED with one message for
 * an unknown email and a wrong password (same argon2 work for both); with `organizationId`, the
 * entry decision (decideEntry): FORBIDDEN (not a member), MFA_REQUIRED / MFA_ENROLLMENT_REQUIRED
 * when the org's policy needs MFA and `mfaCode` is missing or wrong, RATE_LIMITED. A REGULATED
 * (isolated) org gets a session bound to it. Every outcome but RATE_LIMITED is a security event; a
 * failed attempt's event is written apart, so it persists although the call fails.
 */
export async function signIn(
  ctx: RequestContext,
  input: { email: string; password: string; deviceName: string; organizationId?: string | null; mfaCode?: string | null },
): Promise<AuthPayload> {
  await ctx.app.rateLimiter.consumeAll([
    ['signInPerEmail', input.email.toLowerCase()], // the same normalisation as the account lookup
    ['signInPerAddress', ctx.clientAddress],
  ]);
  const device = deviceName.safeParse(input.deviceName);
  if (!device.success) throw badInput('Invalid deviceName');
  const orgId = input.organizationId ? parseId(input.organizationId, 'organizationId') : null;
  const parsedEmail = email.safeParse(input.email);
  const user = parsedEmail.success ? await ctx.em.findOne(User, { email: parsedEmail.data }) : null;
  const now = ctx.app.now();
  const fail = (userId: string | null, reason: string, error: AppError, tier: Tier | null = null): never => {
    const detail = { reason, ...(orgId ? { organizationId: orgId } : {}) };
    recordApart(ctx, { type: 'SIGN_IN_FAILED', userId, sessionId: null, orgId: null, detail }, now, tier);
    throw error;
  };
  if (!(await verifyPassword(user?.passwordHash, input.password)) || !user) {
    return fail(user?.id ?? null, 'bad_credentials', new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password'));
  }
  const entered = orgId ? await membershipIn(ctx, orgId, user.id) : null;
  if (!entered) await ctx.tx.enterTenant({ orgId: null, userId: user.id });
  const tier = entered?.org.tier ?? null;
  const code: CodeCheck = input.mfaCode && hasTotp(user) && (entered || !orgId) ? await checkCode(ctx, user, input.mfaCode, { tier, orgId: entered?.org.id ?? null }) : 'absent';
  const policy = entered ? policyOf(entered.org) : NO_ORG_POLICY;
  let mfaAt: Date | null = code === 'valid' ? now : null;
  let bound = false;
  if (orgId) {
    const decision = decideEntry({ via: 'signIn', targetOrgId: orgId, policy, member: entered !== null, session: null, hasTotp: hasTotp(user), code }, now);
    if (decision.kind === 'deny') return fail(user.id, decision.code.toLowerCase(), new AppError(decision.code, decision.message), tier);
    mfaAt = decision.mfaAt;
    bound = decision.bind;
  } else if (code === 'invalid') {
    return fail(user.id, 'mfa_required', new AppError(ErrorCode.MFA_REQUIRED, 'Invalid or already used MFA code'));
  }
  const amr = mfaAt ? ['pwd', 'otp'] : ['pwd'];
  const result = await openSession(ctx, { userId: user.id, deviceName: device.data, entered, policy, amr, mfaAt, bound });
  await recordAndCountEvent(ctx, { type: 'SIGN_IN_SUCCEEDED', userId: user.id, sessionId: result.session.id, orgId: entered?.org.id ?? null, detail: { amr } }, now, tier);
  return result;
}

export async function viewerUser(ctx: RequestContext, userId: string): Promise<User> {
  return ctx.em.findOneOrFail(User, { id: userId });
}

export async function findDeviceSession(ctx: RequestContext, sessionId: string, userId: string): Promise<DeviceSession> {
  return ctx.em.findOneOrFail(DeviceSession, { id: sessionId, userId });
}
