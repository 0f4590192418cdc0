import { decideTierRaise } from '../../core/decisions/decide-invitation.ts';
import { badInput } from '../../core/errors.ts';
import { checkPolicyUpdate, resolvePolicy, TIER_FLOORS, type PolicyOverrides } from '../../core/policy/session-policy.ts';
import type { Tier } from '../../core/vocabulary.ts';
import { rotateSigningKey } from '../../platform/keys/key-ring.ts';
import { ensureDedicatedKeyIfRequired } from '../../platform/keys/signing.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { Organization } from './organization.entity.ts';

/**
 * Tightens the active org's session policy (checkPolicyUpdate decides). Raises BAD_USER_INPUT for
 * anything looser than the tier's floor. Turning on a dedicated key creates it now.
 */
export async function updateSessionPolicy(ctx: RequestScope, input: PolicyOverrides): Promise<Organization> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  const result = checkPolicyUpdate(org.tier, org.policyOverrides, input);
  if (!result.ok) throw badInput(`${result.field} ${result.reason}`);
  const now = ctx.app.now();
  org.policyOverrides = result.overrides;
  await ensureDedicatedKeyIfRequired(ctx.em, ctx.app.config.kek, org, now);
  await recordAndCountEvent(ctx, { type: 'SESSION_POLICY_UPDATED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { overrides: result.overrides } }, now, org.tier);
  await ctx.em.flush();
  return org;
}

/** Raises the active org's tier. Raises BAD_USER_INPUT for the same or a lower tier (decideTierRaise: that would loosen). */
export async function raiseOrganizationTier(ctx: RequestScope, tier: Tier): Promise<Organization> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  const decision = decideTierRaise(org.tier, tier);
  if (decision.kind === 'refuse') throw badInput(decision.reason);
  const now = ctx.app.now();
  const from = org.tier;
  org.tier = tier;
  await ensureDedicatedKeyIfRequired(ctx.em, ctx.app.config.kek, org, now);
  await recordAndCountEvent(ctx, { type: 'ORGANIZATION_TIER_RAISED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { from, to: tier } }, now, tier);
  await ctx.em.flush();
  return org;
}

/** Slack for clock skew and the verifier's tolerance when a retired key stops verifying. */
const KEY_RETIREMENT_SLACK_SECONDS = 60;

/**
 * Rotates the active org's dedicated signing key. The retired key verifies for one more access-token
 * lifetime of the org's policy. Raises BAD_USER_INPUT for an org without a dedicated key.
 */
export async function rotateOrganizationSigningKey(ctx: RequestScope): Promise<string> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  const policy = resolvePolicy(org.tier, org.policyOverrides);
  if (!policy.dedicatedSigningKey) throw badInput('This organization signs with the global key: turn on dedicatedSigningKey first');
  const now = ctx.app.now();
  // Sessions of the org may carry the longest TTL of any policy they combined with; STANDARD's is the ceiling.
  const verifySeconds = TIER_FLOORS.STANDARD.accessTokenTtlSeconds + KEY_RETIREMENT_SLACK_SECONDS;
  const { retired, active } = await rotateSigningKey(ctx.em, ctx.app.config.kek, org.id, verifySeconds, now);
  const keys = ctx.app.keys;
  if (retired) ctx.tx.afterCommit(() => keys.noteRetired(retired, now, new Date(now.getTime() + verifySeconds * 1000)));
  await recordAndCountEvent(ctx, { type: 'SIGNING_KEY_ROTATED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { retired, active } }, now, org.tier);
  return active;
}
