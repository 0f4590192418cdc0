import type { Resolvers } from '../../generated/resolvers-types.ts';
import { opensLate } from '../../platform/root-fields.ts';
import { listSessions, refreshSession, revokeAllSessions, revokeMemberSessions, revokeSession, signOut } from './session.service.ts';

export const sessionResolvers: Resolvers = {
  Query: {
    sessions: (_, args, ctx) => listSessions(ctx, args.first),
  },
  Mutation: {
    refreshSession: (_, args, ctx) => refreshSession(ctx, args.refreshToken),
    signOut: (_, __, ctx) => signOut(ctx),
    revokeSession: (_, args, ctx) => revokeSession(ctx, args.id),
    revokeAllSessions: (_, __, ctx) => revokeAllSessions(ctx),
    revokeMemberSessions: (_, args, ctx) => revokeMemberSessions(ctx, args.userId),
  },
};

// refreshSession first waits for the other presentations of its token, holding no connection: it opens the request itself.
opensLate(sessionResolvers.Mutation!.refreshSession!);
