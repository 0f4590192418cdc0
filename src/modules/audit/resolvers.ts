import type { Resolvers } from '../../generated/resolvers-types.ts';
import { listAuditEvents, listViewerEvents } from './audit.service.ts';

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_, args, ctx) => listAuditEvents(ctx, args.first, args.after, args.type),
  },
  Viewer: {
    securityEvents: (_, args, ctx) => listViewerEvents(ctx, args.first, args.after, args.type),
  },
};
