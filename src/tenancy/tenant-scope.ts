import type { AccessClaims } from '../auth/tokens/claims.ts';
import { ErrorCode } from '../errors.ts';
import type { Role } from '../organizations/membership.entity.ts';
import type { Tier } from '../organizations/organization.entity.ts';

/**
 * The only tenant value any layer after the context may read (ARCHITECTURE.md step 4). Built from
 * verified claims plus live session and membership state, never from headers, arguments or variables.
 */
export interface TenantScope {
  /** The active organization, or null: no org_id claim, or the membership has ended. */
  readonly orgId: string | null;
  readonly userId: string;
  readonly sessionId: string;
  readonly role: Role | null;
  readonly tier: Tier | null;
  readonly authTime: number;
  readonly amr: readonly string[];
}

/** What the database says about the token's session and membership right now. */
export interface LiveState {
  readonly session: { readonly userId: string; readonly revokedAt: Date | null; readonly expiresAt: Date; readonly idleExpiresAt: Date; readonly boundOrgId: string | null } | null;
  /** The membership of (sub, org_id), when the token names an org and the user is still a member. */
  readonly membership: { readonly role: Role; readonly tier: Tier } | null;
}

export type ScopeDecision =
  | { readonly kind: 'scope'; readonly scope: TenantScope }
  | { readonly kind: 'deny'; readonly code: typeof ErrorCode.UNAUTHENTICATED | typeof ErrorCode.SESSION_REVOKED | typeof ErrorCode.SESSION_EXPIRED; readonly message: string };

/**
 * Decides the request's tenant scope. Pure: table-tested in test/unit/tenant-scope.test.ts.
 * - the session named by `sid` must exist, belong to `sub`, and be neither revoked nor past its idle
 *   or absolute end;
 * - a bound session (session-per-org) only ever serves its own org;
 * - `org_id` becomes the active tenant only while the membership is live; otherwise the request is
 *   served without a tenant, so every tenant-owned read fails closed (removeMember takes effect at once).
 */
export function decideScope(claims: AccessClaims, live: LiveState, now: Date): ScopeDecision {
  const session = live.session;
  if (!session || session.userId !== claims.sub) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token');
  if (session.revokedAt) return deny(ErrorCode.SESSION_REVOKED, 'Session revoked');
  if (Math.min(session.expiresAt.getTime(), session.idleExpiresAt.getTime()) <= now.getTime()) return deny(ErrorCode.SESSION_EXPIRED, 'Session expired');
  const orgId = claims.org_id ?? null;
  if (session.boundOrgId && orgId !== session.boundOrgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token');
  const member = orgId !== null ? live.membership : null;
  return {
    kind: 'scope',
    scope: Object.freeze({
      orgId: member ? orgId : null,
      userId: claims.sub,
      sessionId: claims.sid,
      role: member?.role ?? null,
      tier: member?.tier ?? null,
      authTime: claims.auth_time,
      amr: Object.freeze([...claims.amr]),
    }),
  };
}

function deny(code: Extract<ScopeDecision, { kind: 'deny' }>['code'], message: string): ScopeDecision {
  return { kind: 'deny', code, message };
}
