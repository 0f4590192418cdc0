import { parseId } from '../../core/ids.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import * as accounts from './accounts.ts';
import { delegateToAgent } from './delegation.ts';

export const serviceAccountResolvers: Resolvers = {
  Query: {
    serviceAccounts: (_, args, ctx) => accounts.listServiceAccounts(ctx, args.first),
  },
  Mutation: {
    createServiceAccount: (_, args, ctx) => accounts.createServiceAccount(ctx, args.name, args.scopes),
    rotateServiceAccountSecret: (_, args, ctx) => accounts.rotateServiceAccountSecret(ctx, parseId(args.id)),
    revokeServiceAccount: (_, args, ctx) => accounts.revokeServiceAccount(ctx, parseId(args.id)),
    delegateToAgent: (_, args, ctx) => delegateToAgent(ctx, args.agentName, args.scopes, args.ttlSeconds),
  },
  ServiceAccount: {
    clientId: (account) => accounts.clientIdOf(account),
  },
};
