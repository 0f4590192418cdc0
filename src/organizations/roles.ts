import type { Role } from './membership.entity.ts';

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
