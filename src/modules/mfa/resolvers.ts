import type { Resolvers } from '../../generated/resolvers-types.ts';
import { beginTotpEnrollment, confirmTotpEnrollment } from './mfa.service.ts';

export const mfaResolvers: Resolvers = {
  Mutation: {
    beginTotpEnrollment: (_, __, ctx) => beginTotpEnrollment(ctx),
    confirmTotpEnrollment: (_, args, ctx) => confirmTotpEnrollment(ctx, args.code),
  },
};
