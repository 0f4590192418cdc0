import { hasAtLeast } from '../roles.ts';
import type { Role } from '../vocabulary.ts';
import type { TenantScope } from './decide-scope.ts';

export type ScopeGrant =
  | { readonly kind: 'grant' }
  /** A person (or the user behind an agent) without the role the scope needs. */
  | { readonly kind: 'role' }
  /** A token that does not carry the scope, or an unknown scope. */
  | { readonly kind: 'scope' };

/**
 * May this request use `scope`? Pure: table-tested in test/unit/decisions.test.ts.
 * - a person: their live role is at least the scope's minimum role (a MEMBER cannot delete what needs
 *   ADMIN, whatever module it is);
 * - a service account: the scope is among its token's scopes (narrowed to what the account holds now);
 * - an agent: the scope is among its token's scopes and among what the delegating user's live role
 *   holds (`roleScopes`), so a demotion narrows the agent at once.
 * An unknown scope (`minimumRole` null) is never granted.
 */
export function decideScopeGrant(scope: Pick<TenantScope, 'principal' | 'role' | 'scopes'>, name: string, minimumRole: Role | null, roleScopes: readonly string[]): ScopeGrant {
  if (minimumRole === null) return { kind: 'scope' };
  if (scope.principal === 'user') return hasAtLeast(scope.role, minimumRole) ? { kind: 'grant' } : { kind: 'role' };
  if (!scope.scopes?.includes(name)) return { kind: 'scope' };
  if (scope.principal === 'agent' && !roleScopes.includes(name)) return { kind: 'role' };
  return { kind: 'grant' };
}
