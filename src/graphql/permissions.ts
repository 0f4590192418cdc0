import { allow, and, deny, rule, shield, type IRule, type IRules } from 'graphql-shield';
import { GraphQLError } from 'graphql';
import { AppError, ErrorCode, forbidden, unauthenticated } from '../errors.ts';
import { hasAtLeast } from '../organizations/roles.ts';
import type { Role } from '../organizations/membership.entity.ts';
import type { RequestContext } from './context.ts';
import { mfaIsFresh } from '../policy/decide-entry.ts';

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

const tenantMember = and(isSignedIn, isMember);
const tenantAdmin = and(isSignedIn, isMember, hasRole('ADMIN'));

/**
 * Every field of the schema has an explicit rule; anything missing falls back to deny.
 * test/isolation/prover.test.ts fails when a root field or an object type has no entry here.
 */
export const rules = {
  Query: {
    viewer: isSignedIn,
    organization: isSignedIn,
    projects: tenantMember,
    project: tenantMember,
    task: tenantMember,
    sessions: isSignedIn,
    auditEvents: tenantAdmin,
  },
  Mutation: {
    signUp: allow,
    signIn: allow,
    // The refresh token is the credential; refreshSession checks it itself (decideRefresh).
    refreshSession: allow,
    signOut: isSignedIn,
    revokeSession: isSignedIn,
    revokeAllSessions: isSignedIn,
    revokeMemberSessions: tenantAdmin,
    switchOrganization: and(isSignedIn, notBoundElsewhere),
    beginTotpEnrollment: isSignedIn,
    confirmTotpEnrollment: isSignedIn,
    updateSessionPolicy: and(isSignedIn, isMember, hasRole('ADMIN'), mfaFresh),
    rotateSigningKey: and(isSignedIn, isMember, hasRole('OWNER'), mfaFresh),
    raiseOrganizationTier: and(isSignedIn, isMember, hasRole('OWNER'), mfaFresh),
    createOrganization: isSignedIn,
    inviteMember: tenantAdmin,
    acceptInvitation: isSignedIn,
    removeMember: tenantAdmin,
    createProject: tenantMember,
    updateProject: tenantMember,
    deleteProject: tenantMember,
    createTask: tenantMember,
    updateTask: tenantMember,
    deleteTask: tenantMember,
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
