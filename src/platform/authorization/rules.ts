import { allow, and, deny, rule, shield, type IRule, type IRules } from 'graphql-shield';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { IMiddlewareTypeMap } from 'graphql-middleware';
import { AppError, ErrorCode, forbidden, unauthenticated } from '../../core/errors.ts';
import { hasAtLeast } from '../../core/roles.ts';
import type { Role } from '../../modules/organizations/membership.entity.ts';
import type { RequestContext } from '../../api/graphql/context.ts';
import { mfaIsFresh } from '../../core/decisions/decide-entry.ts';
import { scopesOfRole } from '../../modules/service-accounts/service-account.service.ts';

/*
 * One permission per rule (STYLE rule 7). `contextual` rules depend only on the request's scope, so
 * graphql-shield evaluates them once per request; `strict` ones depend on the parent object.
 */

/** A verified access token with a live session. */
export const isSignedIn = rule({ cache: 'contextual' })((_p, _a, ctx: RequestContext) => ctx.scope !== null || unauthenticated());

/** An active organization whose membership is live (TenantScope.orgId is set only then). */
export const isMember = rule({ cache: 'contextual' })((_p, _a, ctx: RequestContext) =>
  ctx.scope?.orgId ? true : forbidden('No active organization'),
);

const roleRules = new Map<Role, IRule>();
/** At least `role` in the active organization (OWNER includes ADMIN includes MEMBER). */
export function hasRole(role: Role): IRule {
  let r = roleRules.get(role);
  if (!r) {
    r = rule(`hasRole_${role}`, { cache: 'contextual' })((_p, _a, ctx: RequestContext) =>
      hasAtLeast(ctx.scope?.role, role) ? true : forbidden(`Requires the ${role} role`),
    );
    roleRules.set(role, r);
  }
  return r;
}

/**
 * A person acting for themselves: not a service account's token, not an agent's delegated token.
 * Switching orgs, sessions, members, MFA, policy, keys, service accounts and delegation need it.
 */
export const isHuman = rule({ cache: 'contextual' })((_p, _a, ctx: RequestContext) =>
  ctx.scope?.principal === 'user' ? true : forbidden('Not available to service accounts or agents'),
);

const scopeRules = new Map<string, IRule>();
/**
 * OAuth scope `scope` (issue 7). A person passes (their role governs, by the other rules); a service
 * token needs the scope among its own; an agent's token needs it among its own and within what the
 * delegating user's live role allows (a demotion narrows the agent at once).
 */
export function hasScope(scope: string): IRule {
  let r = scopeRules.get(scope);
  if (!r) {
    r = rule(`hasScope_${scope.replace(/\W/g, '_')}`, { cache: 'contextual' })((_p, _a, ctx: RequestContext) => {
      const s = ctx.scope;
      if (!s) return unauthenticated();
      if (s.principal === 'user') return true;
      const held = s.scopes?.includes(scope) === true && (s.principal === 'service' || (scopesOfRole(s.role) as string[]).includes(scope));
      return held ? true : forbidden(`Requires the ${scope} scope`);
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
    r = rule(`hasRoleUnlessService_${role}`, { cache: 'contextual' })((_p, _a, ctx: RequestContext) =>
      ctx.scope?.principal === 'service' || hasAtLeast(ctx.scope?.role, role) ? true : forbidden(`Requires the ${role} role`),
    );
    peopleRoleRules.set(role, r);
  }
  return r;
}

/** The parent Organization is the active one. */
export const isActiveOrganization = rule({ cache: 'strict' })((parent: { id: string }, _a, ctx: RequestContext) =>
  parent.id === ctx.scope?.orgId ? true : forbidden('Readable for the active organization only'),
);

/**
 * MFA as fresh as the active organization's policy asks (its mfaMaxAgeSeconds), for operations that
 * change the org's security: passing it again means switchOrganization(sameOrg, mfaCode).
 */
export const mfaFresh = rule({ cache: 'contextual' })((_p, _a, ctx: RequestContext) =>
  !ctx.scope?.policy || mfaIsFresh(ctx.scope.policy, ctx.scope.mfaAt, ctx.app.now())
    ? true
    : new AppError(ErrorCode.MFA_REQUIRED, 'This operation needs a recent MFA: switchOrganization to this organization with mfaCode'),
);

/** A session bound to one organization (session-per-org) never acts for another: switching needs a new sign-in. */
export const notBoundElsewhere = rule({ cache: 'strict' })((_p, args: { organizationId?: string }, ctx: RequestContext) =>
  !ctx.scope?.boundOrgId || ctx.scope.boundOrgId === args.organizationId
    ? true
    : new AppError(ErrorCode.REAUTHENTICATION_REQUIRED, 'This session is bound to its organization: sign in to the other organization'),
);

const person = and(isSignedIn, isHuman);
const tenantAdmin = and(isSignedIn, isHuman, isMember, hasRole('ADMIN'));
const projectsRead = and(isSignedIn, isMember, hasScope('projects:read'));
const projectsWrite = and(isSignedIn, isMember, hasScope('projects:write'));

/**
 * Every field of the schema has an explicit rule; anything missing falls back to deny.
 * test/isolation/prover.test.ts fails when a root field or an object type has no entry here.
 * Service-account and agent tokens reach only fields ruled with hasScope; `isHuman` keeps them out of
 * everything else (switching orgs, sessions, members, MFA, policy, keys, service accounts, delegation).
 */
export const rules = {
  Query: {
    viewer: person,
    organization: person,
    projects: projectsRead,
    project: projectsRead,
    task: projectsRead,
    sessions: person,
    auditEvents: and(isSignedIn, isMember, hasScope('audit:read'), hasRoleUnlessService('ADMIN')),
    serviceAccounts: tenantAdmin,
  },
  Mutation: {
    signUp: allow,
    signIn: allow,
    // The refresh token is the credential; refreshSession checks it itself (decideRefresh).
    refreshSession: allow,
    signOut: person,
    revokeSession: person,
    revokeAllSessions: person,
    revokeMemberSessions: tenantAdmin,
    switchOrganization: and(isSignedIn, isHuman, notBoundElsewhere),
    beginTotpEnrollment: person,
    confirmTotpEnrollment: person,
    updateSessionPolicy: and(isSignedIn, isHuman, isMember, hasRole('ADMIN'), mfaFresh),
    rotateSigningKey: and(isSignedIn, isHuman, isMember, hasRole('OWNER'), mfaFresh),
    raiseOrganizationTier: and(isSignedIn, isHuman, isMember, hasRole('OWNER'), mfaFresh),
    createOrganization: person,
    inviteMember: tenantAdmin,
    acceptInvitation: person,
    removeMember: tenantAdmin,
    createProject: projectsWrite,
    updateProject: projectsWrite,
    deleteProject: projectsWrite,
    createTask: projectsWrite,
    updateTask: projectsWrite,
    deleteTask: projectsWrite,
    createServiceAccount: tenantAdmin,
    rotateServiceAccountSecret: tenantAdmin,
    revokeServiceAccount: tenantAdmin,
    delegateToAgent: and(isSignedIn, isHuman, isMember),
  },
  // Object types: reachable only through a root field that was permitted; their rows are guarded by
  // the tenant filter and RLS. Fields that cross a boundary get their own rule.
  Organization: { '*': allow, members: and(isSignedIn, isActiveOrganization) },
  User: allow,
  Viewer: allow,
  AuthPayload: allow,
  DeviceSession: allow,
  SessionPolicy: allow,
  TotpEnrollment: allow,
  Membership: allow,
  Invitation: allow,
  Project: allow,
  Task: allow,
  ProjectConnection: allow,
  ProjectEdge: allow,
  PageInfo: allow,
  // Rows come from security_events under RLS event_read and an explicit org_id/user_id predicate;
  // auditEvents is the admins' gate, Viewer.securityEvents lists only the viewer's own events.
  AuditEvent: allow,
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  // Returned only by the service-account fields above (tenantAdmin) and delegateToAgent; rows under RLS tenant_isolation.
  ServiceAccount: allow,
  ServiceAccountCredentials: allow,
  DelegatedToken: allow,
} satisfies IRules;

/**
 * graphql-shield wraps resolvers too: its catch turns every thrown error into `fallbackError(err)`.
 * Domain errors (AppError, and GraphQL input errors) pass through deliberately; anything else is an
 * unexpected failure and is masked (the formatError hook logs it).
 */
function fallbackError(err: unknown): Error {
  if (err === null || err === undefined) return forbidden();
  if (err instanceof AppError) return err;
  if (err instanceof GraphQLError && err.extensions?.code === ErrorCode.BAD_USER_INPUT) return err;
  return err instanceof Error ? err : new Error(String(err));
}

export const permissions = shield(rules, {
  fallbackRule: deny,
  allowExternalErrors: false,
  debug: false,
  fallbackError,
});

/** The rule shield applies to `type.field`: the type's rule, else the field's, else the type's `*`, else the fallback (deny). */
export function ruleFor(type: string, field: string): unknown {
  const entry = (rules as unknown as Record<string, object | undefined>)[type];
  if (!entry) return 'fallback';
  if (typeof (entry as { resolve?: unknown }).resolve === 'function') return entry;
  const map = entry as Record<string, unknown>;
  return map[field] ?? map['*'] ?? 'fallback';
}

/**
 * shield's middleware for `schema`, without the fields whose rule is `allow`. Such a field's wrapper
 * decides nothing (the rule is always true) but runs an async rule evaluation for every field of every
 * row: about 400 fields for 20 projects of 5 tasks (graphql-shield #812; BENCHMARKS.md). Every field
 * with any other rule, and every field left to the fallback (deny), keeps its wrapper; the parent's
 * rule still gates the object.
 */
export function permissionMiddleware(schema: GraphQLSchema): IMiddlewareTypeMap {
  const map = permissions.generate(schema) as IMiddlewareTypeMap;
  for (const [type, fields] of Object.entries(map)) {
    if (typeof fields !== 'object' || fields === null) continue;
    for (const field of Object.keys(fields)) if (ruleFor(type, field) === allow) delete (fields as Record<string, unknown>)[field];
  }
  return map;
}
