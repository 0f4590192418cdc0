import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPolicyUpdate, resolvePolicy, strictestPolicy, TIER_FLOORS, type PolicyOverrides, type PolicyUpdate, type SessionPolicy } from '../../src/core/policy/session-policy.ts';
import { type Tier } from '../../src/core/vocabulary.ts';

/*
 * The tier-floor table of docs/API.md, transcribed by hand (not imported) so that a change to
 * the code's floors has to be a deliberate change to the contract as well.
 * "MFA yes, at that sign-in" is encoded as mfaMaxAgeSeconds 0 with mfaRequired.
 */
const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
const CONTRACT: Record<Tier, SessionPolicy> = {
  STANDARD: {
    accessTokenTtlSeconds: 15 * MIN,
    idleTimeoutSeconds: 7 * DAY,
    absoluteTimeoutSeconds: 30 * DAY,
    mfaRequired: false,
    mfaMaxAgeSeconds: 0,
    isolatedSession: false,
    dedicatedSigningKey: false,
    refreshReuseLeewaySeconds: 10,
  },
  CONFIDENTIAL: {
    accessTokenTtlSeconds: 5 * MIN,
    idleTimeoutSeconds: 8 * HOUR,
    absoluteTimeoutSeconds: 24 * HOUR,
    mfaRequired: true,
    mfaMaxAgeSeconds: 12 * HOUR,
    isolatedSession: false,
    dedicatedSigningKey: true,
    refreshReuseLeewaySeconds: 2,
  },
  REGULATED: {
    accessTokenTtlSeconds: 2 * MIN,
    idleTimeoutSeconds: 15 * MIN,
    absoluteTimeoutSeconds: 8 * HOUR,
    mfaRequired: true,
    mfaMaxAgeSeconds: 0,
    isolatedSession: true,
    dedicatedSigningKey: true,
    refreshReuseLeewaySeconds: 0,
  },
};

describe('TIER_FLOORS', () => {
  for (const tier of ['STANDARD', 'CONFIDENTIAL', 'REGULATED'] as const) {
    test(`${tier} equals the docs/API.md table`, () => {
      const floor = TIER_FLOORS[tier];
      if (!CONTRACT[tier].mfaRequired) {
        // The table says only "no" for MFA; the age is meaningless then, so do not pin it.
        assert.deepEqual({ ...floor, mfaMaxAgeSeconds: 0 }, CONTRACT[tier]);
        assert.equal(floor.mfaRequired, false);
      } else {
        assert.deepEqual({ ...floor }, CONTRACT[tier]);
      }
    });
  }
});

describe('strictestPolicy over tier floors', () => {
  test('no organization entered yet: the STANDARD floor', () => {
    assert.deepEqual({ ...strictestPolicy([]), mfaMaxAgeSeconds: 0 }, CONTRACT.STANDARD);
    assert.equal(strictestPolicy([]).mfaRequired, false);
  });

  // Each set of entered tiers and the contract policy it must produce (written out, not derived).
  const combos: [readonly Tier[], SessionPolicy][] = [
    [['STANDARD'], CONTRACT.STANDARD],
    [['CONFIDENTIAL'], CONTRACT.CONFIDENTIAL],
    [['REGULATED'], CONTRACT.REGULATED],
    // STANDARD's MFA age must not count: it does not require MFA at all.
    [['STANDARD', 'CONFIDENTIAL'], CONTRACT.CONFIDENTIAL],
    [['STANDARD', 'REGULATED'], CONTRACT.REGULATED],
    [['CONFIDENTIAL', 'REGULATED'], CONTRACT.REGULATED],
    [['STANDARD', 'CONFIDENTIAL', 'REGULATED'], CONTRACT.REGULATED],
    [['CONFIDENTIAL', 'STANDARD', 'CONFIDENTIAL'], CONTRACT.CONFIDENTIAL],
  ];
  for (const [tiers, expected] of combos) {
    test(`entered ${tiers.join(' + ')}`, () => {
      const got = strictestPolicy(tiers.map((t) => TIER_FLOORS[t]));
      if (!expected.mfaRequired) assert.deepEqual({ ...got, mfaMaxAgeSeconds: 0 }, expected);
      else assert.deepEqual(got, expected);
    });
  }
});

describe('strictestPolicy over tightened policies', () => {
  const base: SessionPolicy = {
    accessTokenTtlSeconds: 600,
    idleTimeoutSeconds: 7200,
    absoluteTimeoutSeconds: 86400,
    mfaRequired: false,
    mfaMaxAgeSeconds: 0,
    isolatedSession: false,
    dedicatedSigningKey: false,
    refreshReuseLeewaySeconds: 5,
  };
  const a: SessionPolicy = { ...base, accessTokenTtlSeconds: 60, idleTimeoutSeconds: 9000, refreshReuseLeewaySeconds: 3 };
  const b: SessionPolicy = { ...base, idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 40000, refreshReuseLeewaySeconds: 8 };
  const c: SessionPolicy = { ...base, accessTokenTtlSeconds: 300, absoluteTimeoutSeconds: 30000, dedicatedSigningKey: true };

  test('each duration is the minimum of that field, even when it comes from different policies', () => {
    const got = strictestPolicy([a, b, c]);
    assert.equal(got.accessTokenTtlSeconds, 60);
    assert.equal(got.idleTimeoutSeconds, 1800);
    assert.equal(got.absoluteTimeoutSeconds, 30000);
    assert.equal(got.refreshReuseLeewaySeconds, 3);
  });

  const mfaCases: { name: string; policies: SessionPolicy[]; required: boolean; age?: number }[] = [
    { name: 'none requires MFA', policies: [a, b], required: false },
    {
      name: 'a non-MFA policy with a tiny age does not lower the age',
      policies: [{ ...a, mfaMaxAgeSeconds: 5 }, { ...b, mfaRequired: true, mfaMaxAgeSeconds: 3600 }],
      required: true,
      age: 3600,
    },
    {
      name: 'the smallest age among MFA-requiring policies',
      policies: [{ ...a, mfaRequired: true, mfaMaxAgeSeconds: 7200 }, { ...b, mfaRequired: true, mfaMaxAgeSeconds: 1800 }, c],
      required: true,
      age: 1800,
    },
    {
      name: 'MFA at sign-in (age 0) beats any age',
      policies: [{ ...a, mfaRequired: true, mfaMaxAgeSeconds: 43200 }, { ...b, mfaRequired: true, mfaMaxAgeSeconds: 0 }],
      required: true,
      age: 0,
    },
  ];
  for (const m of mfaCases) {
    test(`MFA: ${m.name}`, () => {
      const got = strictestPolicy(m.policies);
      assert.equal(got.mfaRequired, m.required);
      if (m.age !== undefined) assert.equal(got.mfaMaxAgeSeconds, m.age);
    });
  }

  const flagCases: { flags: [boolean, boolean, boolean]; expected: boolean }[] = [
    { flags: [false, false, false], expected: false },
    { flags: [true, false, false], expected: true },
    { flags: [false, false, true], expected: true },
    { flags: [true, true, true], expected: true },
  ];
  for (const { flags, expected } of flagCases) {
    test(`isolatedSession and dedicatedSigningKey: any of [${flags.join(', ')}] -> ${expected}`, () => {
      const policies = flags.map((f) => ({ ...base, isolatedSession: f, dedicatedSigningKey: f }));
      const got = strictestPolicy(policies);
      assert.equal(got.isolatedSession, expected);
      assert.equal(got.dedicatedSigningKey, expected);
    });
  }

  test('the result does not depend on the order the organizations were entered', () => {
    const m = { ...b, mfaRequired: true, mfaMaxAgeSeconds: 900, isolatedSession: true };
    const orders = [
      [a, m, c],
      [a, c, m],
      [m, a, c],
      [m, c, a],
      [c, a, m],
      [c, m, a],
    ];
    const expected: SessionPolicy = {
      accessTokenTtlSeconds: 60,
      idleTimeoutSeconds: 1800,
      absoluteTimeoutSeconds: 30000,
      mfaRequired: true,
      mfaMaxAgeSeconds: 900,
      isolatedSession: true,
      dedicatedSigningKey: true,
      refreshReuseLeewaySeconds: 3,
    };
    for (const order of orders) assert.deepEqual(strictestPolicy(order), expected);
  });

  test('the inputs are not modified', () => {
    const copies = [structuredClone(a), structuredClone(b)];
    strictestPolicy(copies);
    assert.deepEqual(copies, [a, b]);
  });
});

const TIERS = ['STANDARD', 'CONFIDENTIAL', 'REGULATED'] as const;

describe('resolvePolicy', () => {
  for (const tier of TIERS) {
    test(`${tier} without overrides is the docs/API.md floor`, () => {
      const got = resolvePolicy(tier);
      if (!CONTRACT[tier].mfaRequired) assert.deepEqual({ ...got, mfaMaxAgeSeconds: 0 }, CONTRACT[tier]);
      else assert.deepEqual(got, CONTRACT[tier]);
    });
  }

  const tightened: [string, Tier, PolicyOverrides, Partial<SessionPolicy>][] = [
    ['shorter access token', 'STANDARD', { accessTokenTtlSeconds: 300 }, { accessTokenTtlSeconds: 300 }],
    ['access token at the 60 s minimum', 'REGULATED', { accessTokenTtlSeconds: 60 }, { accessTokenTtlSeconds: 60 }],
    ['shorter idle and absolute', 'CONFIDENTIAL', { idleTimeoutSeconds: HOUR, absoluteTimeoutSeconds: 4 * HOUR }, { idleTimeoutSeconds: HOUR, absoluteTimeoutSeconds: 4 * HOUR }],
    ['absolute below the floor idle: idle follows it down', 'STANDARD', { absoluteTimeoutSeconds: DAY }, { idleTimeoutSeconds: DAY, absoluteTimeoutSeconds: DAY }],
    ['zero reuse leeway', 'STANDARD', { refreshReuseLeewaySeconds: 0 }, { refreshReuseLeewaySeconds: 0 }],
    ['STANDARD opting into MFA without an age gets 12 h', 'STANDARD', { mfaRequired: true }, { mfaRequired: true, mfaMaxAgeSeconds: 12 * HOUR }],
    ['STANDARD opting into MFA within 30 days', 'STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY }, { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY }],
    ['CONFIDENTIAL MFA within 1 h', 'CONFIDENTIAL', { mfaMaxAgeSeconds: HOUR }, { mfaMaxAgeSeconds: HOUR }],
    ['CONFIDENTIAL isolated with MFA at sign-in', 'CONFIDENTIAL', { isolatedSession: true, mfaMaxAgeSeconds: 0 }, { isolatedSession: true, mfaMaxAgeSeconds: 0 }],
    ['STANDARD dedicated key', 'STANDARD', { dedicatedSigningKey: true }, { dedicatedSigningKey: true }],
  ];
  for (const [name, tier, overrides, changed] of tightened) {
    test(`applies a tightening: ${name}`, () => {
      assert.deepEqual(resolvePolicy(tier, overrides), { ...CONTRACT[tier], ...changed });
    });
  }

  // A hand-edited row (checkPolicyUpdate would never store these) must not loosen anything.
  const ignored: [string, Tier, PolicyOverrides][] = [
    ['longer access token', 'CONFIDENTIAL', { accessTokenTtlSeconds: HOUR }],
    ['longer idle', 'REGULATED', { idleTimeoutSeconds: DAY }],
    ['longer absolute', 'CONFIDENTIAL', { absoluteTimeoutSeconds: 30 * DAY }],
    ['longer leeway', 'CONFIDENTIAL', { refreshReuseLeewaySeconds: 60 }],
    ['MFA turned off', 'CONFIDENTIAL', { mfaRequired: false }],
    ['isolation turned off', 'REGULATED', { isolatedSession: false }],
    ['dedicated key turned off', 'REGULATED', { dedicatedSigningKey: false }],
    ['MFA age beyond 12 h', 'CONFIDENTIAL', { mfaMaxAgeSeconds: 13 * HOUR }],
    ['MFA age instead of at-sign-in', 'REGULATED', { mfaMaxAgeSeconds: 60 }],
    ['MFA at sign-in without isolation', 'CONFIDENTIAL', { mfaMaxAgeSeconds: 0 }],
    ['negative MFA age', 'CONFIDENTIAL', { mfaMaxAgeSeconds: -1 }],
    ['fractional MFA age', 'CONFIDENTIAL', { mfaMaxAgeSeconds: 1.5 }],
    ['access token below the minimum', 'STANDARD', { accessTokenTtlSeconds: 1 }],
    ['idle below the minimum', 'STANDARD', { idleTimeoutSeconds: 10 }],
    ['absolute below the minimum', 'STANDARD', { absoluteTimeoutSeconds: 60 }],
    ['negative leeway', 'STANDARD', { refreshReuseLeewaySeconds: -5 }],
    ['fractional duration', 'STANDARD', { accessTokenTtlSeconds: 120.5 }],
    ['non-numeric durations', 'STANDARD', { accessTokenTtlSeconds: '60' as unknown as number, idleTimeoutSeconds: null as unknown as number }],
    ['truthy non-boolean flag off', 'CONFIDENTIAL', { mfaRequired: 0 as unknown as boolean }],
    ['everything loosened at once', 'REGULATED', { accessTokenTtlSeconds: 900, idleTimeoutSeconds: 7 * DAY, absoluteTimeoutSeconds: 30 * DAY, mfaRequired: false, mfaMaxAgeSeconds: 12 * HOUR, isolatedSession: false, dedicatedSigningKey: false, refreshReuseLeewaySeconds: 10 }],
  ];
  for (const [name, tier, overrides] of ignored) {
    test(`ignores a loosening or invalid override from a hand-edited row: ${name}`, () => {
      const got = resolvePolicy(tier, overrides);
      if (!CONTRACT[tier].mfaRequired) assert.deepEqual({ ...got, mfaMaxAgeSeconds: 0 }, CONTRACT[tier]);
      else assert.deepEqual(got, CONTRACT[tier]);
    });
  }

  test('a STANDARD age override without mfaRequired does not require MFA', () => {
    const got = resolvePolicy('STANDARD', { mfaMaxAgeSeconds: 60 });
    assert.equal(got.mfaRequired, false);
  });

  test('STANDARD opting into MFA with an out-of-range age falls back to 12 h', () => {
    assert.equal(resolvePolicy('STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: 31 * DAY }).mfaMaxAgeSeconds, 12 * HOUR);
    assert.equal(resolvePolicy('STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: 0 }).mfaMaxAgeSeconds, 12 * HOUR);
  });

  test('the floors are not modified by resolving', () => {
    resolvePolicy('CONFIDENTIAL', { accessTokenTtlSeconds: 60, isolatedSession: true, mfaMaxAgeSeconds: 0 });
    assert.deepEqual({ ...TIER_FLOORS.CONFIDENTIAL }, CONTRACT.CONFIDENTIAL);
  });
});

function refused(result: PolicyUpdate, field: string): void {
  assert.equal(result.ok, false, `expected a refusal on ${field}, got ${JSON.stringify(result)}`);
  assert.ok(!result.ok);
  assert.equal(result.field, field);
  assert.ok(result.reason.length > 0);
}

describe('checkPolicyUpdate', () => {
  const accepted: [string, Tier, PolicyOverrides, PolicyOverrides, Partial<SessionPolicy>][] = [
    ['shorter access token', 'STANDARD', {}, { accessTokenTtlSeconds: 60 }, { accessTokenTtlSeconds: 60 }],
    ['every duration at the floor is a no-op', 'CONFIDENTIAL', {}, { accessTokenTtlSeconds: 5 * MIN, idleTimeoutSeconds: 8 * HOUR, absoluteTimeoutSeconds: 24 * HOUR, refreshReuseLeewaySeconds: 2 }, {}],
    ['idle and absolute tightened together', 'STANDARD', {}, { idleTimeoutSeconds: HOUR, absoluteTimeoutSeconds: DAY }, { idleTimeoutSeconds: HOUR, absoluteTimeoutSeconds: DAY }],
    ['idle equal to absolute', 'STANDARD', {}, { idleTimeoutSeconds: DAY, absoluteTimeoutSeconds: DAY }, { idleTimeoutSeconds: DAY, absoluteTimeoutSeconds: DAY }],
    ['minimums exactly', 'STANDARD', {}, { accessTokenTtlSeconds: 60, idleTimeoutSeconds: 5 * MIN, absoluteTimeoutSeconds: 15 * MIN, refreshReuseLeewaySeconds: 0 }, { accessTokenTtlSeconds: 60, idleTimeoutSeconds: 5 * MIN, absoluteTimeoutSeconds: 15 * MIN, refreshReuseLeewaySeconds: 0 }],
    ['STANDARD opts into MFA within 1 h', 'STANDARD', {}, { mfaRequired: true, mfaMaxAgeSeconds: HOUR }, { mfaRequired: true, mfaMaxAgeSeconds: HOUR }],
    ['STANDARD opts into MFA within 30 days (the ceiling)', 'STANDARD', {}, { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY }, { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY }],
    ['CONFIDENTIAL MFA within 12 h (the floor)', 'CONFIDENTIAL', {}, { mfaMaxAgeSeconds: 12 * HOUR }, {}],
    ['CONFIDENTIAL MFA at sign-in with isolation', 'CONFIDENTIAL', {}, { isolatedSession: true, mfaMaxAgeSeconds: 0 }, { isolatedSession: true, mfaMaxAgeSeconds: 0 }],
    ['CONFIDENTIAL MFA at sign-in, isolation already stored', 'CONFIDENTIAL', { isolatedSession: true }, { mfaMaxAgeSeconds: 0 }, { isolatedSession: true, mfaMaxAgeSeconds: 0 }],
    ['REGULATED MFA at sign-in (its floor)', 'REGULATED', {}, { mfaMaxAgeSeconds: 0 }, {}],
    ['required flags restated as true', 'REGULATED', {}, { mfaRequired: true, isolatedSession: true, dedicatedSigningKey: true }, {}],
    ['STANDARD flags restated as false', 'STANDARD', {}, { mfaRequired: false, isolatedSession: false, dedicatedSigningKey: false }, {}],
    ['STANDARD opt-in MFA turned off drops its stored age', 'STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: HOUR }, { mfaRequired: false }, {}],
    ['STANDARD dedicated key and isolation on', 'STANDARD', {}, { dedicatedSigningKey: true, isolatedSession: true }, { dedicatedSigningKey: true, isolatedSession: true }],
    ['fields not given keep their current override', 'CONFIDENTIAL', { accessTokenTtlSeconds: 120 }, { refreshReuseLeewaySeconds: 1 }, { accessTokenTtlSeconds: 120, refreshReuseLeewaySeconds: 1 }],
    ['an earlier tightening may be relaxed back towards the floor', 'CONFIDENTIAL', { accessTokenTtlSeconds: 120 }, { accessTokenTtlSeconds: 240 }, { accessTokenTtlSeconds: 240 }],
  ];
  for (const [name, tier, current, input, changed] of accepted) {
    test(`accepts: ${name}`, () => {
      const result = checkPolicyUpdate(tier, current, input);
      assert.ok(result.ok, JSON.stringify(result));
      const expected = { ...CONTRACT[tier], ...changed };
      assert.deepEqual(result.policy, expected);
      // Only what differs from the floor is stored.
      assert.deepEqual(result.overrides, changed);
      assert.deepEqual(resolvePolicy(tier, result.overrides), result.policy);
    });
  }

  // Loosening any field beyond the tier's floor: refused, naming the field.
  for (const tier of TIERS) {
    const floor = CONTRACT[tier];
    for (const field of ['accessTokenTtlSeconds', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'refreshReuseLeewaySeconds'] as const) {
      test(`refuses ${tier} ${field} 1 s above the floor`, () => refused(checkPolicyUpdate(tier, {}, { [field]: floor[field] + 1 }), field));
    }
    for (const field of ['mfaRequired', 'isolatedSession', 'dedicatedSigningKey'] as const) {
      if (floor[field]) test(`refuses ${tier} ${field} turned off`, () => refused(checkPolicyUpdate(tier, {}, { [field]: false }), field));
    }
  }

  const refusals: [string, Tier, PolicyOverrides, PolicyOverrides, string][] = [
    ['CONFIDENTIAL MFA age 12 h + 1 s', 'CONFIDENTIAL', {}, { mfaMaxAgeSeconds: 12 * HOUR + 1 }, 'mfaMaxAgeSeconds'],
    ['REGULATED MFA age 1 s (instead of at sign-in)', 'REGULATED', {}, { mfaMaxAgeSeconds: 1 }, 'mfaMaxAgeSeconds'],
    ['STANDARD MFA age beyond 30 days', 'STANDARD', {}, { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY + 1 }, 'mfaMaxAgeSeconds'],
    ['STANDARD MFA age without mfaRequired', 'STANDARD', {}, { mfaMaxAgeSeconds: HOUR }, 'mfaMaxAgeSeconds'],
    ['MFA at sign-in without isolation (CONFIDENTIAL)', 'CONFIDENTIAL', {}, { mfaMaxAgeSeconds: 0 }, 'mfaMaxAgeSeconds'],
    ['MFA at sign-in without isolation (STANDARD opted in)', 'STANDARD', {}, { mfaRequired: true, mfaMaxAgeSeconds: 0 }, 'mfaMaxAgeSeconds'],
    ['negative MFA age', 'CONFIDENTIAL', {}, { mfaMaxAgeSeconds: -1 }, 'mfaMaxAgeSeconds'],
    ['fractional MFA age', 'CONFIDENTIAL', {}, { mfaMaxAgeSeconds: 3600.5 }, 'mfaMaxAgeSeconds'],
    ['access token below 60 s', 'STANDARD', {}, { accessTokenTtlSeconds: 59 }, 'accessTokenTtlSeconds'],
    ['idle below 5 min', 'REGULATED', {}, { idleTimeoutSeconds: 5 * MIN - 1 }, 'idleTimeoutSeconds'],
    ['absolute below 15 min', 'REGULATED', {}, { absoluteTimeoutSeconds: 15 * MIN - 1 }, 'absoluteTimeoutSeconds'],
    ['negative leeway', 'STANDARD', {}, { refreshReuseLeewaySeconds: -1 }, 'refreshReuseLeewaySeconds'],
    ['zero access token', 'STANDARD', {}, { accessTokenTtlSeconds: 0 }, 'accessTokenTtlSeconds'],
    ['fractional duration', 'STANDARD', {}, { idleTimeoutSeconds: 3600.5 }, 'idleTimeoutSeconds'],
    ['NaN duration', 'STANDARD', {}, { accessTokenTtlSeconds: Number.NaN }, 'accessTokenTtlSeconds'],
    ['idle longer than absolute, both given', 'STANDARD', {}, { idleTimeoutSeconds: 2 * DAY, absoluteTimeoutSeconds: DAY }, 'idleTimeoutSeconds'],
    ['idle longer than a stored absolute', 'CONFIDENTIAL', { absoluteTimeoutSeconds: 2 * HOUR }, { idleTimeoutSeconds: 3 * HOUR }, 'idleTimeoutSeconds'],
    ['a loosening hidden in a stored override is still refused', 'CONFIDENTIAL', { accessTokenTtlSeconds: HOUR }, { refreshReuseLeewaySeconds: 1 }, 'accessTokenTtlSeconds'],
    ['isolation off while MFA at sign-in is stored', 'STANDARD', { mfaRequired: true, isolatedSession: true, mfaMaxAgeSeconds: 0 }, { isolatedSession: false }, 'mfaMaxAgeSeconds'],
  ];
  for (const [name, tier, current, input, field] of refusals) {
    test(`refuses: ${name}`, () => refused(checkPolicyUpdate(tier, current, input), field));
  }

  test('a refusal leaves the current overrides untouched', () => {
    const current: PolicyOverrides = { accessTokenTtlSeconds: 120 };
    refused(checkPolicyUpdate('CONFIDENTIAL', current, { accessTokenTtlSeconds: 3600 }), 'accessTokenTtlSeconds');
    assert.deepEqual(current, { accessTokenTtlSeconds: 120 });
  });

  test('undefined input fields are ignored (they keep the current value)', () => {
    const result = checkPolicyUpdate('CONFIDENTIAL', { accessTokenTtlSeconds: 120 }, { accessTokenTtlSeconds: undefined });
    assert.ok(result.ok);
    assert.equal(result.policy.accessTokenTtlSeconds, 120);
  });

  // Tightening only the absolute lifetime below the floor idle timeout is a pure tightening (resolvePolicy
  // already lowers idle to it), but checkPolicyUpdate compares it with the floor idle and refuses it.
  test('accepts tightening only absoluteTimeoutSeconds below the floor idle timeout', () => {
    const result = checkPolicyUpdate('STANDARD', {}, { absoluteTimeoutSeconds: DAY });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.policy.absoluteTimeoutSeconds, DAY);
    assert.equal(result.policy.idleTimeoutSeconds, DAY);
  });
});

/** Whether `p` is at least as strict as `q` in every field. */
function atLeastAsStrict(p: SessionPolicy, q: SessionPolicy): string | null {
  for (const f of ['accessTokenTtlSeconds', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'refreshReuseLeewaySeconds'] as const) {
    if (p[f] > q[f]) return f;
  }
  for (const f of ['mfaRequired', 'isolatedSession', 'dedicatedSigningKey'] as const) if (q[f] && !p[f]) return f;
  if (q.mfaRequired && p.mfaMaxAgeSeconds > q.mfaMaxAgeSeconds) return 'mfaMaxAgeSeconds';
  return null;
}

describe('strictestPolicy is never looser than any input', () => {
  const pool: [string, SessionPolicy][] = [
    ['STANDARD', resolvePolicy('STANDARD')],
    ['CONFIDENTIAL', resolvePolicy('CONFIDENTIAL')],
    ['REGULATED', resolvePolicy('REGULATED')],
    ['STANDARD+MFA 30 d', resolvePolicy('STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: 30 * DAY })],
    ['STANDARD+MFA 1 h, short token', resolvePolicy('STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: HOUR, accessTokenTtlSeconds: 60 })],
    ['CONFIDENTIAL isolated at sign-in', resolvePolicy('CONFIDENTIAL', { isolatedSession: true, mfaMaxAgeSeconds: 0 })],
    ['CONFIDENTIAL short absolute', resolvePolicy('CONFIDENTIAL', { absoluteTimeoutSeconds: HOUR, idleTimeoutSeconds: 30 * MIN, refreshReuseLeewaySeconds: 0 })],
    ['REGULATED 60 s token', resolvePolicy('REGULATED', { accessTokenTtlSeconds: 60 })],
  ];
  // Every subset of two and three policies of the pool.
  const sets: [string, SessionPolicy][][] = [];
  for (let i = 0; i < pool.length; i++) {
    for (let j = i + 1; j < pool.length; j++) {
      sets.push([pool[i]!, pool[j]!]);
      for (let k = j + 1; k < pool.length; k++) sets.push([pool[i]!, pool[j]!, pool[k]!]);
    }
  }
  test(`over ${sets.length} combinations of tier and tightened policies`, () => {
    for (const set of sets) {
      const got = strictestPolicy(set.map(([, p]) => p));
      for (const [name, p] of set) {
        const looser = atLeastAsStrict(got, p);
        assert.equal(looser, null, `strictest of [${set.map(([n]) => n).join(', ')}] is looser than ${name} on ${looser}`);
      }
      // And it is not stricter than needed: every duration is one of the inputs'.
      for (const f of ['accessTokenTtlSeconds', 'idleTimeoutSeconds', 'absoluteTimeoutSeconds', 'refreshReuseLeewaySeconds'] as const) {
        assert.ok(set.some(([, p]) => p[f] === got[f]), f);
      }
    }
  });

  test('field by field: STANDARD+MFA 1 h with a 60 s token and CONFIDENTIAL', () => {
    const got = strictestPolicy([resolvePolicy('STANDARD', { mfaRequired: true, mfaMaxAgeSeconds: HOUR, accessTokenTtlSeconds: 60 }), resolvePolicy('CONFIDENTIAL')]);
    assert.deepEqual(got, {
      accessTokenTtlSeconds: 60,
      idleTimeoutSeconds: 8 * HOUR,
      absoluteTimeoutSeconds: 24 * HOUR,
      mfaRequired: true,
      mfaMaxAgeSeconds: HOUR,
      isolatedSession: false,
      dedicatedSigningKey: true,
      refreshReuseLeewaySeconds: 2,
    });
  });

  test('a single policy is returned field for field', () => {
    const p = resolvePolicy('CONFIDENTIAL', { isolatedSession: true, mfaMaxAgeSeconds: 0, accessTokenTtlSeconds: 90 });
    assert.deepEqual(strictestPolicy([p]), p);
  });
});
