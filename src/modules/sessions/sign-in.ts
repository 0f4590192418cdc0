import { decideEntry, decideEntryWithoutOrg, type CodeCheck } from '../../core/decisions/decide-entry.ts';
import { AppError, badInput, ErrorCode } from '../../core/errors.ts';
import { parseId } from '../../core/ids.ts';
import { NO_ORG_POLICY } from '../../core/policy/session-policy.ts';
import { storableText } from '../../core/validation.ts';
import type { Tier } from '../../core/vocabulary.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent, recordApart } from '../../platform/security-log/record-event.ts';
import { policyOf } from '../../platform/tenancy/organization-view.ts';
import { findUserByEmail, verifyPassword } from '../identity/index.ts';
import { checkCode, hasTotp } from '../mfa/index.ts';
import { enterMembership, openSession, type AuthPayload } from './open-session.ts';

const deviceName = storableText(100);

/**
 * Opens a device session and issues its first tokens. Raises RATE_LIMITED first when the email or
 * the client address has had too many attempts (counted whatever the outcome, before the account is
 * looked up, so the answer is the same for an unknown email); UNAUTHENTICATED with one message for
 * an unknown email and a wrong password (same argon2 work for both); with `organizationId`, the
 * entry decision (decideEntry): FORBIDDEN (not a member), MFA_REQUIRED / MFA_ENROLLMENT_REQUIRED
 * when the org's policy needs MFA and `mfaCode` is missing or wrong, RATE_LIMITED; without it, a
 * wrong `mfaCode` is MFA_REQUIRED (decideEntryWithoutOrg). A REGULATED (isolated) org gets a session
 * bound to it. Every outcome but RATE_LIMITED is a security event; a failed attempt's event is
 * written apart, so it persists although the call fails.
 */
export async function signIn(
  ctx: RequestScope,
  input: { email: string; password: string; deviceName: string; organizationId?: string | null; mfaCode?: string | null },
): Promise<AuthPayload> {
  await ctx.app.rateLimiter.consumeAll([
    ['signInPerEmail', input.email.toLowerCase()], // the same normalisation as the account lookup
    ['signInPerAddress', ctx.clientAddress],
  ]);
  const device = deviceName.safeParse(input.deviceName);
  if (!device.success) throw badInput('Invalid deviceName');
  const orgId = input.organizationId ? parseId(input.organizationId, 'organizationId') : null;
  const user = await findUserByEmail(ctx, input.email);
  const now = ctx.app.now();
  const fail = (userId: string | null, reason: string, error: AppError, tier: Tier | null = null): never => {
    const detail = { reason, ...(orgId ? { organizationId: orgId } : {}) };
    recordApart(ctx, { type: 'SIGN_IN_FAILED', userId, sessionId: null, orgId: null, detail }, now, tier);
    throw error;
  };
  if (!(await verifyPassword(user?.passwordHash, input.password)) || !user) {
    return fail(user?.id ?? null, 'bad_credentials', new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid email or password'));
  }
  const entered = orgId ? await enterMembership(ctx, orgId, user.id) : null;
  if (!entered) await ctx.tx.enterTenant({ orgId: null, userId: user.id });
  const tier = entered?.org.tier ?? null;
  const code: CodeCheck = input.mfaCode && hasTotp(user) && (entered || !orgId) ? await checkCode(ctx, user, input.mfaCode, { tier, orgId: entered?.org.id ?? null }) : 'absent';
  const policy = entered ? policyOf(entered.org) : NO_ORG_POLICY;
  const decision = orgId
    ? decideEntry({ via: 'signIn', targetOrgId: orgId, policy, member: entered !== null, session: null, hasTotp: hasTotp(user), code }, now)
    : decideEntryWithoutOrg(code, now);
  if (decision.kind === 'deny') return fail(user.id, decision.code.toLowerCase(), new AppError(decision.code, decision.message), tier);
  const amr = decision.mfaAt ? ['pwd', 'otp'] : ['pwd'];
  const result = await openSession(ctx, { userId: user.id, deviceName: device.data, entered, policy, amr, mfaAt: decision.mfaAt, bound: decision.bind });
  await recordAndCountEvent(ctx, { type: 'SIGN_IN_SUCCEEDED', userId: user.id, sessionId: result.session.id, orgId: entered?.org.id ?? null, detail: { amr } }, now, tier);
  return result;
}
