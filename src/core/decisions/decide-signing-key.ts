/** An unretired signing key: the global one (owner null) or an org's dedicated one. */
export interface ActiveKey {
  readonly kid: string;
  readonly ownerOrgId: string | null;
}

export type SigningKeyDecision =
  /** Sign with this key. */
  | { readonly kind: 'use'; readonly kid: string }
  /** The org's policy needs a key of its own and it has none yet: create it, then sign with it. */
  | { readonly kind: 'create_dedicated' }
  /** No global key: the installation is broken (start-up creates it). */
  | { readonly kind: 'none' };

/**
 * Which key signs a token for `orgId` (null: a token without an org)? Pure: table-tested in
 * test/unit/decisions.test.ts. The org's own unretired key when it has one; otherwise, when its
 * policy asks for a dedicated key, a new one; otherwise the global key. The caller reads `active` from
 * the database at every issuance (never from a cache), so a retired key never signs and an org with a
 * key of its own never gets the global one.
 */
export function decideSigningKey(orgId: string | null, dedicatedRequired: boolean, active: readonly ActiveKey[]): SigningKeyDecision {
  const own = orgId ? active.find((k) => k.ownerOrgId === orgId) : undefined;
  if (own) return { kind: 'use', kid: own.kid };
  if (orgId && dedicatedRequired) return { kind: 'create_dedicated' };
  const global = active.find((k) => k.ownerOrgId === null);
  return global ? { kind: 'use', kid: global.kid } : { kind: 'none' };
}

/**
 * Must the org get a dedicated key now? Pure. When its effective policy asks for one and it has no
 * unretired key of its own: at creation of a CONFIDENTIAL or REGULATED org, when a policy turns
 * dedicatedSigningKey on, when a tier is raised.
 */
export function needsDedicatedKey(dedicatedRequired: boolean, hasOwnActiveKey: boolean): boolean {
  return dedicatedRequired && !hasOwnActiveKey;
}
