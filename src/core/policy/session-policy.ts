import type { Tier } from '../vocabulary.ts';

export interface SessionPolicy {
  readonly accessTokenTtlSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly mfaRequired: boolean;
  /** 0 with mfaRequired: MFA at that very sign-in. */
  readonly mfaMaxAgeSeconds: number;
  readonly isolatedSession: boolean;
  readonly dedicatedSigningKey: boolean;
  readonly refreshReuseLeewaySeconds: number;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The tier floors of docs/API.md. An organization may tighten them, never loosen them. */
export const TIER_FLOORS: Readonly<Record<Tier, SessionPolicy>> = Object.freeze({
  STANDARD: Object.freeze({
    accessTokenTtlSeconds: 15 * MINUTE,
    idleTimeoutSeconds: 7 * DAY,
    absoluteTimeoutSeconds: 30 * DAY,
    mfaRequired: false,
    mfaMaxAgeSeconds: 0,
    isolatedSession: false,
    dedicatedSigningKey: false,
    refreshReuseLeewaySeconds: 10,
  }),
  CONFIDENTIAL: Object.freeze({
    accessTokenTtlSeconds: 5 * MINUTE,
    idleTimeoutSeconds: 8 * HOUR,
    absoluteTimeoutSeconds: 24 * HOUR,
    mfaRequired: true,
    mfaMaxAgeSeconds: 12 * HOUR,
    isolatedSession: false,
    dedicatedSigningKey: true,
    refreshReuseLeewaySeconds: 2,
  }),
  REGULATED: Object.freeze({
    accessTokenTtlSeconds: 2 * MINUTE,
    idleTimeoutSeconds: 15 * MINUTE,
    absoluteTimeoutSeconds: 8 * HOUR,
    mfaRequired: true,
    mfaMaxAgeSeconds: 0,
    isolatedSession: true,
    dedicatedSigningKey: true,
    refreshReuseLeewaySeconds: 0,
  }),
});

/** The policy of a session that has entered no organization yet: the STANDARD floor. */
export const NO_ORG_POLICY: SessionPolicy = TIER_FLOORS.STANDARD;

/**
 * The strictest of several policies, field by field: shorter durations, MFA and isolation if any
 * requires them. "Strictest wins" (docs/ARCHITECTURE.md, Sessions). An MFA age of 0 under mfaRequired
 * means "at sign-in", the strictest possible.
 */
export function strictestPolicy(policies: readonly SessionPolicy[]): SessionPolicy {
  if (policies.length === 0) return NO_ORG_POLICY;
  const min = (pick: (p: SessionPolicy) => number) => Math.min(...policies.map(pick));
  const any = (pick: (p: SessionPolicy) => boolean) => policies.some(pick);
  const mfaRequired = any((p) => p.mfaRequired);
  return {
    accessTokenTtlSeconds: min((p) => p.accessTokenTtlSeconds),
    idleTimeoutSeconds: min((p) => p.idleTimeoutSeconds),
    absoluteTimeoutSeconds: min((p) => p.absoluteTimeoutSeconds),
    mfaRequired,
    mfaMaxAgeSeconds: mfaRequired ? Math.min(...policies.filter((p) => p.mfaRequired).map((p) => p.mfaMaxAgeSeconds)) : 0,
    isolatedSession: any((p) => p.isolatedSession),
    dedicatedSigningKey: any((p) => p.dedicatedSigningKey),
    refreshReuseLeewaySeconds: min((p) => p.refreshReuseLeewaySeconds),
  };
}

/** What an organization has tightened beyond its tier's floor (stored as JSON on the org). */
export type PolicyOverrides = Partial<SessionPolicy>;

const DURATION_FIELDS = ['accessTokenTtlSeconds', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'refreshReuseLeewaySeconds'] as const;
const FLAG_FIELDS = ['mfaRequired', 'isolatedSession', 'dedicatedSigningKey'] as const;

/** Lower bounds that keep a tightened policy usable (an access token of 1 s helps nobody). */
export const POLICY_MINIMUMS = Object.freeze({
  accessTokenTtlSeconds: 60,
  idleTimeoutSeconds: 5 * MINUTE,
  absoluteTimeoutSeconds: 15 * MINUTE,
  refreshReuseLeewaySeconds: 0,
  mfaMaxAgeSeconds: 0,
});
/** The longest MFA freshness an org that opts into MFA may ask for. */
export const MAX_MFA_AGE_SECONDS = 30 * DAY;

/**
 * An organization's effective policy: its tier's floor, tightened by its overrides. Pure. An override
 * that would loosen the floor is ignored (checkPolicyUpdate refuses to store one; this keeps a
 * hand-edited row from loosening anything either).
 */
export function resolvePolicy(tier: Tier, overrides: PolicyOverrides = {}): SessionPolicy {
  const floor = TIER_FLOORS[tier];
  const policy: { -readonly [K in keyof SessionPolicy]: SessionPolicy[K] } = { ...floor };
  for (const f of DURATION_FIELDS) {
    const v = overrides[f];
    if (typeof v === 'number' && Number.isInteger(v) && v >= POLICY_MINIMUMS[f] && v < floor[f]) policy[f] = v;
  }
  for (const f of FLAG_FIELDS) if (overrides[f] === true) policy[f] = true;
  const age = overrides.mfaMaxAgeSeconds;
  if (policy.mfaRequired) {
    const ceiling = floor.mfaRequired ? floor.mfaMaxAgeSeconds : MAX_MFA_AGE_SECONDS;
    // 0 means "MFA at that very sign-in": only meaningful for a session-per-org policy.
    const valid = typeof age === 'number' && Number.isInteger(age) && ((age > 0 && age <= ceiling) || (age === 0 && policy.isolatedSession));
    if (valid) policy.mfaMaxAgeSeconds = age;
    else if (!floor.mfaRequired) policy.mfaMaxAgeSeconds = TIER_FLOORS.CONFIDENTIAL.mfaMaxAgeSeconds; // opted in without an age
  }
  if (policy.absoluteTimeoutSeconds < policy.idleTimeoutSeconds) policy.idleTimeoutSeconds = policy.absoluteTimeoutSeconds;
  return policy;
}

export type PolicyUpdate = { readonly ok: true; readonly overrides: PolicyOverrides; readonly policy: SessionPolicy } | { readonly ok: false; readonly field: string; readonly reason: string };

/**
 * Checks a requested policy (fields not given keep their current override) against the tier's floor.
 * Pure. Refuses anything looser than the floor, below the usable minimums, or inconsistent; the
 * caller turns a refusal into BAD_USER_INPUT.
 */
export function checkPolicyUpdate(tier: Tier, current: PolicyOverrides, input: PolicyOverrides): PolicyUpdate {
  const floor = TIER_FLOORS[tier];
  const merged: PolicyOverrides = { ...current };
  for (const [k, v] of Object.entries(input) as [keyof SessionPolicy, unknown][]) {
    if (v !== undefined && v !== null) (merged as Record<string, unknown>)[k] = v;
  }
  // Turning opt-in MFA off also drops its stored age, unless the same request sets a new one.
  if (input.mfaRequired === false && (input.mfaMaxAgeSeconds === undefined || input.mfaMaxAgeSeconds === null)) {
    delete (merged as { mfaMaxAgeSeconds?: number }).mfaMaxAgeSeconds;
  }
  const refuse = (field: string, reason: string): PolicyUpdate => ({ ok: false, field, reason });
  for (const f of DURATION_FIELDS) {
    const v = merged[f];
    if (v === undefined) continue;
    if (!Number.isInteger(v)) return refuse(f, 'must be a whole number of seconds');
    if (v > floor[f]) return refuse(f, `may not exceed the ${tier} floor of ${floor[f]}`);
    if (v < POLICY_MINIMUMS[f]) return refuse(f, `must be at least ${POLICY_MINIMUMS[f]}`);
  }
  for (const f of FLAG_FIELDS) {
    if (merged[f] === false && floor[f]) return refuse(f, `is required by the ${tier} tier`);
  }
  const mfaRequired = merged.mfaRequired === true || floor.mfaRequired;
  const isolated = merged.isolatedSession === true || floor.isolatedSession;
  const age = merged.mfaMaxAgeSeconds;
  if (age !== undefined) {
    if (!Number.isInteger(age) || age < 0) return refuse('mfaMaxAgeSeconds', 'must be a whole number of seconds, 0 or more');
    if (!mfaRequired) return refuse('mfaMaxAgeSeconds', 'applies only when mfaRequired is true');
    const ceiling = floor.mfaRequired ? floor.mfaMaxAgeSeconds : MAX_MFA_AGE_SECONDS;
    if (age > ceiling) return refuse('mfaMaxAgeSeconds', `may not exceed ${ceiling}`);
    if (age === 0 && !isolated) return refuse('mfaMaxAgeSeconds', '0 (MFA at sign-in) requires isolatedSession');
  }
  // An idle timeout left at the floor follows a shorter absolute lifetime down (resolvePolicy clamps
  // it); only an explicit idle timeout longer than the lifetime is a contradiction.
  const absolute = merged.absoluteTimeoutSeconds ?? floor.absoluteTimeoutSeconds;
  if (merged.idleTimeoutSeconds !== undefined && merged.idleTimeoutSeconds > absolute) {
    return refuse('idleTimeoutSeconds', 'may not exceed absoluteTimeoutSeconds');
  }
  const overrides = Object.fromEntries(Object.entries(merged).filter(([k, v]) => (floor as unknown as Record<string, unknown>)[k] !== v)) as PolicyOverrides;
  return { ok: true, overrides, policy: resolvePolicy(tier, overrides) };
}
