import { allow, and } from 'graphql-shield';
import { hasRole, isActiveOrganization, isHuman, isMember, isSignedIn, mfaFresh, person, tenantAdmin } from '../../platform/authorization/rules.ts';
import { defineModule, type ProverArgument } from '../../platform/modules.ts';
import { InvitationSchema } from './invitation.entity.ts';
import { MembershipSchema } from './membership.entity.ts';
import { OrganizationSchema } from './organization.entity.ts';
import { organizationResolvers } from './resolvers.ts';

const ints = (...values: (number | undefined)[]): ProverArgument => ({ valid: () => values, anyValue: true });
const pick = (...values: unknown[]): ProverArgument => ({ valid: () => values });

/** Organizations (the tenant root), their members and invitations, their session policy, tier and keys. */
export default defineModule({
  name: 'organizations',
  entities: [OrganizationSchema, MembershipSchema, InvitationSchema],
  resolvers: organizationResolvers,
  rules: {
    'Query.organization': person,
    'Mutation.createOrganization': person,
    'Mutation.inviteMember': tenantAdmin,
    'Mutation.acceptInvitation': person,
    'Mutation.removeMember': tenantAdmin,
    'Mutation.updateSessionPolicy': and(isSignedIn, isHuman, isMember, hasRole('ADMIN'), mfaFresh),
    'Mutation.rotateSigningKey': and(isSignedIn, isHuman, isMember, hasRole('OWNER'), mfaFresh),
    'Mutation.raiseOrganizationTier': and(isSignedIn, isHuman, isMember, hasRole('OWNER'), mfaFresh),
    // Reachable only through a root field that was permitted; members cross a boundary: the active org only.
    'Organization.members': and(isSignedIn, isActiveOrganization),
    Organization: allow,
    SessionPolicy: allow,
    Membership: allow,
    Invitation: allow,
  },
  crossTenant: { Invitation: 'invitations' },
  isolation: {
    arguments: {
      'Mutation.raiseOrganizationTier.tier': pick('CONFIDENTIAL', 'REGULATED', 'STANDARD'),
      // Tightening only (checkPolicyUpdate refuses anything looser). mfaRequired and isolatedSession stay
      // off: the fuzz signs its actors in again when a session ends, which an MFA requirement would stop.
      'SessionPolicyInput.accessTokenTtlSeconds': ints(600, 60, 900, 0, -1),
      'SessionPolicyInput.idleTimeoutSeconds': ints(undefined, 3600, 300),
      'SessionPolicyInput.absoluteTimeoutSeconds': ints(undefined, 86_400, 900),
      'SessionPolicyInput.mfaRequired': pick(undefined, false),
      'SessionPolicyInput.mfaMaxAgeSeconds': ints(undefined, 3600, 0),
      'SessionPolicyInput.isolatedSession': pick(undefined, false),
      'SessionPolicyInput.dedicatedSigningKey': pick(undefined, true, false),
      'SessionPolicyInput.refreshReuseLeewaySeconds': ints(undefined, 5, 0),
      // Invitation secrets: a well-formed one of nobody's, and B's real ones (the invitee is not A's actor).
      'Mutation.acceptInvitation.token': { valid: (c) => [`obi.${c.a.orgId}.inv_${'x'.repeat(43)}`], hostile: (c) => c.b.samples('invitationTokens'), anyValue: true },
    },
    notReturnedKinds: { 'invitations.id': 'inviteMember returns the invitation it creates; seeded ones are never listed' },
    noSuccessExpected: {
      'Mutation.acceptInvitation': "needs the secret token of an invitation to the caller's own email; the prover sends unknown ones and B's",
    },
    lateMutations: {
      'Mutation.raiseOrganizationTier': { why: "irreversible: A's org leaves STANDARD, and entering it then needs MFA" },
    },
    fuzzExcluded: {
      'Mutation.raiseOrganizationTier':
        "irreversible; above STANDARD, entering A needs a fresh TOTP code per sign-in (one per 30 s step), and the MEMBER actor has no TOTP, so the fuzz's actors would be locked out",
    },
  },
});
