import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessClaims } from '../../src/platform/tokens/claims.ts';
import { resolvePolicy, type SessionPolicy } from '../../src/core/policy/session-policy.ts';
import type { TokenRefusal } from '../../src/core/decisions/token-refusals.ts';
import { decideScope, type LiveState, type ScopeDecision, type VerifiedToken } from '../../src/core/decisions/decide-scope.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const USER = '11111111-1111-4111-8111-111111111111';
const OTHER_USER = '22222222-2222-4222-8222-222222222222';
const SESSION = '33333333-3333-4333-8333-333333333333';
const ORG = '44444444-4444-4444-8444-444444444444';
const OTHER_ORG = '55555555-5555-4555-8555-555555555555';

function claims(overrides: Partial<AccessClaims> = {}): AccessClaims {
  return {
    iss: 'https://issuer.test',
    aud: 'orgbound',
    sub: USER,
    sid: SESSION,
    jti: 'jti-0123456789abcdef',
    iat: NOW_S - 10,
    exp: NOW_S + 290,
    auth_time: NOW_S - 3600,
    amr: ['pwd', 'otp'],
    client_id: 'orgbound',
    org_id: ORG,
    tier: 'CONFIDENTIAL',
    role: 'ADMIN',
    ...overrides,
  };
}

function withoutOrg(): AccessClaims {
  const { org_id: _o, tier: _t, role: _r, ...rest } = claims();
  return rest;
}

type Session = NonNullable<LiveState['session']>;
const liveSession = (overrides: Partial<Session> = {}): Session => ({
  userId: USER,
  revokedAt: null,
  expiresAt: new Date(NOW.getTime() + 3_600_000),
  idleExpiresAt: new Date(NOW.getTime() + 1_800_000),
  boundOrgId: null,
  mfaAt: null,
  ...overrides,
});
const CONFIDENTIAL_POLICY = resolvePolicy('CONFIDENTIAL');
const REGULATED_POLICY = resolvePolicy('REGULATED');
const STANDARD_POLICY = resolvePolicy('STANDARD');
const ISOLATED_CONFIDENTIAL = resolvePolicy('CONFIDENTIAL', { isolatedSession: true });
const MEMBERSHIP: LiveState['membership'] = { role: 'ADMIN', tier: 'CONFIDENTIAL', policy: CONFIDENTIAL_POLICY };
/** Live state with the usual defaults: a live unbound session, ADMIN of a CONFIDENTIAL org, no dedicated key. */
const live = (over: Partial<LiveState> = {}): LiveState => ({ session: liveSession(), membership: MEMBERSHIP, orgHasDedicatedKey: false, ...over });

interface Case {
  readonly name: string;
  readonly claims: AccessClaims;
  /** The org of the dedicated key that signed the token; null (the default) for the global key. */
  readonly keyOwnerOrgId?: string | null;
  readonly live: LiveState;
  readonly expect:
    | { readonly kind: 'deny'; readonly code: string; readonly reason: TokenRefusal }
    | {
        readonly kind: 'scope';
        readonly orgId: string | null;
        readonly role: string | null;
        readonly tier: string | null;
        /** Default: the CONFIDENTIAL policy of MEMBERSHIP when orgId is set, else null. */
        readonly policy?: SessionPolicy | null;
        /** Default null. */
        readonly boundOrgId?: string | null;
        /** Default null. */
        readonly mfaAt?: Date | null;
      };
}

const MFA_AT = new Date(NOW.getTime() - 600_000);

const cases: Case[] = [
  { name: 'no session row for sid', claims: claims(), live: live({ session: null, membership: MEMBERSHIP }), expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'session_missing' } },
  {
    name: 'session belongs to another user',
    claims: claims(),
    live: live({ session: liveSession({ userId: OTHER_USER }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'session_of_other_user' },
  },
  {
    name: 'revoked session',
    claims: claims(),
    live: live({ session: liveSession({ revokedAt: new Date(NOW.getTime() - 1000) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_REVOKED', reason: 'session_revoked' },
  },
  {
    name: 'session expired before now',
    claims: claims(),
    live: live({ session: liveSession({ expiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'session expiring exactly now',
    claims: claims(),
    live: live({ session: liveSession({ expiresAt: new Date(NOW.getTime()) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'session expiring 1 ms after now is still live',
    claims: claims(),
    live: live({ session: liveSession({ expiresAt: new Date(NOW.getTime() + 1), idleExpiresAt: new Date(NOW.getTime() + 1) }), membership: MEMBERSHIP }),
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'idle end passed (no refresh for the idle timeout), absolute end ahead',
    claims: claims(),
    live: live({ session: liveSession({ idleExpiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'idle end exactly now',
    claims: claims(),
    live: live({ session: liveSession({ idleExpiresAt: new Date(NOW.getTime()) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'revoked wins over expired',
    claims: claims(),
    live: live({ session: liveSession({ revokedAt: new Date(NOW.getTime() - 5), expiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'SESSION_REVOKED', reason: 'session_revoked' },
  },
  {
    name: 'bound session, token for its own org',
    claims: claims(),
    live: live({ session: liveSession({ boundOrgId: ORG }), membership: MEMBERSHIP }),
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL', boundOrgId: ORG },
  },
  {
    name: 'bound session, token for another org',
    claims: claims({ org_id: OTHER_ORG }),
    live: live({ session: liveSession({ boundOrgId: ORG }), membership: MEMBERSHIP }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'bound_to_other_org' },
  },
  {
    name: 'bound session, token without org_id',
    claims: withoutOrg(),
    live: live({ session: liveSession({ boundOrgId: ORG }), membership: null }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'bound_to_other_org' },
  },
  {
    name: 'org_id with a live membership',
    claims: claims(),
    live: live({ session: liveSession(), membership: { role: 'MEMBER', tier: 'STANDARD', policy: STANDARD_POLICY } }),
    expect: { kind: 'scope', orgId: ORG, role: 'MEMBER', tier: 'STANDARD', policy: STANDARD_POLICY },
  },
  // Session-per-org: an isolated org is the tenant only for a session bound to it.
  {
    name: 'isolated (REGULATED) org on an unbound session: no tenant',
    claims: claims(),
    live: live({ session: liveSession(), membership: { role: 'MEMBER', tier: 'REGULATED', policy: REGULATED_POLICY } }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null, policy: null },
  },
  {
    name: 'org that turned isolation on after this unbound session entered it: no tenant',
    claims: claims(),
    live: live({ session: liveSession(), membership: { role: 'OWNER', tier: 'CONFIDENTIAL', policy: ISOLATED_CONFIDENTIAL } }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null, policy: null },
  },
  {
    name: 'org that turned isolation on, session bound to it: tenant',
    claims: claims(),
    live: live({ session: liveSession({ boundOrgId: ORG }), membership: { role: 'OWNER', tier: 'CONFIDENTIAL', policy: ISOLATED_CONFIDENTIAL } }),
    expect: { kind: 'scope', orgId: ORG, role: 'OWNER', tier: 'CONFIDENTIAL', policy: ISOLATED_CONFIDENTIAL, boundOrgId: ORG },
  },
  {
    name: 'isolated org signed with its own dedicated key but on an unbound session: no tenant',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ session: liveSession(), membership: { role: 'ADMIN', tier: 'REGULATED', policy: REGULATED_POLICY }, orgHasDedicatedKey: true }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null, policy: null },
  },
  {
    // removeMember takes effect at once: the claim still says ADMIN, the scope must not.
    name: 'org_id whose membership has ended',
    claims: claims(),
    live: live({ session: liveSession(), membership: null }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    name: 'no org_id',
    claims: withoutOrg(),
    live: live({ session: liveSession(), membership: null }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    // A membership row must never stand in for a missing org_id claim.
    name: 'no org_id, even if a membership is supplied',
    claims: withoutOrg(),
    live: live({ session: liveSession(), membership: MEMBERSHIP }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    name: 'idle end 1 ms after now, absolute end ahead: still live',
    claims: claims(),
    live: live({ session: liveSession({ idleExpiresAt: new Date(NOW.getTime() + 1) }) }),
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'absolute end passed although the idle end is ahead',
    claims: claims(),
    live: live({ session: liveSession({ expiresAt: new Date(NOW.getTime() - 1), idleExpiresAt: new Date(NOW.getTime() + 1_800_000) }) }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'idle end passed on a bound session with a dedicated key: still expired',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ session: liveSession({ boundOrgId: ORG, idleExpiresAt: new Date(NOW.getTime() - 1000) }), orgHasDedicatedKey: true }),
    expect: { kind: 'deny', code: 'SESSION_EXPIRED', reason: 'session_expired' },
  },
  {
    name: 'the scope carries the live policy, bound org and MFA time',
    claims: claims(),
    live: live({ session: liveSession({ boundOrgId: ORG, mfaAt: MFA_AT }), membership: { role: 'MEMBER', tier: 'REGULATED', policy: REGULATED_POLICY } }),
    expect: { kind: 'scope', orgId: ORG, role: 'MEMBER', tier: 'REGULATED', policy: REGULATED_POLICY, boundOrgId: ORG, mfaAt: MFA_AT },
  },
  {
    name: 'an ended membership carries no policy, but the session MFA time stays',
    claims: claims(),
    live: live({ session: liveSession({ mfaAt: MFA_AT }), membership: null }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null, policy: null, mfaAt: MFA_AT },
  },
  // Signing keys: a dedicated key serves its own org only; an org with one accepts nothing else.
  {
    name: 'global key, org without a dedicated key',
    claims: claims(),
    keyOwnerOrgId: null,
    live: live({ orgHasDedicatedKey: false }),
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'global key, org with a dedicated key',
    claims: claims(),
    keyOwnerOrgId: null,
    live: live({ orgHasDedicatedKey: true }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'org_needs_its_dedicated_key' },
  },
  {
    name: 'the org own dedicated key',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ orgHasDedicatedKey: true }),
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'the org own dedicated key on its bound session',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ session: liveSession({ boundOrgId: ORG }), membership: { role: 'MEMBER', tier: 'REGULATED', policy: REGULATED_POLICY }, orgHasDedicatedKey: true }),
    expect: { kind: 'scope', orgId: ORG, role: 'MEMBER', tier: 'REGULATED', policy: REGULATED_POLICY, boundOrgId: ORG },
  },
  {
    name: 'another org dedicated key, claimed org has its own key',
    claims: claims(),
    keyOwnerOrgId: OTHER_ORG,
    live: live({ orgHasDedicatedKey: true }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'key_of_other_org' },
  },
  {
    name: 'another org dedicated key, claimed org has no dedicated key',
    claims: claims(),
    keyOwnerOrgId: OTHER_ORG,
    live: live({ orgHasDedicatedKey: false }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'key_of_other_org' },
  },
  {
    name: 'another org dedicated key, even with a live REGULATED membership of the claimed org',
    claims: claims(),
    keyOwnerOrgId: OTHER_ORG,
    live: live({ membership: { role: 'OWNER', tier: 'REGULATED', policy: REGULATED_POLICY }, orgHasDedicatedKey: true }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'key_of_other_org' },
  },
  {
    name: 'a dedicated key signing a token without org_id',
    claims: withoutOrg(),
    keyOwnerOrgId: ORG,
    live: live({ membership: null, orgHasDedicatedKey: false }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'key_of_other_org' },
  },
  {
    name: 'global key, token without org_id (no org to have a dedicated key)',
    claims: withoutOrg(),
    keyOwnerOrgId: null,
    live: live({ membership: null, orgHasDedicatedKey: false }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    name: 'the org own dedicated key after the membership ended: no tenant',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ membership: null, orgHasDedicatedKey: true }),
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    name: 'the org own dedicated key on a session bound to another org',
    claims: claims(),
    keyOwnerOrgId: ORG,
    live: live({ session: liveSession({ boundOrgId: OTHER_ORG }), orgHasDedicatedKey: true }),
    expect: { kind: 'deny', code: 'UNAUTHENTICATED', reason: 'bound_to_other_org' },
  },
];

describe('decideScope', () => {
  for (const c of cases) {
    test(c.name, () => {
      const token: VerifiedToken = { claims: c.claims, keyOwnerOrgId: c.keyOwnerOrgId ?? null };
      const decision: ScopeDecision = decideScope(token, c.live, NOW);
      assert.equal(decision.kind, c.expect.kind);
      if (c.expect.kind === 'deny') {
        assert.ok(decision.kind === 'deny');
        assert.equal(decision.code, c.expect.code);
        assert.equal(decision.reason, c.expect.reason);
        return;
      }
      assert.ok(decision.kind === 'scope');
      const s = decision.scope;
      assert.deepEqual(
        { orgId: s.orgId, role: s.role, tier: s.tier, userId: s.userId, sessionId: s.sessionId },
        { orgId: c.expect.orgId, role: c.expect.role, tier: c.expect.tier, userId: USER, sessionId: SESSION },
      );
      assert.equal(s.policy, c.expect.policy !== undefined ? c.expect.policy : c.expect.orgId ? CONFIDENTIAL_POLICY : null);
      assert.equal(s.boundOrgId, c.expect.boundOrgId ?? null);
      assert.deepEqual(s.mfaAt, c.expect.mfaAt ?? null);
      assert.equal(s.authTime, c.claims.auth_time);
      assert.deepEqual([...s.amr], c.claims.amr);
    });
  }

  test('the scope cannot be altered after the decision', () => {
    const decision = decideScope({ claims: claims(), keyOwnerOrgId: null }, live(), NOW);
    assert.ok(decision.kind === 'scope');
    assert.ok(Object.isFrozen(decision.scope));
    assert.ok(Object.isFrozen(decision.scope.amr));
  });

  test('the scope does not share the claims amr array', () => {
    const c = claims();
    const decision = decideScope({ claims: c, keyOwnerOrgId: null }, live(), NOW);
    assert.ok(decision.kind === 'scope');
    c.amr.push('injected');
    assert.deepEqual([...decision.scope.amr], ['pwd', 'otp']);
  });
});
