import { and, rule, type IRule } from 'graphql-shield';
import { decideScopeGrant } from '../../core/decisions/decide-scope-grant.ts';
import { mfaIsFresh } from '../../core/decisions/decide-entry.ts';
import { AppError, ErrorCode, forbidden, unauthenticated } from '../../core/errors.ts';
import { hasAtLeast } from '../../core/roles.ts';
import type { Role } from '../../core/vocabulary.ts';
import type { ShieldRule } from '../modules.ts';
import type { RequestScope } from '../request-scope.ts';

/*
 * The rules modules build their shield rules from: one permission per rule (STYLE rule 7).
 * `contextual` rules depend only on the request's scope, so graphql-shield evaluates them once per
 * request; `strict` ones depend on the parent object or the arguments. The API layer assembles every
 * module's rules with deny as the fallback (src/api/graphql/shield.ts).
 */

/** A verified access token with a live session. */
export const isSignedIn = rule({ cache: 'contextual' })((_p, _a, ctx: RequestScope) => ctx.scope !== null || unauthenticated());

/** An active organization whose membership is live (TenantScope.orgId is set only then). */
export const isMember = rule({ cache: 'contextual' })((_p, _a, ctx: RequestScope) => (ctx.scope?.orgId ? true : forbidden('No active organization')));

const roleRules = new Map<Role, IRule>();
/** At least `role` in the active organization (OWNER includes ADMIN includes MEMBER). */
export function hasRole(role: Role): IRule {
  let r = roleRules.get(role);
  if (!r) {
    r = rule(`hasRole_${role}`, { cache: 'contextual' })((_p, _a, ctx: RequestScope) => (hasAtLeast(ctx.scope?.role, role) ? true : forbidden(`Requires the ${role} role`)));
    roleRules.set(role, r);
  }
  return r;
}

/**
 * A person acting for themselves: not a service account's token, not an agent's delegated token.
 * Switching orgs, sessions, members, MFA, policy, keys, service accounts and delegation need it.
 */
export const isHuman = rule({ cache: 'contextual' })((_p, _a, ctx: RequestScope) => (ctx.scope?.principal === 'user' ? true : forbidden('Not available to service accounts or agents')));

const scopeRules = new Map<string, IRule>();
/**
 * OAuth scope `scope` (a module declares it with the least role it needs). A person needs that role;
 * a service token needs the scope among its own; an agent's token needs it among its own and within
 * what the delegating user's live role allows (a demotion narrows the agent at once). decideScopeGrant
 * decides.
 */
export function hasScope(scope: string): IRule {
  let r = scopeRules.get(scope);
  if (!r) {
    r = rule(`hasScope_${scope.replace(/\W/g, '_')}`, { cache: 'contextual' })((_p, _a, ctx: RequestScope) => {
      if (!ctx.scope) return unauthenticated();
      const registry = ctx.app.scopes;
      const grant = decideScopeGrant(ctx.scope, scope, registry.minimumRole(scope) ?? null, registry.ofRole(ctx.scope.role));
      return grant.kind === 'grant' ? true : forbidden(grant.kind === 'role' ? `Requires the ${registry.minimumRole(scope)} role` : `Requires the ${scope} scope`);
    });
    scopeRules.set(scope, r);
  }
  return r;
}

const peopleRoleRules = new Map<Role, IRule>();
/** `hasRole(role)` for people and agents (the delegating user's role); service accounts have no role, their scopes govern. */
export function hasRoleUnlessService(role: Role): IRule {
  let r = peopleRoleRules.get(role);
  if (!r) {
    r = rule(`hasRoleUnlessService_${role}`, { cache: 'contextual' })((_p, _a, ctx: RequestScope) =>
      ctx.scope?.principal === 'service' || hasAtLeast(ctx.scope?.role, role) ? true : forbidden(`Requires the ${role} role`),
    );
    peopleRoleRules.set(role, r);
  }
  return r;
}

/** The parent Organization is the active one. */
export const isActiveOrganization = rule({ cache: 'strict' })((parent: { id: string }, _a, ctx: RequestScope) =>
  parent.id === ctx.scope?.orgId ? true : forbidden('Readable for the active organization only'),
);

/**
 * MFA as fresh as the active organization's policy asks (its mfaMaxAgeSeconds), for operations that
 * change the org's security: passing it again means switchOrganization(sameOrg, mfaCode).
 */
export const mfaFresh = rule({ cache: 'contextual' })((_p, _a, ctx: RequestScope) =>
  !ctx.scope?.policy || mfaIsFresh(ctx.scope.policy, ctx.scope.mfaAt, ctx.app.now())
    ? true
    : new AppError(ErrorCode.MFA_REQUIRED, 'This operation needs a recent MFA: switchOrganization to this organization with mfaCode'),
);

/** A session bound to one organization (session-per-org) never acts for another: switching needs a new sign-in. */
export const notBoundElsewhere = rule({ cache: 'strict' })((_p, args: { organizationId?: string }, ctx: RequestScope) =>
  !ctx.scope?.boundOrgId || ctx.scope.boundOrgId === args.organizationId
    ? true
    : new AppError(ErrorCode.REAUTHENTICATION_REQUIRED, 'This session is bound to its organization: sign in to the other organization'),
);

/** A person's own token. */
export const person = and(isSignedIn, isHuman);
/** An ADMIN or OWNER of the active organization, in person. */
export const tenantAdmin = and(isSignedIn, isHuman, isMember, hasRole('ADMIN'));
/** Reads or writes of a tenant-owned type: a member of the active org holding the type's scope (its role, for a person). */
export const tenantScope = (scope: string): ShieldRule => and(isSignedIn, isMember, hasScope(scope));
