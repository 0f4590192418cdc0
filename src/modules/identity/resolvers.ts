import { sessionEnd } from '../sessions/device-session.entity.ts';
import { beginTotpEnrollment, confirmTotpEnrollment } from '../mfa/mfa.service.ts';
import { switchOrganization } from '../sessions/session.service.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { findDeviceSession, signIn, signUp, viewerUser } from './identity.service.ts';
import { activeOrganization, viewerMemberships } from '../organizations/organization.service.ts';

export const authResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => {
      const scope = requireSignedIn(ctx.scope);
      return { userId: scope.userId, sessionId: scope.sessionId };
    },
  },
  Mutation: {
    signUp: (_, args, ctx) => signUp(ctx, args),
    signIn: (_, args, ctx) => signIn(ctx, args),
    switchOrganization: (_, args, ctx) => switchOrganization(ctx, args.organizationId, args.mfaCode),
    beginTotpEnrollment: (_, __, ctx) => beginTotpEnrollment(ctx),
    confirmTotpEnrollment: (_, args, ctx) => confirmTotpEnrollment(ctx, args.code),
  },
  User: {
    mfaEnabled: (user) => !!user.totpSecretSealed,
  },
  Viewer: {
    user: (viewer, _, ctx) => viewerUser(ctx, viewer.userId),
    activeOrganization: (_, __, ctx) => activeOrganization(ctx),
    memberships: (_, args, ctx) => viewerMemberships(ctx, args.first),
    session: (viewer, _, ctx) => findDeviceSession(ctx, viewer.sessionId, viewer.userId),
  },
  DeviceSession: {
    expiresAt: (session) => sessionEnd(session),
    boundOrganization: (session, _, ctx) => (session.boundOrgId ? ctx.loaders.organizationById.load(session.boundOrgId) : null),
    current: (session, _, ctx) => session.id === ctx.scope?.sessionId,
  },
};
