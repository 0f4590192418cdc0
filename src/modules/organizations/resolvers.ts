import { notFound } from '../../core/errors.ts';
import { parseId } from '../../core/ids.ts';
import { resolvePolicy } from '../../core/policy/session-policy.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { identityLoaders } from '../identity/index.ts';
import { organizationLoaders } from './loaders.ts';
import { acceptInvitation, inviteMember, listMembers, removeMember, viewerMemberships } from './members.ts';
import { activeOrganization, createOrganization } from './organizations.ts';
import { raiseOrganizationTier, rotateOrganizationSigningKey, updateSessionPolicy } from './policy.ts';

export const organizationResolvers: Resolvers = {
  Query: {
    organization: (_, __, ctx) => activeOrganization(ctx),
  },
  Mutation: {
    createOrganization: (_, args, ctx) => createOrganization(ctx, args.name, args.tier ?? 'STANDARD'),
    inviteMember: (_, args, ctx) => inviteMember(ctx, args.email, args.role ?? 'MEMBER'),
    acceptInvitation: (_, args, ctx) => acceptInvitation(ctx, args.token),
    removeMember: (_, args, ctx) => removeMember(ctx, parseId(args.userId, 'userId')),
    updateSessionPolicy: (_, args, ctx) => updateSessionPolicy(ctx, withoutNulls(args.input)),
    rotateSigningKey: (_, __, ctx) => rotateOrganizationSigningKey(ctx),
    raiseOrganizationTier: (_, args, ctx) => raiseOrganizationTier(ctx, args.tier),
  },
  Organization: {
    policy: (org) => resolvePolicy(org.tier, org.policyOverrides),
    members: (org, args, ctx) => listMembers(ctx, org, args.first),
  },
  Membership: {
    organization: async (m, _, ctx) => (await organizationLoaders(ctx).organizationById.load(m.orgId)) ?? Promise.reject(notFound('Organization')),
    user: async (m, _, ctx) => (await identityLoaders(ctx).userById.load(m.userId)) ?? Promise.reject(notFound('User')),
  },
  // Fields this module adds to the identity and sessions modules' types (schema/organizations.graphql).
  Viewer: {
    activeOrganization: (_, __, ctx) => activeOrganization(ctx),
    memberships: (_, args, ctx) => viewerMemberships(ctx, args.first),
  },
  DeviceSession: {
    boundOrganization: (session, _, ctx) => (session.boundOrgId ? organizationLoaders(ctx).organizationById.load(session.boundOrgId) : null),
  },
};

/** GraphQL sends omitted and null alike; both mean "keep the current value". */
function withoutNulls<T extends object>(input: T): { [K in keyof T]?: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as never;
}
