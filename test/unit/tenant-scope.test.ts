import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessClaims } from '../../src/auth/tokens/claims.ts';
import { decideScope, type LiveState, type ScopeDecision } from '../../src/tenancy/tenant-scope.ts';

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
  ...overrides,
});
const MEMBERSHIP: LiveState['membership'] = { role: 'ADMIN', tier: 'CONFIDENTIAL' };

interface Case {
  readonly name: string;
  readonly claims: AccessClaims;
  readonly live: LiveState;
  readonly expect:
    | { readonly kind: 'deny'; readonly code: string }
    | { readonly kind: 'scope'; readonly orgId: string | null; readonly role: string | null; readonly tier: string | null };
}

const cases: Case[] = [
  { name: 'no session row for sid', claims: claims(), live: { session: null, membership: MEMBERSHIP }, expect: { kind: 'deny', code: 'UNAUTHENTICATED' } },
  {
    name: 'session belongs to another user',
    claims: claims(),
    live: { session: liveSession({ userId: OTHER_USER }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'UNAUTHENTICATED' },
  },
  {
    name: 'revoked session',
    claims: claims(),
    live: { session: liveSession({ revokedAt: new Date(NOW.getTime() - 1000) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_REVOKED' },
  },
  {
    name: 'session expired before now',
    claims: claims(),
    live: { session: liveSession({ expiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_EXPIRED' },
  },
  {
    name: 'session expiring exactly now',
    claims: claims(),
    live: { session: liveSession({ expiresAt: new Date(NOW.getTime()) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_EXPIRED' },
  },
  {
    name: 'session expiring 1 ms after now is still live',
    claims: claims(),
    live: { session: liveSession({ expiresAt: new Date(NOW.getTime() + 1), idleExpiresAt: new Date(NOW.getTime() + 1) }), membership: MEMBERSHIP },
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'idle end passed (no refresh for the idle timeout), absolute end ahead',
    claims: claims(),
    live: { session: liveSession({ idleExpiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_EXPIRED' },
  },
  {
    name: 'idle end exactly now',
    claims: claims(),
    live: { session: liveSession({ idleExpiresAt: new Date(NOW.getTime()) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_EXPIRED' },
  },
  {
    name: 'revoked wins over expired',
    claims: claims(),
    live: { session: liveSession({ revokedAt: new Date(NOW.getTime() - 5), expiresAt: new Date(NOW.getTime() - 1) }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'SESSION_REVOKED' },
  },
  {
    name: 'bound session, token for its own org',
    claims: claims(),
    live: { session: liveSession({ boundOrgId: ORG }), membership: MEMBERSHIP },
    expect: { kind: 'scope', orgId: ORG, role: 'ADMIN', tier: 'CONFIDENTIAL' },
  },
  {
    name: 'bound session, token for another org',
    claims: claims({ org_id: OTHER_ORG }),
    live: { session: liveSession({ boundOrgId: ORG }), membership: MEMBERSHIP },
    expect: { kind: 'deny', code: 'UNAUTHENTICATED' },
  },
  {
    name: 'bound session, token without org_id',
    claims: withoutOrg(),
    live: { session: liveSession({ boundOrgId: ORG }), membership: null },
    expect: { kind: 'deny', code: 'UNAUTHENTICATED' },
  },
  {
    name: 'org_id with a live membership',
    claims: claims(),
    live: { session: liveSession(), membership: { role: 'MEMBER', tier: 'REGULATED' } },
    expect: { kind: 'scope', orgId: ORG, role: 'MEMBER', tier: 'REGULATED' },
  },
  {
    // removeMember takes effect at once: the claim still says ADMIN, the scope must not.
    name: 'org_id whose membership has ended',
    claims: claims(),
    live: { session: liveSession(), membership: null },
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    name: 'no org_id',
    claims: withoutOrg(),
    live: { session: liveSession(), membership: null },
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
  {
    // A membership row must never stand in for a missing org_id claim.
    name: 'no org_id, even if a membership is supplied',
    claims: withoutOrg(),
    live: { session: liveSession(), membership: MEMBERSHIP },
    expect: { kind: 'scope', orgId: null, role: null, tier: null },
  },
];

describe('decideScope', () => {
  for (const c of cases) {
    test(c.name, () => {
      const decision: ScopeDecision = decideScope(c.claims, c.live, NOW);
      assert.equal(decision.kind, c.expect.kind);
      if (c.expect.kind === 'deny') {
        assert.ok(decision.kind === 'deny');
        assert.equal(decision.code, c.expect.code);
        return;
      }
      assert.ok(decision.kind === 'scope');
      const s = decision.scope;
      assert.deepEqual(
        { orgId: s.orgId, role: s.role, tier: s.tier, userId: s.userId, sessionId: s.sessionId },
        { orgId: c.expect.orgId, role: c.expect.role, tier: c.expect.tier, userId: USER, sessionId: SESSION },
      );
      assert.equal(s.authTime, c.claims.auth_time);
      assert.deepEqual([...s.amr], c.claims.amr);
    });
  }

  test('the scope cannot be altered after the decision', () => {
    const decision = decideScope(claims(), { session: liveSession(), membership: MEMBERSHIP }, NOW);
    assert.ok(decision.kind === 'scope');
    assert.ok(Object.isFrozen(decision.scope));
    assert.ok(Object.isFrozen(decision.scope.amr));
  });

  test('the scope does not share the claims amr array', () => {
    const c = claims();
    const decision = decideScope(c, { session: liveSession(), membership: MEMBERSHIP }, NOW);
    assert.ok(decision.kind === 'scope');
    c.amr.push('injected');
    assert.deepEqual([...decision.scope.amr], ['pwd', 'otp']);
  });
});
