import { forbidden, unauthenticated } from '../../core/errors.ts';
import type { TenantScope } from '../../core/decisions/decide-scope.ts';

/** The signed-in scope. Raises UNAUTHENTICATED for an anonymous request. */
export function requireSignedIn(scope: TenantScope | null): TenantScope {
  if (!scope) throw unauthenticated();
  return scope;
}

/** The active organization's id. Raises UNAUTHENTICATED / FORBIDDEN (no active organization). */
export function requireTenant(scope: TenantScope | null): TenantScope & { readonly orgId: string } {
  const s = requireSignedIn(scope);
  if (!s.orgId) throw forbidden('No active organization');
  return s as TenantScope & { orgId: string };
}
