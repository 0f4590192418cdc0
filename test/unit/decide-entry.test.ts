import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideEntry, mfaIsFresh, type CodeCheck, type EntryDecision, type EntryInput } from '../../src/core/decisions/decide-entry.ts';
import { resolvePolicy, type SessionPolicy } from '../../src/core/policy/session-policy.ts';
import { type Tier } from '../../src/core/vocabulary.ts';

/* Entry into an organization (signIn with organizationId, switchOrganization), on a frozen clock. */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const SECOND = 1000;
const HOUR = 3600 * SECOND;
const TARGET = '44444444-4444-4444-8444-444444444444';
const ELSEWHERE = '55555555-5555-4555-8555-555555555555';

const STANDARD = resolvePolicy('STANDARD');
const CONFIDENTIAL = resolvePolicy('CONFIDENTIAL');
const REGULATED = resolvePolicy('REGULATED');
const POLICIES: Record<Tier, SessionPolicy> = { STANDARD, CONFIDENTIAL, REGULATED };

/** Written out from docs/API.md so that the table below does not depend on the code's floors. */
const MAX_AGE_MS: Record<Tier, number> = { STANDARD: 0, CONFIDENTIAL: 12 * HOUR, REGULATED: 0 };

type Expect = { readonly enter: Date | null; readonly bind: boolean } | { readonly deny: string };

function input(over: Partial<EntryInput> = {}): EntryInput {
  return { via: 'switch', targetOrgId: TARGET, policy: CONFIDENTIAL, member: true, session: { boundOrgId: null, mfaAt: null }, hasTotp: true, code: 'absent', ...over };
}

function check(decision: EntryDecision, expected: Expect, label = ''): void {
  if ('deny' in expected) {
    assert.equal(decision.kind, 'deny', `${label}: expected ${expected.deny}, got ${JSON.stringify(decision)}`);
    assert.ok(decision.kind === 'deny');
    assert.equal(decision.code, expected.deny, label);
    assert.ok(decision.message.length > 0);
    return;
  }
  assert.equal(decision.kind, 'enter', `${label}: expected enter, got ${JSON.stringify(decision)}`);
  assert.ok(decision.kind === 'enter');
  assert.deepEqual(decision.mfaAt, expected.enter, `${label}: mfaAt`);
  assert.equal(decision.bind, expected.bind, `${label}: bind`);
}

describe('decideEntry: hand-written rows', () => {
  const rows: { name: string; input: EntryInput; expect: Expect }[] = [
    // Membership first: nothing else is revealed to a non-member.
    { name: 'non-member, valid code', input: input({ member: false, code: 'valid' }), expect: { deny: 'FORBIDDEN' } },
    { name: 'non-member, session bound elsewhere', input: input({ member: false, session: { boundOrgId: ELSEWHERE, mfaAt: null } }), expect: { deny: 'FORBIDDEN' } },
    { name: 'non-member of a REGULATED org via switch', input: input({ member: false, policy: REGULATED }), expect: { deny: 'FORBIDDEN' } },
    { name: 'non-member, signIn without TOTP', input: input({ via: 'signIn', session: null, member: false, hasTotp: false }), expect: { deny: 'FORBIDDEN' } },
    // Bound sessions and isolated orgs.
    { name: 'switch from a session bound elsewhere, valid code', input: input({ policy: STANDARD, session: { boundOrgId: ELSEWHERE, mfaAt: NOW }, code: 'valid' }), expect: { deny: 'REAUTHENTICATION_REQUIRED' } },
    { name: 'switch into REGULATED from an unbound session, valid code', input: input({ policy: REGULATED, code: 'valid' }), expect: { deny: 'REAUTHENTICATION_REQUIRED' } },
    { name: 'switch into REGULATED, invalid code: still reauthentication first', input: input({ policy: REGULATED, code: 'invalid' }), expect: { deny: 'REAUTHENTICATION_REQUIRED' } },
    // switchOrganization(sameOrg, mfaCode) is how a bound session re-proves MFA (src/platform/authorization/rules.ts mfaFresh).
    { name: 'switch of a session bound to the REGULATED target into it, valid code', input: input({ policy: REGULATED, session: { boundOrgId: TARGET, mfaAt: ago(HOUR) }, code: 'valid' }), expect: { enter: NOW, bind: false } },
    { name: 'switch of a session bound to the REGULATED target, no code: its sign-in MFA does not carry over', input: input({ policy: REGULATED, session: { boundOrgId: TARGET, mfaAt: ago(SECOND) } }), expect: { deny: 'MFA_REQUIRED' } },
    // MFA by code.
    { name: 'CONFIDENTIAL switch, valid code', input: input({ code: 'valid' }), expect: { enter: NOW, bind: false } },
    { name: 'CONFIDENTIAL switch, valid code replaces an older fresh MFA', input: input({ code: 'valid', session: { boundOrgId: null, mfaAt: ago(HOUR) } }), expect: { enter: NOW, bind: false } },
    { name: 'CONFIDENTIAL switch, invalid code although the earlier MFA is fresh', input: input({ code: 'invalid', session: { boundOrgId: null, mfaAt: ago(HOUR) } }), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'STANDARD switch, invalid code', input: input({ policy: STANDARD, code: 'invalid' }), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'STANDARD signIn, valid code records MFA', input: input({ via: 'signIn', session: null, policy: STANDARD, code: 'valid' }), expect: { enter: NOW, bind: false } },
    // Earlier MFA.
    { name: 'CONFIDENTIAL switch, MFA 1 h ago', input: input({ session: { boundOrgId: null, mfaAt: ago(HOUR) } }), expect: { enter: ago(HOUR), bind: false } },
    { name: 'CONFIDENTIAL switch, MFA exactly 12 h ago', input: input({ session: { boundOrgId: null, mfaAt: ago(12 * HOUR) } }), expect: { enter: ago(12 * HOUR), bind: false } },
    { name: 'CONFIDENTIAL switch, MFA 12 h + 1 ms ago', input: input({ session: { boundOrgId: null, mfaAt: ago(12 * HOUR + 1) } }), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'CONFIDENTIAL switch, MFA 12 h + 1 ms ago, no TOTP', input: input({ hasTotp: false, session: { boundOrgId: null, mfaAt: ago(12 * HOUR + 1) } }), expect: { deny: 'MFA_ENROLLMENT_REQUIRED' } },
    { name: 'CONFIDENTIAL switch, fresh MFA but no TOTP now (earlier MFA still counts)', input: input({ hasTotp: false, session: { boundOrgId: null, mfaAt: ago(HOUR) } }), expect: { enter: ago(HOUR), bind: false } },
    { name: 'CONFIDENTIAL signIn: an MFA of another session never counts', input: input({ via: 'signIn', session: { boundOrgId: null, mfaAt: ago(SECOND) } }), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'CONFIDENTIAL switch, no MFA ever, TOTP enrolled', input: input(), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'CONFIDENTIAL switch, no MFA ever, no TOTP', input: input({ hasTotp: false }), expect: { deny: 'MFA_ENROLLMENT_REQUIRED' } },
    { name: 'STANDARD switch keeps the earlier MFA time', input: input({ policy: STANDARD, session: { boundOrgId: null, mfaAt: ago(40 * HOUR) } }), expect: { enter: ago(40 * HOUR), bind: false } },
    { name: 'STANDARD signIn without a code', input: input({ via: 'signIn', session: null, policy: STANDARD, hasTotp: false }), expect: { enter: null, bind: false } },
    // Tightened policies.
    {
      name: 'CONFIDENTIAL tightened to 1 h, MFA 1 h + 1 s ago',
      input: input({ policy: resolvePolicy('CONFIDENTIAL', { mfaMaxAgeSeconds: 3600 }), session: { boundOrgId: null, mfaAt: ago(HOUR + SECOND) } }),
      expect: { deny: 'MFA_REQUIRED' },
    },
    {
      name: 'STANDARD opted into MFA (12 h by default), MFA 11 h ago',
      input: input({ policy: resolvePolicy('STANDARD', { mfaRequired: true }), session: { boundOrgId: null, mfaAt: ago(11 * HOUR) } }),
      expect: { enter: ago(11 * HOUR), bind: false },
    },
    {
      name: 'STANDARD opted into MFA, no MFA, no TOTP',
      input: input({ policy: resolvePolicy('STANDARD', { mfaRequired: true }), hasTotp: false }),
      expect: { deny: 'MFA_ENROLLMENT_REQUIRED' },
    },
    // Sign-in into an isolated org binds the session.
    { name: 'REGULATED signIn, valid code: bind', input: input({ via: 'signIn', session: null, policy: REGULATED, code: 'valid' }), expect: { enter: NOW, bind: true } },
    { name: 'REGULATED signIn, no code', input: input({ via: 'signIn', session: null, policy: REGULATED }), expect: { deny: 'MFA_REQUIRED' } },
    { name: 'REGULATED signIn, no code, no TOTP', input: input({ via: 'signIn', session: null, policy: REGULATED, hasTotp: false }), expect: { deny: 'MFA_ENROLLMENT_REQUIRED' } },
    {
      name: 'CONFIDENTIAL tightened to isolated, signIn with valid code: bind',
      input: input({ via: 'signIn', session: null, policy: resolvePolicy('CONFIDENTIAL', { isolatedSession: true }), code: 'valid' }),
      expect: { enter: NOW, bind: true },
    },
    {
      name: 'STANDARD tightened to isolated (no MFA), signIn without code: bind',
      input: input({ via: 'signIn', session: null, policy: resolvePolicy('STANDARD', { isolatedSession: true }) }),
      expect: { enter: null, bind: true },
    },
    {
      name: 'STANDARD tightened to isolated, switch from an unbound session',
      input: input({ policy: resolvePolicy('STANDARD', { isolatedSession: true }) }),
      expect: { deny: 'REAUTHENTICATION_REQUIRED' },
    },
  ];
  for (const r of rows) test(r.name, () => check(decideEntry(r.input, NOW), r.expect, r.name));

  test('the decision does not modify its input', () => {
    const i = input({ session: { boundOrgId: null, mfaAt: ago(HOUR) } });
    const copy = structuredClone(i);
    decideEntry(i, NOW);
    assert.deepEqual(i, copy);
  });
});

/*
 * Every combination of tier x MFA age x bound session x membership x code x TOTP x via, against the
 * contract written as an ordered list of rules (independent of the code's structure).
 */
type MfaAge = 'none' | 'fresh' | 'exact' | 'past';
type Bound = 'none' | 'target' | 'elsewhere';

function mfaAtFor(tier: Tier, age: MfaAge): Date | null {
  switch (age) {
    case 'none':
      return null;
    case 'fresh':
      return ago(Math.min(HOUR, MAX_AGE_MS[tier] / 2));
    case 'exact':
      return ago(MAX_AGE_MS[tier]);
    case 'past':
      return ago(MAX_AGE_MS[tier] + 1);
  }
}

function contract(tier: Tier, via: 'signIn' | 'switch', age: MfaAge, bound: Bound, member: boolean, code: CodeCheck, hasTotp: boolean): Expect {
  const isolated = tier === 'REGULATED';
  const mfaRequired = tier !== 'STANDARD';
  const boundOrg = bound === 'none' ? null : bound === 'target' ? TARGET : ELSEWHERE;
  if (!member) return { deny: 'FORBIDDEN' };
  if (via === 'switch' && boundOrg === ELSEWHERE) return { deny: 'REAUTHENTICATION_REQUIRED' };
  if (via === 'switch' && isolated && boundOrg !== TARGET) return { deny: 'REAUTHENTICATION_REQUIRED' };
  const bind = via === 'signIn' && isolated;
  if (code === 'valid') return { enter: NOW, bind };
  if (code === 'invalid') return { deny: 'MFA_REQUIRED' };
  const earlier = via === 'switch' ? mfaAtFor(tier, age) : null;
  if (!mfaRequired) return { enter: earlier, bind };
  // Earlier MFA counts on a switch only, within a non-zero max age (12 h for CONFIDENTIAL).
  if (via === 'switch' && tier === 'CONFIDENTIAL' && (age === 'fresh' || age === 'exact')) return { enter: earlier, bind };
  if (!hasTotp) return { deny: 'MFA_ENROLLMENT_REQUIRED' };
  return { deny: 'MFA_REQUIRED' };
}

describe('decideEntry: full matrix against the contract', () => {
  const tiers: Tier[] = ['STANDARD', 'CONFIDENTIAL', 'REGULATED'];
  const ages: MfaAge[] = ['none', 'fresh', 'exact', 'past'];
  const bounds: Bound[] = ['none', 'target', 'elsewhere'];
  const codes: CodeCheck[] = ['absent', 'valid', 'invalid'];
  let total = 0;
  for (const via of ['switch', 'signIn'] as const) {
    for (const tier of tiers) {
      for (const bound of bounds) {
        test(`${via} into ${tier}, session bound to ${bound}`, () => {
          for (const age of ages) {
            for (const member of [true, false]) {
              for (const code of codes) {
                for (const hasTotp of [true, false]) {
                  // A sign-in has no session; for it, give the (ignored) session of another sign-in so
                  // that "earlier MFA never counts for signIn" is exercised too.
                  const session = { boundOrgId: bound === 'none' ? null : bound === 'target' ? TARGET : ELSEWHERE, mfaAt: mfaAtFor(tier, age) };
                  const label = `${via} ${tier} bound=${bound} mfa=${age} member=${member} code=${code} totp=${hasTotp}`;
                  const decision = decideEntry({ via, targetOrgId: TARGET, policy: POLICIES[tier], member, session, hasTotp, code }, NOW);
                  check(decision, contract(tier, via, age, bound, member, code, hasTotp), label);
                  if (via === 'signIn' && bound === 'none' && age === 'none') {
                    check(decideEntry({ via, targetOrgId: TARGET, policy: POLICIES[tier], member, session: null, hasTotp, code }, NOW), contract(tier, via, age, bound, member, code, hasTotp), `${label} session=null`);
                  }
                  total++;
                }
              }
            }
          }
        });
      }
    }
  }
  test('the matrix covered every combination', () => {
    assert.equal(total, 2 * 3 * 3 * 4 * 2 * 3 * 2);
  });
});

describe('mfaIsFresh', () => {
  const rows: [string, Pick<SessionPolicy, 'mfaRequired' | 'mfaMaxAgeSeconds'>, Date | null, boolean][] = [
    ['MFA not required, never passed', { mfaRequired: false, mfaMaxAgeSeconds: 0 }, null, true],
    ['MFA not required, passed long ago', { mfaRequired: false, mfaMaxAgeSeconds: 60 }, ago(1000 * HOUR), true],
    ['required, never passed', { mfaRequired: true, mfaMaxAgeSeconds: 43200 }, null, false],
    ['required within 12 h, passed now', { mfaRequired: true, mfaMaxAgeSeconds: 43200 }, NOW, true],
    ['required within 12 h, passed 1 h ago', { mfaRequired: true, mfaMaxAgeSeconds: 43200 }, ago(HOUR), true],
    ['required within 12 h, passed exactly 12 h ago', { mfaRequired: true, mfaMaxAgeSeconds: 43200 }, ago(12 * HOUR), true],
    ['required within 12 h, passed 12 h + 1 ms ago', { mfaRequired: true, mfaMaxAgeSeconds: 43200 }, ago(12 * HOUR + 1), false],
    ['required within 60 s, passed 61 s ago', { mfaRequired: true, mfaMaxAgeSeconds: 60 }, ago(61 * SECOND), false],
    ['required at sign-in (0), never passed', { mfaRequired: true, mfaMaxAgeSeconds: 0 }, null, false],
    ['required at sign-in (0), passed at this session sign-in 7 h ago', { mfaRequired: true, mfaMaxAgeSeconds: 0 }, ago(7 * HOUR), true],
  ];
  for (const [name, policy, mfaAt, fresh] of rows) test(name, () => assert.equal(mfaIsFresh(policy, mfaAt, NOW), fresh));

  test('tier policies', () => {
    assert.equal(mfaIsFresh(STANDARD, null, NOW), true);
    assert.equal(mfaIsFresh(CONFIDENTIAL, ago(12 * HOUR), NOW), true);
    assert.equal(mfaIsFresh(CONFIDENTIAL, ago(12 * HOUR + SECOND), NOW), false);
    assert.equal(mfaIsFresh(REGULATED, null, NOW), false);
    assert.equal(mfaIsFresh(REGULATED, ago(HOUR), NOW), true);
  });
});
