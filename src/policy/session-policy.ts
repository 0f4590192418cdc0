import type { Tier } from '../organizations/organization.entity.ts';

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

/** The tier floors of ../shared/API.md. An organization may tighten them, never loosen them. */
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
 * requires them. "Strictest wins" (ARCHITECTURE.md, Sessions). An MFA age of 0 under mfaRequired
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
