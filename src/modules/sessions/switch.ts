import { LockMode } from '@mikro-orm/core';
import { decideEntry, type CodeCheck } from '../../core/decisions/decide-entry.ts';
import { AppError, forbidden } from '../../core/errors.ts';
import { parseId } from '../../core/ids.ts';
import { idleEnd, withOtp } from '../../core/policy/session-ends.ts';
import { resolvePolicy, strictestPolicy } from '../../core/policy/session-policy.ts';
import { newOpaqueToken } from '../../platform/crypto/tokens.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { policyOf } from '../../platform/tenancy/organization-view.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { findUser } from '../identity/index.ts';
import { checkCode, hasTotp } from '../mfa/index.ts';
import { DeviceSession } from './device-session.entity.ts';
import { enterMembership, newTokenRow, payload, type AuthPayload } from './open-session.ts';
import { takePolicy } from './refresh.ts';
import { RefreshToken } from './refresh-token.entity.ts';

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
  // The family's row lock, as refreshSession takes it: a switch and a refresh of one session never interleave.
  const session = await ctx.em.findOneOrFail(DeviceSession, { id: scope.sessionId, userId: scope.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const user = await findUser(ctx, scope.userId);
  const entered = await enterMembership(ctx, targetOrgId, scope.userId);
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
  session.mfaAt = decision.mfaAt;
  if (code === 'valid') session.amr = withOtp(session.amr);
  if (!session.enteredOrgIds.includes(entered.org.id)) session.enteredOrgIds = [...session.enteredOrgIds, entered.org.id];
  session.activeOrgId = entered.org.id;
  session.lastUsedAt = now;
  takePolicy(session, strictestPolicy([session.policy, policyOf(entered.org)]), now);

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
