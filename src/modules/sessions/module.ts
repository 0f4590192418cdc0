import { allow, and } from 'graphql-shield';
import { isHuman, isSignedIn, notBoundElsewhere, person, tenantAdmin } from '../../platform/authorization/rules.ts';
import { defineModule } from '../../platform/modules.ts';
import { DeviceSessionSchema } from './device-session.entity.ts';
import { RefreshTokenSchema } from './refresh-token.entity.ts';
import { sessionResolvers } from './resolvers.ts';

/**
 * Device sessions: signing in, one refresh-token family per device, switching organizations within a
 * session, session-per-org for isolated orgs, and ending sessions.
 */
export default defineModule({
  name: 'sessions',
  entities: [DeviceSessionSchema, RefreshTokenSchema],
  resolvers: sessionResolvers,
  rules: {
    'Query.sessions': person,
    // The password is the credential.
    'Mutation.signIn': allow,
    // The refresh token is the credential; refreshSession checks it itself (decideRefresh).
    'Mutation.refreshSession': allow,
    'Mutation.switchOrganization': and(isSignedIn, isHuman, notBoundElsewhere),
    'Mutation.signOut': person,
    'Mutation.revokeSession': person,
    'Mutation.revokeAllSessions': person,
    'Mutation.revokeMemberSessions': tenantAdmin,
    AuthPayload: allow,
    DeviceSession: allow,
  },
  // refreshSession first waits for the other presentations of its token, holding no connection.
  lateOpening: ['refreshSession'],
  isolation: {
    arguments: {
      // signIn must reach its organizationId check: the actor's own credentials.
      'Mutation.signIn.email': { valid: (c) => [c.actor.email] },
      'Mutation.signIn.password': { valid: (c) => [c.actor.password], anyValue: true },
      // The spare member's refresh token: spending or reusing it only ends the spare's sessions.
      refreshToken: { valid: (c) => c.a.samples('spareRefreshToken'), anyValue: true },
    },
    publicRootFields: {
      'Mutation.signIn': 'the password is the credential',
      'Mutation.refreshSession': 'the refresh token is the credential (decideRefresh)',
    },
    orgReferenceColumns: {
      'device_sessions.bound_org_id': "a device session is the user's, not the org's; the org a session-per-org session was opened for",
      'device_sessions.active_org_id': 'the org refreshSession mints tokens for; checked against a live membership on every request',
      'device_sessions.entered_org_ids': 'the orgs whose policies the session combines (strictest wins)',
    },
    notReturnedKinds: { 'refresh_tokens.id': 'refresh tokens are opaque; their rows are never exposed' },
    lateMutations: {
      'Mutation.signOut': { why: 'ends the calling session' },
      'Mutation.revokeAllSessions': { why: "ends every session of the caller, the actor's main session included", last: true },
    },
  },
});
