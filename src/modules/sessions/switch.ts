import { randomUUID } from 'node:crypto';
import { decideEntry, type CodeCheck, type EntryDecision } from '../../core/decisions/decide-entry.ts';
import { AppError, forbidden } from '../../core/errors.ts';
import { parseId } from '../../core/ids.ts';
import { idleEnd, withOtp } from '../../core/policy/session-ends.ts';
import { resolvePolicy, strictestPolicy } from '../../core/policy/session-policy.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { policyOf } from '../../platform/tenancy/organization-view.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { findUser } from '../identity/index.ts';
import { checkCode } from '../mfa/index.ts';
import { payload, type AuthPayload } from './open-session.ts';
import { takePolicy } from './refresh.ts';
import { commitSwitch, lockForSwitch, type SwitchState } from './rotation.queries.ts';

/**
 * Moves the current device session into another org the user belongs to (docs/ARCHITECTURE.md,
 * Sessions): a new access token for that org, and always a rotated refresh token (the old one is
 * retired as superseded: a switch is a privilege change). The session's policy becomes the strictest
 * of every org it has entered, at once. Raises FORBIDDEN (not a member; the same for an org that does
 * not exist), REAUTHENTICATION_REQUIRED (a session-per-org org, or a bound session), MFA_REQUIRED,
 * MFA_ENROLLMENT_REQUIRED and RATE_LIMITED.
 */
export async function switchOrganization(ctx: RequestScope, rawOrgId: string, mfaCode: string | null | undefined): Promise<AuthPayload> {
  const scope = requireSignedIn(ctx.scope);
  const targetOrgId = parseId(rawOrgId, 'organizationId');
  // One statement (rotation.queries.ts): the family's row lock, as refreshSession takes it (a switch
  // and a refresh of one session never interleave), whether the user has TOTP, the user's own
  // membership of the target (RLS member_read shows it in any tenant the user is in) and its keys.
  const state = await lockForSwitch(ctx.em, scope.sessionId, scope.userId, targetOrgId);
  if (!state) throw new Error('switchOrganization: the verified session is not in the database');
  const { session, entered } = state;
  const now = ctx.app.now();
  let code: CodeCheck = 'absent';
  if (mfaCode && entered && state.hasTotp) {
    // tenant: the user's live membership of the target, read under the session's lock above (checkCode writes the org's copy of MFA_PASSED there).
    await ctx.tx.enterTenant({ orgId: entered.org.id, userId: scope.userId });
    code = await checkCode(ctx, await findUser(ctx, scope.userId), mfaCode, { tier: entered.org.tier, orgId: entered.org.id });
  }
  const decision = decideSwitch(state, targetOrgId, code, now);
  // A wrong code was already counted and recorded apart (checkCode).
  if (decision.kind === 'deny') throw new AppError(decision.code, decision.message);
  if (!entered) throw forbidden('Not a member of that organization'); // decideEntry already refused; for the type checker
  session.mfaAt = decision.mfaAt;
  if (code === 'valid') session.amr = withOtp(session.amr);
  if (!session.enteredOrgIds.includes(entered.org.id)) session.enteredOrgIds = [...session.enteredOrgIds, entered.org.id];
  session.activeOrgId = entered.org.id;
  session.lastUsedAt = now;
  takePolicy(session, strictestPolicy([session.policy, policyOf(entered.org)]), now);
  session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
  const refreshToken = newOpaqueToken('ort');
  // tenant: the user's live membership of the target, read under the session's lock above; entered by the write that moves the session there.
  await commitSwitch(ctx.tx, { session, successor: { id: randomUUID(), tokenHash: hashToken(refreshToken) }, now }, { orgId: entered.org.id, userId: scope.userId });
  await recordAndCountEvent(
    ctx,
    { type: 'ORGANIZATION_SWITCHED', userId: scope.userId, sessionId: session.id, orgId: entered.org.id, detail: { from: scope.orgId, mfa: code === 'valid' } },
    now,
    entered.org.tier,
  );
  return payload(ctx, session, entered, refreshToken, now, state.keys);
}

/** decideEntry for a switch of the session lockForSwitch read into `targetOrgId` (the raw bench server decides with it too). */
export function decideSwitch(state: SwitchState, targetOrgId: string, code: CodeCheck, now: Date): EntryDecision {
  const { session, entered } = state;
  return decideEntry(
    {
      via: 'switch',
      targetOrgId,
      policy: entered ? policyOf(entered.org) : resolvePolicy('STANDARD'),
      member: entered !== null,
      session: { boundOrgId: session.boundOrgId ?? null, mfaAt: session.mfaAt ?? null },
      hasTotp: state.hasTotp,
      code,
    },
    now,
  );
}
