import type { PolicyOverrides, SessionPolicy } from '../../core/policy/session-policy.ts';
import { resolvePolicy } from '../../core/policy/session-policy.ts';
import type { Role, Tier } from '../../core/vocabulary.ts';

/**
 * An organization as the platform and every module but organizations see it: the tenant root's row.
 * The organizations module's entity has the same shape, so either answers a GraphQL Organization.
 */
export interface OrganizationView {
  readonly id: string;
  readonly name: string;
  readonly tier: Tier;
  /** What the org has tightened beyond its tier's floor; see resolvePolicy. */
  readonly policyOverrides: PolicyOverrides;
  readonly createdAt: Date;
}

/** An organization the user is entering or acting in, with their live role there. */
export interface Entered {
  readonly org: OrganizationView;
  readonly role: Role;
}

/** An organization's effective policy: its tier's floors, tightened by its overrides. */
export function policyOf(org: Pick<OrganizationView, 'tier' | 'policyOverrides'>): SessionPolicy {
  return resolvePolicy(org.tier, org.policyOverrides);
}
