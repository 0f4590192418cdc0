/** What the database holds of a service account, for the client credentials grant. */
export interface ClientAccount {
  readonly revokedAt: Date | null;
  /** The previous secret keeps working until then (the rotation grace), or null. */
  readonly previousSecretExpiresAt: Date | null;
  readonly hasPreviousSecret: boolean;
}

export type ClientSecretDecision =
  /** The current secret. */
  | { readonly kind: 'current' }
  /** The previous secret, within its rotation grace. */
  | { readonly kind: 'previous' }
  /** No account, a revoked one, a wrong secret, or the previous one past its grace: invalid_client, one answer for all. */
  | { readonly kind: 'invalid_client' };

/**
 * Does the presented secret authenticate the client? Pure: table-tested in
 * test/unit/decisions.test.ts. The I/O around it compares the hashes in constant time and passes
 * which of them matched; this decides what a match is worth.
 */
export function decideClientSecret(account: ClientAccount | null, matches: { readonly current: boolean; readonly previous: boolean }, now: Date): ClientSecretDecision {
  if (!account || account.revokedAt) return { kind: 'invalid_client' };
  if (matches.current) return { kind: 'current' };
  const inGrace = account.hasPreviousSecret && account.previousSecretExpiresAt !== null && account.previousSecretExpiresAt.getTime() > now.getTime();
  return inGrace && matches.previous ? { kind: 'previous' } : { kind: 'invalid_client' };
}

export type ScopeNarrowing = { readonly kind: 'scopes'; readonly scopes: readonly string[] } | { readonly kind: 'invalid_scope' };

/**
 * The scopes a client-credentials token gets: all the account holds, or, with a `scope` parameter,
 * the ones asked for when every one of them is held (RFC 6749 section 3.3). Pure.
 */
export function narrowScopes(held: readonly string[], requested: string | undefined): ScopeNarrowing {
  if (requested === undefined) return { kind: 'scopes', scopes: [...held] };
  const asked = [...new Set(requested.split(' ').filter(Boolean))];
  if (asked.length === 0 || asked.some((s) => !held.includes(s))) return { kind: 'invalid_scope' };
  return { kind: 'scopes', scopes: asked };
}

export type DelegationTtl = { readonly kind: 'ok' } | { readonly kind: 'out_of_bounds'; readonly max: number };

/**
 * May a delegated (agent) token live `ttlSeconds`? Pure. At least 1 s, and at most the session's
 * and the org's access-token TTL, and never past the session's own end (`remainingSeconds`).
 */
export function decideDelegationTtl(ttlSeconds: number, bounds: { readonly sessionTtl: number; readonly orgTtl: number; readonly remainingSeconds: number }): DelegationTtl {
  const max = Math.min(bounds.sessionTtl, bounds.orgTtl, bounds.remainingSeconds);
  return Number.isInteger(ttlSeconds) && ttlSeconds >= 1 && ttlSeconds <= max ? { kind: 'ok' } : { kind: 'out_of_bounds', max: Math.max(1, max) };
}
