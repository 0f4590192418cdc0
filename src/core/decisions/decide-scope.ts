import { ErrorCode } from '../errors.ts';
import type { SessionPolicy } from '../policy/session-policy.ts';
import type { Role, Tier } from '../vocabulary.ts';
import type { TokenRefusal } from './token-refusals.ts';

/** The claims of a verified access token that decide its scope (platform/tokens/claims.ts has them all). */
export interface ScopeClaims {
  readonly sub: string;
  readonly sid: string;
  readonly org_id?: string | undefined;
  readonly auth_time: number;
  readonly amr: readonly string[];
  readonly scope?: string | undefined;
  readonly client_id: string;
  readonly act?: { readonly sub: string } | undefined;
}

/**
 * The only tenant value any layer after the context may read (docs/ARCHITECTURE.md step 4). Built from
 * verified claims plus live session and membership state, never from headers, arguments or variables.
 */
export interface TenantScope {
  /** The active organization, or null: no org_id claim, or the membership has ended. */
  readonly orgId: string | null;
  readonly userId: string;
  readonly sessionId: string;
  readonly role: Role | null;
  readonly tier: Tier | null;
  /** The active organization's effective policy (null without one). */
  readonly policy: SessionPolicy | null;
  /** Session-per-org: the only org this session may ever serve. */
  readonly boundOrgId: string | null;
  /** When this session last passed MFA (live from the database), or null. */
  readonly mfaAt: Date | null;
  readonly authTime: number;
  readonly amr: readonly string[];
  /** Who holds the token: a person, an agent acting for one (delegateToAgent), or a service account. */
  readonly principal: Principal;
  /** The token's scopes for agents and service accounts; null for a person (the role governs). */
  readonly scopes: readonly string[] | null;
  /** `act.sub` of a delegated token (`agent:<name>`), else null. */
  readonly actor: string | null;
}

export type Principal = 'user' | 'agent' | 'service';

/** A service account's client id, `sa.<org id>.<account id>`, parsed. */
export interface ServiceClient {
  readonly orgId: string;
  readonly accountId: string;
}

/** What the database says about a service token's account right now (loadServiceLiveState). */
export interface ServiceLiveState {
  readonly account: { readonly revokedAt: Date | null; readonly scopes: readonly string[] } | null;
  /** The owning org, when the transaction's tenant is it. */
  readonly org: { readonly tier: Tier; readonly policy: SessionPolicy } | null;
  readonly orgHasDedicatedKey: boolean;
}

/** What the database says about the token's session and membership right now. */
export interface LiveState {
  readonly session: {
    readonly userId: string;
    readonly revokedAt: Date | null;
    readonly expiresAt: Date;
    readonly idleExpiresAt: Date;
    readonly boundOrgId: string | null;
    readonly mfaAt: Date | null;
  } | null;
  /** The membership of (sub, org_id), when the token names an org and the user is still a member. */
  readonly membership: { readonly role: Role; readonly tier: Tier; readonly policy: SessionPolicy } | null;
  /** The claimed org has (or had) its own signing key: tokens for it must be signed by one of them. */
  readonly orgHasDedicatedKey: boolean;
}

export interface VerifiedToken {
  readonly claims: ScopeClaims;
  /** The org of the dedicated key that signed the token; null for the global key. */
  readonly keyOwnerOrgId: string | null;
}

export type ScopeDecision =
  | { readonly kind: 'scope'; readonly scope: TenantScope }
  | {
      readonly kind: 'deny';
      readonly code: typeof ErrorCode.UNAUTHENTICATED | typeof ErrorCode.SESSION_REVOKED | typeof ErrorCode.SESSION_EXPIRED;
      readonly message: string;
      /** Why, for the log and the tests: the client hears `code` and `message` only. */
      readonly reason: TokenRefusal;
    };

/**
 * Decides the request's tenant scope. Pure: table-tested in test/unit/tenant-scope.test.ts.
 * - the session named by `sid` must exist, belong to `sub`, and be neither revoked nor past its idle
 *   or absolute end;
 * - a bound session (session-per-org) only ever serves its own org;
 * - an org with a dedicated signing key accepts only tokens signed by its own key (a token signed
 *   with the global key, or another org's, is refused even if the signature is valid);
 * - an org whose policy isolates sessions is the tenant only for a session bound to it;
 * - `org_id` becomes the active tenant only while the membership is live; otherwise the request is
 *   served without a tenant, so every tenant-owned read fails closed (removeMember takes effect at once).
 */
export function decideScope(token: VerifiedToken, live: LiveState, now: Date): ScopeDecision {
  const { claims } = token;
  const session = live.session;
  if (!session) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'session_missing');
  if (session.userId !== claims.sub) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'session_of_other_user');
  if (session.revokedAt) return deny(ErrorCode.SESSION_REVOKED, 'Session revoked', 'session_revoked');
  if (Math.min(session.expiresAt.getTime(), session.idleExpiresAt.getTime()) <= now.getTime()) return deny(ErrorCode.SESSION_EXPIRED, 'Session expired', 'session_expired');
  const orgId = claims.org_id ?? null;
  if (session.boundOrgId && orgId !== session.boundOrgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'bound_to_other_org');
  if (token.keyOwnerOrgId !== null && token.keyOwnerOrgId !== orgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'key_of_other_org');
  if (orgId !== null && live.orgHasDedicatedKey && token.keyOwnerOrgId !== orgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'org_needs_its_dedicated_key');
  // An org under session-per-org (isolatedSession) is served only to a session bound to it, even if
  // it turned isolation on after this session entered it.
  const isolatedElsewhere = live.membership?.policy.isolatedSession === true && session.boundOrgId !== orgId;
  const member = orgId !== null && !isolatedElsewhere ? live.membership : null;
  return {
    kind: 'scope',
    scope: Object.freeze({
      orgId: member ? orgId : null,
      userId: claims.sub,
      sessionId: claims.sid,
      role: member?.role ?? null,
      tier: member?.tier ?? null,
      policy: member?.policy ?? null,
      boundOrgId: session.boundOrgId,
      mfaAt: session.mfaAt,
      authTime: claims.auth_time,
      amr: Object.freeze([...claims.amr]),
      principal: claims.act ? 'agent' : 'user',
      scopes: claims.act ? Object.freeze(splitScope(claims.scope)) : null,
      actor: claims.act?.sub ?? null,
    }),
  };
}

/** `scope` claim → list (empty when absent). */
export function splitScope(scope: string | undefined): string[] {
  return scope ? scope.split(' ').filter(Boolean) : [];
}

/**
 * Decides the scope of a service account's token (client credentials, issue 7). Pure.
 * - `sid` names the service account row (as `sub` does): it must exist in the token's org and not
 *   be revoked, checked live on every request, so revokeServiceAccount takes effect at the next one;
 * - the token is bound to the org named in its client_id: it never serves another;
 * - dedicated signing keys bind as for people;
 * - the effective scopes are the token's, narrowed to what the account holds now.
 */
export function decideServiceScope(token: VerifiedToken, client: ServiceClient, live: ServiceLiveState): ScopeDecision {
  const { claims } = token;
  const orgId = claims.org_id ?? null;
  // The token is bound to the client id it was issued to: its org and its account, and no one acts through it.
  if (orgId === null || orgId !== client.orgId || claims.sid !== client.accountId || claims.sid !== claims.sub || claims.act) {
    return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'service_client_mismatch');
  }
  if (!live.account) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'service_account_missing');
  if (live.account.revokedAt) return deny(ErrorCode.SESSION_REVOKED, 'Service account revoked', 'service_account_revoked');
  if (token.keyOwnerOrgId !== null && token.keyOwnerOrgId !== orgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'key_of_other_org');
  if (live.orgHasDedicatedKey && token.keyOwnerOrgId !== orgId) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'org_needs_its_dedicated_key');
  if (!live.org) return deny(ErrorCode.UNAUTHENTICATED, 'Invalid access token', 'service_org_missing');
  const held = new Set(live.account.scopes);
  return {
    kind: 'scope',
    scope: Object.freeze({
      orgId,
      userId: claims.sub,
      sessionId: claims.sid,
      role: null,
      tier: live.org.tier,
      policy: live.org.policy,
      boundOrgId: orgId,
      mfaAt: null,
      authTime: claims.auth_time,
      amr: Object.freeze([...claims.amr]),
      principal: 'service' as const,
      scopes: Object.freeze(splitScope(claims.scope).filter((s) => held.has(s))),
      actor: null,
    }),
  };
}

function deny(code: Extract<ScopeDecision, { kind: 'deny' }>['code'], message: string, reason: TokenRefusal): ScopeDecision {
  return { kind: 'deny', code, message, reason };
}
