import type { Tier } from '../vocabulary.ts';

export type InvitationDecision = { readonly kind: 'accept' } | { readonly kind: 'not_found' };

export interface InvitationFacts {
  readonly expiresAt: Date;
  readonly acceptedAt: Date | null;
  /** The invitee's address, stored lower-cased. */
  readonly email: string;
}

/**
 * May the signed-in user accept this invitation now? Pure: table-tested in
 * test/unit/decisions.test.ts. Only the addressee, only once, only before it expires; every refusal is
 * the same NOT_FOUND as for a token that names nothing, so a wrong guess learns nothing.
 */
export function decideInvitation(invitation: InvitationFacts | null, userEmail: string, now: Date): InvitationDecision {
  if (!invitation || invitation.acceptedAt || invitation.expiresAt.getTime() <= now.getTime()) return { kind: 'not_found' };
  return invitation.email === userEmail.toLowerCase() ? { kind: 'accept' } : { kind: 'not_found' };
}

const TIER_ORDER: Readonly<Record<Tier, number>> = { STANDARD: 0, CONFIDENTIAL: 1, REGULATED: 2 };

export type TierRaise = { readonly kind: 'raise' } | { readonly kind: 'refuse'; readonly reason: string };

/**
 * May an org go from `current` to `requested`? Pure: table-tested in test/unit/decisions.test.ts.
 * Only upwards (STANDARD < CONFIDENTIAL < REGULATED): lowering a tier would loosen every floor at once.
 */
export function decideTierRaise(current: Tier, requested: Tier): TierRaise {
  return TIER_ORDER[requested] > TIER_ORDER[current] ? { kind: 'raise' } : { kind: 'refuse', reason: `The tier can only be raised (it is ${current})` };
}
