import { allow, and } from 'graphql-shield';
import { isHuman, isMember, isSignedIn, tenantAdmin } from '../../platform/authorization/rules.ts';
import { defineModule, type ProverArgument } from '../../platform/modules.ts';
import { serviceAccountResolvers } from './resolvers.ts';
import { ServiceAccountSchema } from './service-account.entity.ts';

const ints = (...values: number[]): ProverArgument => ({ valid: () => values, anyValue: true });

/** Machine identities: org-owned service accounts (client credentials) and tokens delegated to agents. */
export default defineModule({
  name: 'service-accounts',
  entities: [ServiceAccountSchema],
  resolvers: serviceAccountResolvers,
  rules: {
    'Query.serviceAccounts': tenantAdmin,
    'Mutation.createServiceAccount': tenantAdmin,
    'Mutation.rotateServiceAccountSecret': tenantAdmin,
    'Mutation.revokeServiceAccount': tenantAdmin,
    'Mutation.delegateToAgent': and(isSignedIn, isHuman, isMember),
    // Returned only by the fields above (tenantAdmin) and delegateToAgent; rows under RLS tenant_isolation.
    ServiceAccount: allow,
    ServiceAccountCredentials: allow,
    DelegatedToken: allow,
  },
  crossTenant: { ServiceAccount: 'service_accounts' },
  isolation: {
    arguments: {
      // Agent names are [A-Za-z0-9._-]{1,64}: free text would only reach BAD_USER_INPUT.
      'Mutation.delegateToAgent.agentName': { valid: (c) => [`agent-${c.unique()}`], anyValue: true },
      // Within every actor's role; others are BAD_USER_INPUT or FORBIDDEN.
      scopes: { valid: () => ['projects:read', 'projects:write', 'audit:read', 'nope:nope'] },
      // delegateToAgent: within every tier's access-token TTL (REGULATED: 120 s); longer is BAD_USER_INPUT.
      ttlSeconds: ints(60, 1, 120, 0, 100_000),
    },
  },
});
