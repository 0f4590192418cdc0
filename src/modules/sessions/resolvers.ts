import { sessionEnd } from '../../core/policy/session-ends.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { refreshSession } from './refresh.ts';
import { findOwnSession, listSessions, revokeAllSessions, revokeMemberSessions, revokeSession, signOut } from './revoke.ts';
import { signIn } from './sign-in.ts';
import { switchOrganization } from './switch.ts';

export const sessionResolvers: Resolvers = {
  Query: {
    sessions: (_, args, ctx) => listSessions(ctx, args.first),
  },
  Mutation: {
    signIn: (_, args, ctx) => signIn(ctx, args),
    refreshSession: (_, args, ctx) => refreshSession(ctx, args.refreshToken),
    switchOrganization: (_, args, ctx) => switchOrganization(ctx, args.organizationId, args.mfaCode),
    signOut: (_, __, ctx) => signOut(ctx),
    revokeSession: (_, args, ctx) => revokeSession(ctx, args.id),
    revokeAllSessions: (_, __, ctx) => revokeAllSessions(ctx),
    revokeMemberSessions: (_, args, ctx) => revokeMemberSessions(ctx, args.userId),
  },
  Viewer: {
    session: (viewer, _, ctx) => findOwnSession(ctx, viewer.sessionId, viewer.userId),
  },
  DeviceSession: {
    expiresAt: (session) => sessionEnd(session),
    current: (session, _, ctx) => session.id === ctx.scope?.sessionId,
  },
};
