import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessClaims } from '../../src/platform/tokens/claims.ts';
import { resolvePolicy } from '../../src/core/policy/session-policy.ts';
import { decideScope, decideServiceScope, type ServiceLiveState, type VerifiedToken } from '../../src/core/decisions/decide-scope.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const ACCOUNT = '66666666-6666-4666-8666-666666666666';
const ORG = '44444444-4444-4444-8444-444444444444';
const OTHER_ORG = '55555555-5555-4555-8555-555555555555';
const CLIENT = { orgId: ORG, accountId: ACCOUNT };

const claims = (overrides: Partial<AccessClaims> = {}): AccessClaims => ({
  iss: 'https://issuer.test',
  aud: 'orgbound',
  sub: ACCOUNT,
  sid: ACCOUNT,
  jti: 'jti-0123456789abcdef',
  iat: NOW_S - 10,
  exp: NOW_S + 290,
  auth_time: NOW_S - 10,
  amr: [],
  client_id: `sa.${ORG}.${ACCOUNT}`,
  org_id: ORG,
  tier: 'STANDARD',
  scope: 'projects:read projects:write',
  ...overrides,
});
const live = (overrides: Partial<ServiceLiveState> = {}): ServiceLiveState => ({
  account: { revokedAt: null, scopes: ['projects:read', 'projects:write'] },
  org: { tier: 'STANDARD', policy: resolvePolicy('STANDARD') },
  orgHasDedicatedKey: false,
  ...overrides,
});
const token = (c: AccessClaims, keyOwnerOrgId: string | null = null): VerifiedToken => ({ claims: c, keyOwnerOrgId });

describe('decideServiceScope', () => {
  test('a live account: its org, no role, bound, its scopes', () => {
    const d = decideServiceScope(token(claims()), CLIENT, live());
    assert.equal(d.kind, 'scope');
    if (d.kind !== 'scope') return;
    assert.equal(d.scope.orgId, ORG);
    assert.equal(d.scope.role, null);
    assert.equal(d.scope.boundOrgId, ORG);
    assert.equal(d.scope.principal, 'service');
    assert.deepEqual(d.scope.scopes, ['projects:read', 'projects:write']);
  });
  test('scopes are narrowed to what the account holds now', () => {
    const d = decideServiceScope(token(claims({ scope: 'projects:read audit:read' })), CLIENT, live());
    assert.ok(d.kind === 'scope' && d.scope.scopes?.join() === 'projects:read');
  });
  test('refusals', () => {
    const cases: [string, ReturnType<typeof decideServiceScope>, string][] = [
      ['revoked', decideServiceScope(token(claims()), CLIENT, live({ account: { revokedAt: NOW, scopes: [] } })), 'SESSION_REVOKED'],
      ['unknown account', decideServiceScope(token(claims()), CLIENT, live({ account: null })), 'UNAUTHENTICATED'],
      ['another org', decideServiceScope(token(claims({ org_id: OTHER_ORG })), CLIENT, live()), 'UNAUTHENTICATED'],
      ['no org', decideServiceScope(token(claims({ org_id: undefined })), CLIENT, live()), 'UNAUTHENTICATED'],
      ['sid is not the account', decideServiceScope(token(claims({ sid: OTHER_ORG })), CLIENT, live()), 'UNAUTHENTICATED'],
      ['an act claim', decideServiceScope(token(claims({ act: { sub: 'agent:x' } })), CLIENT, live()), 'UNAUTHENTICATED'],
      ['global key for an org with its own', decideServiceScope(token(claims()), CLIENT, live({ orgHasDedicatedKey: true })), 'UNAUTHENTICATED'],
      ["another org's key", decideServiceScope(token(claims(), OTHER_ORG), CLIENT, live()), 'UNAUTHENTICATED'],
    ];
    for (const [what, d, code] of cases) assert.ok(d.kind === 'deny' && d.code === code, `${what}: ${JSON.stringify(d)}`);
  });
});

describe('decideScope for a delegated token', () => {
  test('principal agent, its scopes and actor; a person has neither', () => {
    const session = { userId: ACCOUNT, revokedAt: null, expiresAt: new Date(NOW.getTime() + 3_600_000), idleExpiresAt: new Date(NOW.getTime() + 3_600_000), boundOrgId: null, mfaAt: null };
    const membership = { role: 'MEMBER' as const, tier: 'STANDARD' as const, policy: resolvePolicy('STANDARD') };
    const base = claims({ client_id: 'orgbound', scope: undefined, role: 'MEMBER' });
    const person = decideScope(token(base), { session, membership, orgHasDedicatedKey: false }, NOW);
    assert.ok(person.kind === 'scope' && person.scope.principal === 'user' && person.scope.scopes === null && person.scope.actor === null);
    const agent = decideScope(token({ ...base, scope: 'projects:read', act: { sub: 'agent:bot' } }), { session, membership, orgHasDedicatedKey: false }, NOW);
    assert.ok(agent.kind === 'scope' && agent.scope.principal === 'agent' && agent.scope.actor === 'agent:bot');
    assert.ok(agent.kind === 'scope' && agent.scope.scopes?.join() === 'projects:read');
  });
});
