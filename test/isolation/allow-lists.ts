/**
 * Everything the isolation prover deliberately does not treat the default way, each with its reason.
 * The prover fails when an entry names something that no longer exists (test/isolation/checks.ts
 * `staleAllowListProblems`), so this file cannot quietly outlive what it excuses.
 */

/** Tables with an `org_id` column that have no MikroORM entity (so no tenant filter): RLS alone guards them. */
export const ENTITYLESS_TENANT_TABLES: Readonly<Record<string, string>> = {
  security_events:
    'append-only log written and read by raw SQL in src/platform/security-log/security-events.queries.ts (the runtime role has INSERT and SELECT only); ' +
    'org_id is nullable for events without an org; RLS event_read/event_insert is its guard',
};

/**
 * Columns that name an organization outside a tenant table's `org_id`: each lives in an identity or
 * infrastructure table that is deliberately not tenant-owned.
 */
export const ORG_REFERENCE_COLUMNS: Readonly<Record<string, string>> = {
  'device_sessions.bound_org_id': "a device session is the user's, not the org's; the org a session-per-org session was opened for",
  'device_sessions.active_org_id': 'the org refreshSession mints tokens for; checked against a live membership on every request',
  'device_sessions.entered_org_ids': 'the orgs whose policies the session combines (strictest wins)',
  'signing_keys.owner_org_id': "a dedicated key's org; keys are global infrastructure read by the key ring, never through GraphQL",
};

/**
 * Root fields whose shield rule is `allow` (no sign-in): the credential is an argument the operation
 * checks itself. Any other root field ruled `allow` fails the prover.
 */
export const PUBLIC_ROOT_FIELDS: Readonly<Record<string, string>> = {
  'Mutation.signUp': 'creates an account: there is nothing to be signed in as yet',
  'Mutation.signIn': 'the password is the credential',
  'Mutation.refreshSession': 'the refresh token is the credential (decideRefresh)',
};

/**
 * Mutations that end the caller's session or change tenant A for good. The prover runs them after
 * everything else, each on a session opened for it, in this order (revokeAllSessions, which ends the
 * actor's main session as well, last).
 */
export const LATE_MUTATIONS: Readonly<Record<string, string>> = {
  'Mutation.signOut': 'ends the calling session',
  'Mutation.raiseOrganizationTier': "irreversible: A's org leaves STANDARD, and entering it then needs MFA",
  'Mutation.revokeAllSessions': "ends every session of the caller, the actor's main session included",
};

/**
 * Root fields that no call of the prover is expected to complete, with why: every other field must
 * succeed at least once (A's own ids, valid arguments), or a wall of errors could pass for isolation.
 */
export const NO_SUCCESS_EXPECTED: Readonly<Record<string, string>> = {
  'Mutation.confirmTotpEnrollment': 'needs a code from the secret of a pending enrollment, which only the authenticator app has; the prover sends a wrong one',
  'Mutation.acceptInvitation': "needs the secret token of an invitation to the caller's own email; the prover sends unknown ones and B's",
};

/**
 * Kinds of A's ids that no response of the API contains, so the positive control (A's responses show
 * A's data) does not look for them.
 */
export const NOT_RETURNED_KINDS: Readonly<Record<string, string>> = {
  'refresh_tokens.id': 'refresh tokens are opaque; their rows are never exposed',
  'signing_keys.id': 'only rotateSigningKey returns a kid, and only the one it just created',
  'invitations.id': 'inviteMember returns the invitation it creates; seeded ones are never listed',
};

/**
 * Root fields the fuzz never picks (the prover calls each of them): they change tenant A in ways the
 * fuzz could not recover from within a run.
 */
export const FUZZ_EXCLUDED: Readonly<Record<string, string>> = {
  'Mutation.raiseOrganizationTier':
    "irreversible; above STANDARD, entering A needs a fresh TOTP code per sign-in (one per 30 s step), and the MEMBER actor has no TOTP, so the fuzz's actors would be locked out",
};
