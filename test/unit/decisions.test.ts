/**
 * The security decisions that used to sit inside I/O (issue 16), each a pure function of what the
 * database said and a frozen clock, tested by table: the input, and the tag of the result.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideClientSecret, decideDelegationTtl, narrowScopes, type ClientAccount } from '../../src/core/decisions/decide-client-credentials.ts';
import { decideEntryWithoutOrg } from '../../src/core/decisions/decide-entry.ts';
import { decideInvitation, decideTierRaise, type InvitationFacts } from '../../src/core/decisions/decide-invitation.ts';
import { decideMfaLockout, MFA_MAX_FAILURES } from '../../src/core/decisions/decide-mfa-lockout.ts';
import { decideReentry, type ReentryInput } from '../../src/core/decisions/decide-reentry.ts';
import { successorIsLive, type SuccessorFacts } from '../../src/core/decisions/decide-refresh.ts';
import { decideScopeGrant } from '../../src/core/decisions/decide-scope-grant.ts';
import type { TenantScope } from '../../src/core/decisions/decide-scope.ts';
import { decideSigningKey, needsDedicatedKey, type ActiveKey } from '../../src/core/decisions/decide-signing-key.ts';
import { idleEnd, sessionEnd, tightenedEnds, withOtp } from '../../src/core/policy/session-ends.ts';
import type { Role, Tier } from '../../src/core/vocabulary.ts';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const ORG = '44444444-4444-4444-8444-444444444444';
const OTHER_ORG = '55555555-5555-4555-8555-555555555555';

/** Runs `rows` as one test each: `[name, input, expected tag]`. */
function table<I>(name: string, rows: readonly (readonly [string, I, string])[], decide: (input: I) => { readonly kind: string }): void {
  describe(name, () => {
    for (const [what, input, kind] of rows) test(`${what}: ${kind}`, () => assert.equal(decide(input).kind, kind));
  });
}

const active = (over: Partial<ReentryInput> = {}): ReentryInput => ({ activeOrgId: ORG, boundOrgId: null, membership: { isolatedSession: false }, ...over });
table<ReentryInput>(
  "decideReentry: the refresh's re-entry into its org",
  [
    ['no active org', active({ activeOrgId: null, membership: null }), 'no_org'],
    ['a live membership', active(), 'enter'],
    ['a live membership, bound to the org', active({ boundOrgId: ORG }), 'enter'],
    ['the membership ended, unbound', active({ membership: null }), 'leave_org'],
    ['the membership ended, bound', active({ boundOrgId: ORG, membership: null }), 'revoke_bound'],
    ['the org isolates sessions now, unbound', active({ membership: { isolatedSession: true } }), 'leave_org'],
    ['the org isolates sessions, bound to it', active({ boundOrgId: ORG, membership: { isolatedSession: true } }), 'enter'],
    ['the org isolates sessions, bound to another org', active({ boundOrgId: OTHER_ORG, membership: { isolatedSession: true } }), 'revoke_bound'],
  ],
  decideReentry,
);

const facts = (over: Partial<SuccessorFacts> = {}): SuccessorFacts => ({ retiredBy: 'refresh', successor: { rotatedAt: null, tokenHash: 'h1' }, derivedSuccessorHash: 'h1', ...over });
describe('successorIsLive: may a retry within the leeway be answered', () => {
  const rows: [string, SuccessorFacts, boolean][] = [
    ['the successor is derived from the presented token and unused', facts(), true],
    ['no successor', facts({ successor: null }), false],
    ['the successor has been rotated itself', facts({ successor: { rotatedAt: at(-1), tokenHash: 'h1' } }), false],
    ['a successor that is not the derived one (someone else rotated)', facts({ derivedSuccessorHash: 'h2' }), false],
    ['retired by a switch: its successor is the switch token', facts({ retiredBy: 'switch', derivedSuccessorHash: 'h2' }), true],
    ['retired by a switch, but that successor was rotated', facts({ retiredBy: 'switch', successor: { rotatedAt: at(-1), tokenHash: 'h1' } }), false],
  ];
  for (const [what, input, live] of rows) test(`${what}: ${live}`, () => assert.equal(successorIsLive(input), live));
});

describe('session ends: the strictest policy wins and keeps winning', () => {
  const session = { createdAt: at(-3600), expiresAt: at(7 * 86_400), idleExpiresAt: at(1800) };
  const rows: [string, { absoluteTimeoutSeconds: number; idleTimeoutSeconds: number }, { expiresAt: Date; idleExpiresAt: Date }][] = [
    ['a looser policy moves nothing later', { absoluteTimeoutSeconds: 30 * 86_400, idleTimeoutSeconds: 86_400 }, { expiresAt: session.expiresAt, idleExpiresAt: session.idleExpiresAt }],
    ['a shorter lifetime counts from the creation', { absoluteTimeoutSeconds: 8 * 3600, idleTimeoutSeconds: 86_400 }, { expiresAt: at(7 * 3600), idleExpiresAt: session.idleExpiresAt }],
    ['a shorter idle timeout counts from now', { absoluteTimeoutSeconds: 30 * 86_400, idleTimeoutSeconds: 600 }, { expiresAt: session.expiresAt, idleExpiresAt: at(600) }],
    ['a lifetime already past: both ends are the past', { absoluteTimeoutSeconds: 1800, idleTimeoutSeconds: 600 }, { expiresAt: at(-1800), idleExpiresAt: at(-1800) }],
  ];
  for (const [what, policy, expected] of rows) test(what, () => assert.deepEqual(tightenedEnds(session, policy, NOW), expected));

  test('idleEnd never passes the absolute end', () => {
    assert.deepEqual(idleEnd(NOW, { idleTimeoutSeconds: 600 }, at(86_400)), at(600));
    assert.deepEqual(idleEnd(NOW, { idleTimeoutSeconds: 600 }, at(60)), at(60));
  });
  test('sessionEnd is the earlier end', () => {
    assert.deepEqual(sessionEnd({ expiresAt: at(60), idleExpiresAt: at(600) }), at(60));
    assert.deepEqual(sessionEnd({ expiresAt: at(600), idleExpiresAt: at(60) }), at(60));
  });
  test('withOtp adds otp once', () => {
    assert.deepEqual(withOtp(['pwd']), ['pwd', 'otp']);
    assert.deepEqual(withOtp(['pwd', 'otp']), ['pwd', 'otp']);
  });
});

const account = (over: Partial<ClientAccount> = {}): ClientAccount => ({ revokedAt: null, previousSecretExpiresAt: null, hasPreviousSecret: false, ...over });
type SecretInput = [ClientAccount | null, { current: boolean; previous: boolean }];
const inGrace = account({ hasPreviousSecret: true, previousSecretExpiresAt: at(60) });
table<SecretInput>(
  'decideClientSecret: the secret and its rotation grace',
  [
    ['no account', [null, { current: true, previous: false }], 'invalid_client'],
    ['the current secret', [account(), { current: true, previous: false }], 'current'],
    ['a wrong secret', [account(), { current: false, previous: false }], 'invalid_client'],
    ['a revoked account, the current secret', [account({ revokedAt: at(-1) }), { current: true, previous: false }], 'invalid_client'],
    ['the previous secret within the grace', [inGrace, { current: false, previous: true }], 'previous'],
    ['the previous secret at the end of the grace', [account({ hasPreviousSecret: true, previousSecretExpiresAt: NOW }), { current: false, previous: true }], 'invalid_client'],
    ['the previous secret past the grace', [account({ hasPreviousSecret: true, previousSecretExpiresAt: at(-1) }), { current: false, previous: true }], 'invalid_client'],
    ['a previous-secret match without a previous secret', [account({ previousSecretExpiresAt: at(60) }), { current: false, previous: true }], 'invalid_client'],
    ['the previous secret of a revoked account', [account({ revokedAt: at(-1), hasPreviousSecret: true, previousSecretExpiresAt: at(60) }), { current: false, previous: true }], 'invalid_client'],
  ],
  ([a, matches]) => decideClientSecret(a, matches, NOW),
);

describe('narrowScopes: a client-credentials token gets what it asks for, if it holds all of it', () => {
  const held = ['projects:read', 'audit:read'];
  const rows: [string, string | undefined, ReturnType<typeof narrowScopes>][] = [
    ['no scope parameter: all it holds', undefined, { kind: 'scopes', scopes: held }],
    ['one held scope', 'audit:read', { kind: 'scopes', scopes: ['audit:read'] }],
    ['repeated and spaced', ' audit:read  audit:read ', { kind: 'scopes', scopes: ['audit:read'] }],
    ['one it does not hold', 'projects:read projects:write', { kind: 'invalid_scope' }],
    ['an empty parameter', '', { kind: 'invalid_scope' }],
    ['only spaces', '   ', { kind: 'invalid_scope' }],
  ];
  for (const [what, requested, expected] of rows) test(what, () => assert.deepEqual(narrowScopes(held, requested), expected));
});

describe('decideDelegationTtl: an agent token lives at most as long as the session may', () => {
  const bounds = { sessionTtl: 900, orgTtl: 300, remainingSeconds: 3600 };
  const rows: [string, number, typeof bounds, ReturnType<typeof decideDelegationTtl>][] = [
    ['within every bound', 120, bounds, { kind: 'ok' }],
    ['exactly the org TTL', 300, bounds, { kind: 'ok' }],
    ['past the org TTL', 301, bounds, { kind: 'out_of_bounds', max: 300 }],
    ['past the session end', 200, { ...bounds, remainingSeconds: 100 }, { kind: 'out_of_bounds', max: 100 }],
    ['zero', 0, bounds, { kind: 'out_of_bounds', max: 300 }],
    ['a fraction', 1.5, bounds, { kind: 'out_of_bounds', max: 300 }],
    ['the session about to end: max stays at least 1', 5, { ...bounds, remainingSeconds: 0 }, { kind: 'out_of_bounds', max: 1 }],
  ];
  for (const [what, ttl, b, expected] of rows) test(what, () => assert.deepEqual(decideDelegationTtl(ttl, b), expected));
});

describe('decideMfaLockout: wrong codes per user', () => {
  const rows: [number, string][] = [[0, 'open'], [MFA_MAX_FAILURES - 1, 'open'], [MFA_MAX_FAILURES, 'locked'], [MFA_MAX_FAILURES + 10, 'locked']];
  for (const [failures, kind] of rows) test(`${failures} recent failures: ${kind}`, () => assert.equal(decideMfaLockout(failures).kind, kind));
  test('the limit is five', () => assert.equal(MFA_MAX_FAILURES, 5));
});

const invitation = (over: Partial<InvitationFacts> = {}): InvitationFacts => ({ expiresAt: at(3600), acceptedAt: null, email: 'invitee@example.test', ...over });
table<[InvitationFacts | null, string]>(
  'decideInvitation: only the addressee, once, before it expires',
  [
    ['no invitation', [null, 'invitee@example.test'], 'not_found'],
    ['the addressee', [invitation(), 'invitee@example.test'], 'accept'],
    ['the addressee, in other case', [invitation(), 'Invitee@Example.TEST'], 'accept'],
    ['someone else', [invitation(), 'other@example.test'], 'not_found'],
    ['already accepted', [invitation({ acceptedAt: at(-60) }), 'invitee@example.test'], 'not_found'],
    ['expiring now', [invitation({ expiresAt: NOW }), 'invitee@example.test'], 'not_found'],
    ['expired', [invitation({ expiresAt: at(-1) }), 'invitee@example.test'], 'not_found'],
  ],
  ([i, email]) => decideInvitation(i, email, NOW),
);

table<[Tier, Tier]>(
  'decideTierRaise: upwards only',
  [
    ['STANDARD to CONFIDENTIAL', ['STANDARD', 'CONFIDENTIAL'], 'raise'],
    ['STANDARD to REGULATED', ['STANDARD', 'REGULATED'], 'raise'],
    ['CONFIDENTIAL to REGULATED', ['CONFIDENTIAL', 'REGULATED'], 'raise'],
    ['to the same tier', ['CONFIDENTIAL', 'CONFIDENTIAL'], 'refuse'],
    ['REGULATED to STANDARD', ['REGULATED', 'STANDARD'], 'refuse'],
    ['CONFIDENTIAL to STANDARD', ['CONFIDENTIAL', 'STANDARD'], 'refuse'],
  ],
  ([current, requested]) => decideTierRaise(current, requested),
);

table<'valid' | 'invalid' | 'absent'>(
  'decideEntryWithoutOrg: a code that was sent must be right',
  [
    ['no code', 'absent', 'enter'],
    ['a right code', 'valid', 'enter'],
    ['a wrong or replayed code', 'invalid', 'deny'],
  ],
  (code) => decideEntryWithoutOrg(code, NOW),
);
describe('decideEntryWithoutOrg: what the session records', () => {
  test('a right code records the MFA now, a missing one nothing; neither binds', () => {
    assert.deepEqual(decideEntryWithoutOrg('valid', NOW), { kind: 'enter', mfaAt: NOW, bind: false });
    assert.deepEqual(decideEntryWithoutOrg('absent', NOW), { kind: 'enter', mfaAt: null, bind: false });
    const denied = decideEntryWithoutOrg('invalid', NOW);
    assert.ok(denied.kind === 'deny' && denied.code === 'MFA_REQUIRED');
  });
});

const globalKey: ActiveKey = { kid: 'global', ownerOrgId: null };
const orgKey: ActiveKey = { kid: 'org', ownerOrgId: ORG };
const otherKey: ActiveKey = { kid: 'other', ownerOrgId: OTHER_ORG };
describe('decideSigningKey: which key signs', () => {
  const rows: [string, string | null, boolean, ActiveKey[], ReturnType<typeof decideSigningKey>][] = [
    ['no org: the global key', null, false, [globalKey, orgKey], { kind: 'use', kid: 'global' }],
    ['an org without a key of its own: the global key', ORG, false, [globalKey, otherKey], { kind: 'use', kid: 'global' }],
    ['an org with its own key: that key', ORG, false, [globalKey, orgKey, otherKey], { kind: 'use', kid: 'org' }],
    ['an org with its own key that no longer requires one: still its key', ORG, false, [globalKey, orgKey], { kind: 'use', kid: 'org' }],
    ['an org that requires a key and has none: create it', ORG, true, [globalKey, otherKey], { kind: 'create_dedicated' }],
    ['an org that requires a key and has it', ORG, true, [orgKey, globalKey], { kind: 'use', kid: 'org' }],
    ["never another org's key", ORG, false, [otherKey], { kind: 'none' }],
    ['no global key: none', null, false, [orgKey], { kind: 'none' }],
  ];
  for (const [what, orgId, required, keys, expected] of rows) test(what, () => assert.deepEqual(decideSigningKey(orgId, required, keys), expected));

  test('needsDedicatedKey: required and not there yet', () => {
    assert.equal(needsDedicatedKey(true, false), true);
    assert.equal(needsDedicatedKey(true, true), false);
    assert.equal(needsDedicatedKey(false, false), false);
    assert.equal(needsDedicatedKey(false, true), false);
  });
});

type Grantee = Pick<TenantScope, 'principal' | 'role' | 'scopes'>;
const person = (role: Role | null): Grantee => ({ principal: 'user', role, scopes: null });
const agent = (role: Role, scopes: string[]): Grantee => ({ principal: 'agent', role, scopes });
const service = (scopes: string[]): Grantee => ({ principal: 'service', role: null, scopes });
table<[Grantee, string, Role | null, string[]]>(
  'decideScopeGrant: may the request use a scope',
  [
    ['a MEMBER, a scope for members', [person('MEMBER'), 'invoices:read', 'MEMBER', []], 'grant'],
    ['a MEMBER, a scope for admins', [person('MEMBER'), 'invoices:write', 'ADMIN', []], 'role'],
    ['an OWNER, a scope for admins', [person('OWNER'), 'invoices:write', 'ADMIN', []], 'grant'],
    ['no role (no active org)', [person(null), 'invoices:read', 'MEMBER', []], 'role'],
    ['an unknown scope, even for an OWNER', [person('OWNER'), 'nope:nope', null, []], 'scope'],
    ['a service account holding the scope', [service(['invoices:read']), 'invoices:read', 'MEMBER', []], 'grant'],
    ["a service account holding another module's scope", [service(['projects:read']), 'invoices:read', 'MEMBER', []], 'scope'],
    ['an agent with the scope, its user holding it', [agent('ADMIN', ['invoices:write']), 'invoices:write', 'ADMIN', ['invoices:read', 'invoices:write']], 'grant'],
    ['an agent with the scope, its user demoted since', [agent('MEMBER', ['invoices:write']), 'invoices:write', 'ADMIN', ['invoices:read']], 'role'],
    ['an agent without the scope', [agent('OWNER', ['invoices:read']), 'invoices:write', 'ADMIN', ['invoices:read', 'invoices:write']], 'scope'],
  ],
  ([who, name, minimum, roleScopes]) => decideScopeGrant(who, name, minimum, roleScopes),
);
