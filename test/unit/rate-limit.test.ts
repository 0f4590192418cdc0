import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/app/config.ts';
import { addressSubject } from '../../src/api/http/client-address.ts';
import { decideRateLimit, rateWindow, type RateDecision, type RateLimit, type WindowCounts } from '../../src/core/decisions/decide-rate-limit.ts';

const SECOND = 1000;
const TEN_A_MINUTE: RateLimit = { limit: 10, windowSeconds: 60 };
const ONE_A_SECOND: RateLimit = { limit: 1, windowSeconds: 1 };

interface Case {
  readonly name: string;
  readonly counts: WindowCounts;
  readonly rule: RateLimit;
  readonly expect: RateDecision['kind'];
  readonly estimate?: number;
}

const counts = (hits: number, previousHits = 0, elapsedMs = 0): WindowCounts => ({ hits, previousHits, elapsedMs });

const cases: Case[] = [
  { name: 'the first attempt ever', counts: counts(1), rule: TEN_A_MINUTE, expect: 'allow', estimate: 1 },
  { name: 'the limit-th attempt in a fresh window', counts: counts(10, 0, 59 * SECOND), rule: TEN_A_MINUTE, expect: 'allow', estimate: 10 },
  { name: 'one over the limit in a fresh window', counts: counts(11, 0, 30 * SECOND), rule: TEN_A_MINUTE, expect: 'deny', estimate: 11 },
  { name: 'a full previous window, at the start of this one', counts: counts(1, 10, 0), rule: TEN_A_MINUTE, expect: 'deny', estimate: 11 },
  { name: 'a full previous window half over: half the limit is left', counts: counts(5, 10, 30 * SECOND), rule: TEN_A_MINUTE, expect: 'allow', estimate: 10 },
  { name: 'a full previous window half over: one more than half', counts: counts(6, 10, 30 * SECOND), rule: TEN_A_MINUTE, expect: 'deny', estimate: 11 },
  { name: 'the burst at the boundary that fixed windows allow (10 + 10 within a second)', counts: counts(10, 10, SECOND), rule: TEN_A_MINUTE, expect: 'deny' },
  { name: 'a full previous window, 1 ms before this one ends', counts: counts(10, 10, 60 * SECOND - 1), rule: TEN_A_MINUTE, expect: 'deny' },
  { name: 'a previous window of refused attempts keeps refusing late into this one', counts: counts(1, 1000, 54 * SECOND), rule: TEN_A_MINUTE, expect: 'deny', estimate: 101 },
  { name: 'a quiet previous window does not count', counts: counts(3, 0, 0), rule: TEN_A_MINUTE, expect: 'allow', estimate: 3 },
  { name: 'elapsed beyond the window (clock moved) weighs the previous window 0', counts: counts(1, 50, 120 * SECOND), rule: TEN_A_MINUTE, expect: 'allow', estimate: 1 },
  { name: 'limit 1: the first attempt', counts: counts(1), rule: ONE_A_SECOND, expect: 'allow' },
  { name: 'limit 1: the second attempt in the window', counts: counts(2, 0, 999), rule: ONE_A_SECOND, expect: 'deny' },
  { name: 'limit 1: right after a window with one attempt', counts: counts(1, 1, 0), rule: ONE_A_SECOND, expect: 'deny' },
  { name: 'limit 1: late in the window after one attempt', counts: counts(1, 1, 999), rule: ONE_A_SECOND, expect: 'deny' },
  { name: 'limit 1: a window after a quiet one', counts: counts(1, 0, 500), rule: ONE_A_SECOND, expect: 'allow' },
];

describe('decideRateLimit (sliding window)', () => {
  for (const c of cases) {
    test(`${c.name} → ${c.expect}`, () => {
      const decision = decideRateLimit(c.counts, c.rule);
      assert.equal(decision.kind, c.expect);
      if (c.estimate !== undefined) assert.ok(Math.abs(decision.estimate - c.estimate) < 1e-9, `estimate ${decision.estimate}`);
    });
  }
});

describe('rateWindow', () => {
  const windows: [string, RateLimit, string, { start: string; previousStart: string; elapsedMs: number; expiresAt: string }][] = [
    ['inside a minute', TEN_A_MINUTE, '2026-03-01T12:00:30.500Z', { start: '2026-03-01T12:00:00.000Z', previousStart: '2026-03-01T11:59:00.000Z', elapsedMs: 30_500, expiresAt: '2026-03-01T12:02:00.000Z' }],
    ['exactly at a boundary', TEN_A_MINUTE, '2026-03-01T12:01:00.000Z', { start: '2026-03-01T12:01:00.000Z', previousStart: '2026-03-01T12:00:00.000Z', elapsedMs: 0, expiresAt: '2026-03-01T12:03:00.000Z' }],
    ['1 ms before a boundary', TEN_A_MINUTE, '2026-03-01T12:00:59.999Z', { start: '2026-03-01T12:00:00.000Z', previousStart: '2026-03-01T11:59:00.000Z', elapsedMs: 59_999, expiresAt: '2026-03-01T12:02:00.000Z' }],
    ['an hour', { limit: 1, windowSeconds: 3600 }, '2026-03-01T12:34:56.000Z', { start: '2026-03-01T12:00:00.000Z', previousStart: '2026-03-01T11:00:00.000Z', elapsedMs: 34 * 60_000 + 56_000, expiresAt: '2026-03-01T14:00:00.000Z' }],
    ['7 s, aligned to the epoch', { limit: 1, windowSeconds: 7 }, '1970-01-01T00:00:15.000Z', { start: '1970-01-01T00:00:14.000Z', previousStart: '1970-01-01T00:00:07.000Z', elapsedMs: 1000, expiresAt: '1970-01-01T00:00:28.000Z' }],
  ];
  for (const [name, rule, now, expected] of windows) {
    test(name, () => {
      const w = rateWindow(rule, new Date(now));
      assert.deepEqual(
        { start: w.start.toISOString(), previousStart: w.previousStart.toISOString(), elapsedMs: w.elapsedMs, expiresAt: w.expiresAt.toISOString() },
        expected,
      );
    });
  }
});

describe('addressSubject', () => {
  const addresses: [string | undefined, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:85a3:1:2:3:4:5', '2001:db8:85a3:1::/64'],
    ['2001:db8:85a3:1:ffff:ffff:ffff:ffff', '2001:db8:85a3:1::/64'], // same /64, same bucket
    ['2001:0DB8:0000:0001::1', '2001:db8:0:1::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
    ['', 'unknown'],
    ['not an address', 'unknown'],
  ];
  for (const [input, expected] of addresses) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(addressSubject(input), expected));
  }
});

describe('limit configuration', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.deepEqual(config.queryLimits, { depth: 8, cost: 100_000, aliases: 15, directives: 20, tokens: 1000 });
    assert.deepEqual(config.rateLimits, {
      signInPerEmail: { limit: 10, windowSeconds: 60 },
      signInPerAddress: { limit: 50, windowSeconds: 60 },
      mfaPerAddress: { limit: 30, windowSeconds: 60 },
      refreshPerSession: { limit: 30, windowSeconds: 60 },
      refreshPerAddress: { limit: 300, windowSeconds: 60 },
      tokenPerClient: { limit: 60, windowSeconds: 60 },
    });
    assert.deepEqual(config.trustProxy, []);
    assert.ok(Object.isFrozen(config.rateLimits) && Object.isFrozen(config.rateLimits.signInPerEmail) && Object.isFrozen(config.queryLimits));
  });

  test('values from the environment', () => {
    const config = loadConfig({ RATE_LIMIT_SIGN_IN_PER_EMAIL: '3/900', GRAPHQL_MAX_DEPTH: '12', TRUST_PROXY: 'loopback, 10.0.0.0/8, 2001:db8::1' });
    assert.deepEqual(config.rateLimits.signInPerEmail, { limit: 3, windowSeconds: 900 });
    assert.equal(config.queryLimits.depth, 12);
    assert.deepEqual(config.trustProxy, ['loopback', '10.0.0.0/8', '2001:db8::1']);
  });

  const invalid: [string, string][] = [
    ['RATE_LIMIT_SIGN_IN_PER_EMAIL', '10'],
    ['RATE_LIMIT_SIGN_IN_PER_EMAIL', '0/60'],
    ['RATE_LIMIT_REFRESH_PER_ADDRESS', '10/0'],
    ['RATE_LIMIT_MFA_PER_ADDRESS', '-1/60'],
    ['RATE_LIMIT_REFRESH_PER_SESSION', 'ten/minute'],
    ['GRAPHQL_MAX_DEPTH', '0'],
    ['GRAPHQL_MAX_TOKENS', 'many'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.0/33'],
  ];
  for (const [variable, value] of invalid) {
    test(`${variable}=${value} is refused, naming the variable`, () => {
      assert.throws(() => loadConfig({ [variable]: value }), (err: Error) => err.message.includes(variable));
    });
  }
});
