import type { Resolvers } from '../../generated/resolvers-types.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { findUser, signUp } from './identity.service.ts';

export const identityResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => {
      const scope = requireSignedIn(ctx.scope);
      return { userId: scope.userId, sessionId: scope.sessionId };
    },
  },
  Mutation: {
    signUp: (_, args, ctx) => signUp(ctx, args),
  },
  User: {
    mfaEnabled: (user) => !!user.totpSecretSealed,
  },
  Viewer: {
    user: (viewer, _, ctx) => findUser(ctx, viewer.userId),
  },
};
