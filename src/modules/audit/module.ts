import { allow, and } from 'graphql-shield';
import { hasRoleUnlessService, hasScope, isMember, isSignedIn } from '../../platform/authorization/rules.ts';
import { defineModule } from '../../platform/modules.ts';
import { auditResolvers } from './resolvers.ts';

/** The audit trail: an org's security events for its admins, a user's own for the user. */
export default defineModule({
  name: 'audit',
  resolvers: auditResolvers,
  scopes: [{ name: 'audit:read', minimumRole: 'ADMIN', description: "read the organization's audit trail (auditEvents)" }],
  rules: {
    'Query.auditEvents': and(isSignedIn, isMember, hasScope('audit:read'), hasRoleUnlessService('ADMIN')),
    // Rows come from security_events under RLS event_read and an explicit org_id/user_id predicate;
    // auditEvents is the admins' gate, Viewer.securityEvents lists only the viewer's own events.
    AuditEvent: allow,
    AuditEventConnection: allow,
    AuditEventEdge: allow,
  },
  isolation: {
    arguments: {
      // Security event types: any other string is BAD_USER_INPUT.
      'Query.auditEvents.type': { valid: () => [undefined, 'SIGN_IN_SUCCEEDED', 'CROSS_TENANT_ACCESS_DENIED'] },
      'Viewer.securityEvents.type': { valid: () => [undefined, 'SIGN_IN_SUCCEEDED', 'CROSS_TENANT_ACCESS_DENIED'] },
    },
  },
});
