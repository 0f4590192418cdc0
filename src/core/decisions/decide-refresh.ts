import type { RetiredBy } from '../vocabulary.ts';

/** What the database says about the presented refresh token, read under the user's lock. */
export interface PresentedToken {
  readonly expiresAt: Date;
  readonly rotatedAt: Date | null;
  readonly retiredBy: RetiredBy | null;
  /** The successor derived from this token exists and is the family's live token. */
  readonly successorIsLive: boolean;
}

/** The presented token's successor as the database has it, and the successor a refresh would derive from it. */
export interface SuccessorFacts {
  readonly retiredBy: RetiredBy | null;
  /** The token whose parent is the presented one, in its family; null when there is none. */
  readonly successor: { readonly rotatedAt: Date | null; readonly tokenHash: string } | null;
  /** The hash of the successor derived from the presented token (successorToken). */
  readonly derivedSuccessorHash: string;
}

/**
 * Whether the presented token's successor is the family's live token, so that a retry within the
 * leeway may be answered. Pure: table-tested in test/unit/decide-refresh.test.ts. A refresh's
 * successor is derived from the presented token (a retry hands out that very token), so it must be
 * the derived one; a switch's is random, and only its liveness counts (the retry is refused as
 * superseded anyway).
 */
export function successorIsLive(facts: SuccessorFacts): boolean {
  if (!facts.successor || facts.successor.rotatedAt) return false;
  return facts.retiredBy === 'switch' || facts.successor.tokenHash === facts.derivedSuccessorHash;
}

export interface FamilyState {
  readonly revokedAt: Date | null;
  /** The session's absolute end. */
  readonly expiresAt: Date;
}

export type RefreshDecision =
  /** The live token: retire it and issue its successor. */
  | { readonly kind: 'rotate' }
  /** The token rotated a moment ago (lost response, a second tab): hand out the same successor again. */
  | { readonly kind: 'retry' }
  /** A retired token outside the leeway, or any older one: theft (RFC 9700 section 4.14.2). */
  | { readonly kind: 'reuse' }
  /** Retired a moment ago by an org switch: its successor went to that switch only. Refused, not theft. */
  | { readonly kind: 'superseded' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'revoked' };

/**
 * Decides what presenting a refresh token does. Pure: table-tested in test/unit/decide-refresh.test.ts.
 *
 * A revoked family stays revoked. A retired token is reuse unless it was retired less than the
 * leeway ago and its own successor is still the live token (so a retry never revives a branch the
 * chain has moved past; with a leeway of 0 there is no retry at all). The live token rotates until
 * the idle end (its own expiry) or the session's absolute end.
 */
export function decideRefresh(token: PresentedToken, family: FamilyState, leewaySeconds: number, now: Date): RefreshDecision {
  const t = now.getTime();
  if (family.revokedAt) return { kind: 'revoked' };
  if (token.rotatedAt) {
    // A leeway of 0 allows no retry at all, even when another instance's clock is a little ahead.
    const withinLeeway = leewaySeconds > 0 && t - token.rotatedAt.getTime() < leewaySeconds * 1000;
    if (!withinLeeway || !token.successorIsLive) return { kind: 'reuse' };
    if (token.retiredBy === 'switch') return { kind: 'superseded' };
    return t >= family.expiresAt.getTime() ? { kind: 'expired' } : { kind: 'retry' };
  }
  if (t >= family.expiresAt.getTime() || t >= token.expiresAt.getTime()) return { kind: 'expired' };
  return { kind: 'rotate' };
}
