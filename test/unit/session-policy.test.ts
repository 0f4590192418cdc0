import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tier } from '../../src/organizations/organization.entity.ts';
import { strictestPolicy, TIER_FLOORS, type SessionPolicy } from '../../src/policy/session-policy.ts';

/*
 * The tier-floor table of ../shared/API.md, transcribed by hand (not imported) so that a change to
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
    test(`${tier} equals the API.md table`, () => {
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
