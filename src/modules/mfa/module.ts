import { allow } from 'graphql-shield';
import { person } from '../../platform/authorization/rules.ts';
import { defineModule } from '../../platform/modules.ts';
import { mfaResolvers } from './resolvers.ts';

/** TOTP, the second factor: enrollment, and the one check every code goes through (checkCode). */
export default defineModule({
  name: 'mfa',
  resolvers: mfaResolvers,
  rules: {
    'Mutation.beginTotpEnrollment': person,
    'Mutation.confirmTotpEnrollment': person,
    TotpEnrollment: allow,
  },
  isolation: {
    arguments: {
      // A wrong code: a right one is in the authenticator app only.
      'Mutation.confirmTotpEnrollment.code': { valid: () => ['000000'], anyValue: true },
      mfaCode: { valid: () => [undefined, '000000'], anyValue: true },
    },
    noSuccessExpected: {
      'Mutation.confirmTotpEnrollment': 'needs a code from the secret of a pending enrollment, which only the authenticator app has; the prover sends a wrong one',
    },
  },
});
