import type { Role } from './vocabulary.ts';

/** Rank of each role: a higher rank includes every permission of a lower one. */
export const ROLE_RANK = { MEMBER: 1, ADMIN: 2, OWNER: 3 } as const satisfies Record<Role, number>;

export function hasAtLeast(actual: Role | null | undefined, required: Role): boolean {
  return actual != null && ROLE_RANK[actual] >= ROLE_RANK[required];
}

/** Only an OWNER may grant OWNER; ADMIN and OWNER may grant ADMIN or MEMBER. */
export function canAssignRole(actor: Role, granted: Role): boolean {
  return hasAtLeast(actor, 'ADMIN') && ROLE_RANK[actor] >= ROLE_RANK[granted];
}

/** ADMIN and OWNER may remove members of their rank or below. */
export function canRemoveMember(actor: Role, target: Role): boolean {
  return hasAtLeast(actor, 'ADMIN') && ROLE_RANK[actor] >= ROLE_RANK[target];
}

/** What removeMember may do, decided under the organization's membership lock. */
export type MemberRemoval =
  | { readonly kind: 'remove' }
  /** The target is not a member of the org. */
  | { readonly kind: 'not_member' }
  /** The actor is no longer a member, is not ADMIN or above, or is an ADMIN removing an OWNER. */
  | { readonly kind: 'forbidden' }
  /** The target is the org's only OWNER: an org always keeps one. */
  | { readonly kind: 'last_owner' };

export interface MemberRemovalInput {
  /** The actor's role read live under the lock (null: the actor has been removed meanwhile). */
  readonly actorRole: Role | null;
  /** The target's role read live under the lock (null: not a member). */
  readonly targetRole: Role | null;
  /** OWNERs of the org, read live under the lock. */
  readonly owners: number;
}

/**
 * The last-owner rule (issue 15). Pure: table-tested in test/unit/roles.test.ts. Its inputs must be
 * read under the org's membership lock (lockMemberships): two owners removing each other at once
 * then decide one after the other, and the second finds itself removed or the other the last owner.
 */
export function decideMemberRemoval(input: MemberRemovalInput): MemberRemoval {
  if (!input.actorRole || !hasAtLeast(input.actorRole, 'ADMIN')) return { kind: 'forbidden' };
  if (!input.targetRole) return { kind: 'not_member' };
  if (!canRemoveMember(input.actorRole, input.targetRole)) return { kind: 'forbidden' };
  if (input.targetRole === 'OWNER' && input.owners <= 1) return { kind: 'last_owner' };
  return { kind: 'remove' };
}
