import { allow } from 'graphql-shield';
import { defineModule } from '../../platform/modules.ts';
import { person } from '../../platform/authorization/rules.ts';
import { identityResolvers } from './resolvers.ts';
import { UserSchema } from './user.entity.ts';

/** Accounts: who a person is (users, passwords). Sessions, MFA and memberships build on it. */
export default defineModule({
  name: 'identity',
  entities: [UserSchema],
  resolvers: identityResolvers,
  rules: {
    'Query.viewer': person,
    // Creates an account: there is nothing to be signed in as yet.
    'Mutation.signUp': allow,
    // Reachable only through viewer and memberships the caller can already see.
    User: allow,
    Viewer: allow,
  },
  isolation: {
    publicRootFields: { 'Mutation.signUp': 'creates an account: there is nothing to be signed in as yet' },
  },
});
