import { decideDelegationTtl } from '../../core/decisions/decide-client-credentials.ts';
import { badInput, forbidden } from '../../core/errors.ts';
import { sessionEnd } from '../../core/policy/session-ends.ts';
import { signingKeyFor } from '../../platform/keys/signing.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { findOrganization } from '../../platform/tenancy/memberships.queries.ts';
import { policyOf } from '../../platform/tenancy/organization-view.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { signAccessToken } from '../../platform/tokens/sign-access-token.ts';
import { DeviceSession } from '../sessions/index.ts';
import { checkScopes } from './accounts.ts';

const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface DelegatedToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

/**
 * delegateToAgent (RFC 8693 section 4.1): a token for `agent:<name>` acting for the signed-in user in
 * the active org, bound to the user's device session (it dies with it), with scopes within what the
 * user's role allows and a lifetime within the session's and the org's access-token TTL
 * (decideDelegationTtl). Raises FORBIDDEN (a scope beyond the role) and BAD_USER_INPUT.
 */
export async function delegateToAgent(ctx: RequestScope, agentName: string, scopes: readonly string[], ttlSeconds: number): Promise<DelegatedToken> {
  const scope = requireTenant(ctx.scope);
  if (scope.principal !== 'user') throw forbidden('Only a person may delegate');
  if (!AGENT_NAME.test(agentName)) throw badInput('agentName: 1 to 64 of A-Z a-z 0-9 . _ -');
  const granted = checkScopes(ctx, scopes);
  const allowed = ctx.app.scopes.ofRole(scope.role);
  if (granted.some((s) => !allowed.includes(s))) throw forbidden('A delegated token cannot exceed your own role');
  const session = await ctx.em.findOne(DeviceSession, { id: scope.sessionId });
  const org = await findOrganization(ctx.em, scope.orgId);
  if (!session || !org || !scope.role) throw forbidden();
  const now = ctx.app.now();
  const ttl = decideDelegationTtl(ttlSeconds, {
    sessionTtl: session.policy.accessTokenTtlSeconds,
    orgTtl: policyOf(org).accessTokenTtlSeconds,
    remainingSeconds: Math.floor((sessionEnd(session).getTime() - now.getTime()) / 1000),
  });
  if (ttl.kind === 'out_of_bounds') throw badInput(`ttlSeconds must be between 1 and ${ttl.max} (the session policy's access-token TTL)`);
  const actor = `agent:${agentName}`;
  const issued = await signAccessToken(await signingKeyFor(ctx.em, ctx.app, org, now), { iss: ctx.app.config.jwt.issuer, aud: ctx.app.config.jwt.audience }, {
    userId: scope.userId,
    sessionId: scope.sessionId,
    org: { id: org.id, tier: org.tier, role: scope.role },
    authTime: session.authTime,
    amr: session.amr,
    scope: granted.join(' '),
    actor,
    ttlSeconds,
    now,
  });
  await recordAndCountEvent(ctx, { type: 'AGENT_DELEGATED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { agent: actor, scopes: granted, ttl_seconds: ttlSeconds } }, now, scope.tier);
  return { accessToken: issued.token, expiresAt: issued.expiresAt };
}
