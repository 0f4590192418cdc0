import { LockMode } from '@mikro-orm/core';
import { decideMfaLockout, MFA_MAX_FAILURES, MFA_WINDOW_MS } from '../../core/decisions/decide-mfa-lockout.ts';
import { markSessionMfaPassed } from '../../platform/tenancy/session-mfa.queries.ts';
import { User } from '../identity/index.ts';
import { open, seal } from '../../platform/crypto/envelope.ts';
import { countRecentEvents, recordSecurityEventNow } from '../../platform/security-log/security-events.queries.ts';
import { AppError, badInput, ErrorCode } from '../../core/errors.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent, recordApart, recordForOrganization } from '../../platform/security-log/record-event.ts';
import type { CodeCheck } from '../../core/decisions/decide-entry.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { acceptedStep, newTotpSecret } from './totp.ts';
import { type Tier } from '../../core/vocabulary.ts';

export { MFA_MAX_FAILURES, MFA_WINDOW_MS };

const secretContext = (userId: string) => `totp:${userId}`;
const pendingContext = (userId: string) => `totp-pending:${userId}`;

export function hasTotp(user: User): boolean {
  return !!user.totpSecretSealed;
}

/**
 * Checks a TOTP code against the user's secret (`pending`: the one being enrolled). Serialised per
 * user by a row lock, so two requests cannot both spend one code or both slip under the limit.
 * Raises RATE_LIMITED when the client address has made too many MFA attempts (every call counts,
 * in the shared counters) or after MFA_MAX_FAILURES wrong codes of this user in MFA_WINDOW_MS. A
 * wrong code's MFA_FAILED event is written at once, autocommitted on the side pool, and the limit
 * counts those events: no rollback of the request can erase a guess, whatever else the operation
 * does (issue 15). `tier`: of the org the code is for (metrics), when there is one. `orgId`: the org
 * the code is checked for entering: its admins see a copy of the event in auditEvents (written
 * apart; the user's own event stays org-less). The transaction's user must be `user`.
 */
export async function checkCode(
  ctx: RequestScope,
  user: User,
  code: string,
  opts: { pending?: boolean; tier?: Tier | null; orgId?: string | null } = {},
): Promise<CodeCheck> {
  // Before the row lock: a refused attempt neither waits for nor holds the user's lock.
  await ctx.app.rateLimiter.consume('mfaPerAddress', ctx.clientAddress);
  await ctx.em.refresh(user, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const sealed = opts.pending ? user.totpPendingSealed : user.totpSecretSealed;
  if (!sealed) return 'absent';
  const now = ctx.app.now();
  if (decideMfaLockout(await countRecentEvents(ctx.em, user.id, 'MFA_FAILED', new Date(now.getTime() - MFA_WINDOW_MS))).kind === 'locked') {
    ctx.app.metrics.countRateLimited('mfaPerUser');
    throw new AppError(ErrorCode.RATE_LIMITED, 'Too many MFA attempts: try again later');
  }
  const secret = open(ctx.app.config.kek, sealed, opts.pending ? pendingContext(user.id) : secretContext(user.id)).toString('utf8');
  const step = acceptedStep(secret, code, now, user.totpLastStep ?? null);
  const sessionId = ctx.scope?.sessionId ?? null;
  const detail = opts.pending ? { enrollment: true } : {};
  if (step === null) {
    const failed = { type: 'MFA_FAILED' as const, userId: user.id, sessionId, orgId: null, detail: withActor(ctx, detail) };
    await recordSecurityEventNow(ctx.app.side, failed, now);
    ctx.app.metrics.countSecurityEvent(failed, opts.tier ?? null);
    if (opts.orgId) recordApart(ctx, { type: 'MFA_FAILED', userId: user.id, sessionId, orgId: opts.orgId, detail }, now, null, { counted: false });
    return 'invalid';
  }
  await recordAndCountEvent(ctx, { type: 'MFA_PASSED', userId: user.id, sessionId, orgId: null, detail }, now, opts.tier ?? null);
  if (opts.orgId) await recordForOrganization(ctx, { type: 'MFA_PASSED', userId: user.id, sessionId, orgId: opts.orgId, detail }, now);
  user.totpLastStep = step;
  return 'valid';
}

/** An agent's action is audited with both identities (recordAndCountEvent does the same). */
function withActor(ctx: RequestScope, detail: Record<string, unknown>): Record<string, unknown> {
  return ctx.scope?.actor ? { ...detail, actor_agent: ctx.scope.actor } : detail;
}

/** Starts (or restarts) TOTP enrollment. Raises BAD_USER_INPUT when TOTP is already enrolled. */
export async function beginTotpEnrollment(ctx: RequestScope): Promise<{ secret: string; otpauthUri: string }> {
  const scope = requireSignedIn(ctx.scope);
  const user = await ctx.em.findOneOrFail(User, { id: scope.userId });
  if (hasTotp(user)) throw badInput('TOTP is already enrolled');
  const enrollment = newTotpSecret(user.email);
  user.totpPendingSealed = seal(ctx.app.config.kek, Buffer.from(enrollment.secret, 'utf8'), pendingContext(user.id));
  await ctx.em.flush();
  return enrollment;
}

/**
 * Confirms enrollment with a first code: the secret becomes the user's, and this session counts as
 * having passed MFA now. Raises BAD_USER_INPUT (nothing pending, wrong code) and RATE_LIMITED.
 */
export async function confirmTotpEnrollment(ctx: RequestScope, code: string): Promise<User> {
  const scope = requireSignedIn(ctx.scope);
  const user = await ctx.em.findOneOrFail(User, { id: scope.userId });
  if (hasTotp(user) || !user.totpPendingSealed) throw badInput('No TOTP enrollment in progress');
  const result = await checkCode(ctx, user, code, { pending: true });
  if (result !== 'valid') throw badInput('Invalid code');
  const now = ctx.app.now();
  const secret = open(ctx.app.config.kek, user.totpPendingSealed, pendingContext(user.id));
  user.totpSecretSealed = seal(ctx.app.config.kek, secret, secretContext(user.id));
  user.totpPendingSealed = null;
  user.totpEnabledAt = now;
  await markSessionMfaPassed(ctx.em, scope.sessionId, now);
  await recordAndCountEvent(ctx, { type: 'MFA_ENROLLED', userId: user.id, sessionId: scope.sessionId, orgId: null }, now, null);
  await ctx.em.flush();
  return user;
}
