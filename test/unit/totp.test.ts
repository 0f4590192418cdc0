import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acceptedStep, newTotpSecret, totpCode } from '../../src/modules/mfa/totp.ts';

/* TOTP (RFC 6238, SHA-1, 6 digits, 30 s) on a frozen clock. */

/** RFC 6238 appendix B's SHA-1 seed "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const OTHER_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
/** 15 s into its 30 s step. */
const NOW = new Date('2026-03-01T12:00:15.000Z');
const STEP = Math.floor(NOW.getTime() / 30_000);
const codeAt = (stepOffset: number, secret = RFC_SECRET) => totpCode(secret, new Date(NOW.getTime() + stepOffset * 30_000));

describe('totpCode', () => {
  // RFC 6238 appendix B, SHA-1 column, last six digits of the eight-digit values.
  const vectors: [number, string][] = [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ];
  for (const [seconds, code] of vectors) {
    test(`RFC 6238 vector at T=${seconds}`, () => assert.equal(totpCode(RFC_SECRET, new Date(seconds * 1000)), code));
  }

  test('is six digits, constant within a step and different in the next', () => {
    const start = new Date(STEP * 30_000);
    const a = totpCode(RFC_SECRET, start);
    assert.match(a, /^\d{6}$/);
    assert.equal(totpCode(RFC_SECRET, new Date(start.getTime() + 29_999)), a);
    assert.notEqual(totpCode(RFC_SECRET, new Date(start.getTime() + 30_000)), a);
  });
});

describe('acceptedStep', () => {
  test('the codes of the five steps around now are distinct (the table below relies on it)', () => {
    const codes = [-2, -1, 0, 1, 2].map((k) => codeAt(k));
    assert.equal(new Set(codes).size, 5, codes.join(','));
  });

  const window: [string, number, number | null][] = [
    ['the current code', 0, STEP],
    ['the previous step (typed as it rolled over)', -1, STEP - 1],
    ['the next step (client clock slightly ahead)', 1, STEP + 1],
    ['two steps back', -2, null],
    ['two steps ahead', 2, null],
    ['ten steps back', -10, null],
  ];
  for (const [name, offset, expected] of window) {
    test(`${name}: ${expected === null ? 'refused' : `step ${expected - STEP >= 0 ? '+' : ''}${expected - STEP}`}`, () => {
      assert.equal(acceptedStep(RFC_SECRET, codeAt(offset), NOW, null), expected);
    });
  }

  test('at the very start of a step, the previous step is still accepted and two back is not', () => {
    const start = new Date(STEP * 30_000);
    assert.equal(acceptedStep(RFC_SECRET, totpCode(RFC_SECRET, new Date(start.getTime() - 1)), start, null), STEP - 1);
    assert.equal(acceptedStep(RFC_SECRET, totpCode(RFC_SECRET, new Date(start.getTime() - 30_001)), start, null), null);
  });

  const replay: [string, number, number, number | null][] = [
    ['current code, nothing used before', 0, STEP - 5, STEP],
    ['current code, previous step used before', 0, STEP - 1, STEP],
    ['current code already used (replay)', 0, STEP, null],
    ['current code after the next step was used', 0, STEP + 1, null],
    ['previous step code after the current step was used', -1, STEP, null],
    ['previous step code already used', -1, STEP - 1, null],
    ['next step code after the current step was used', 1, STEP, STEP + 1],
  ];
  for (const [name, offset, lastStep, expected] of replay) {
    test(`replay: ${name}`, () => assert.equal(acceptedStep(RFC_SECRET, codeAt(offset), NOW, lastStep), expected));
  }

  test('a code of another secret is refused', () => {
    const foreign = codeAt(0, OTHER_SECRET);
    assert.notEqual(foreign, codeAt(0));
    assert.equal(acceptedStep(RFC_SECRET, foreign, NOW, null), null);
  });

  const current = codeAt(0);
  const malformed: [string, string][] = [
    ['empty', ''],
    ['five digits', current.slice(0, 5)],
    ['seven digits', `${current}0`],
    ['the eight-digit RFC form', `00${current}`],
    ['letters', 'abcdef'],
    ['leading space', ` ${current}`],
    ['trailing space', `${current} `],
    ['trailing newline', `${current}\n`],
    ['inner space', `${current.slice(0, 3)} ${current.slice(3)}`],
    ['full-width digits', [...current].map((d) => String.fromCharCode(0xff10 + Number(d))).join('')],
    ['signed', `+${current.slice(1)}`],
  ];
  for (const [name, code] of malformed) {
    test(`refuses non-6-digit input: ${name}`, () => assert.equal(acceptedStep(RFC_SECRET, code, NOW, null), null));
  }
});

describe('newTotpSecret', () => {
  test('a 160-bit base32 secret and an otpauth:// URI naming issuer orgbound', () => {
    const { secret, otpauthUri } = newTotpSecret('alice@example.test');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('issuer'), 'orgbound');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.ok(otpauthUri.includes('issuer=orgbound'));
    assert.ok(decodeURIComponent(uri.pathname).includes('alice@example.test'), uri.pathname);
    const digits = uri.searchParams.get('digits');
    const period = uri.searchParams.get('period');
    if (digits !== null) assert.equal(digits, '6');
    if (period !== null) assert.equal(period, '30');
  });

  test('every call gives a new secret', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => newTotpSecret('bob').secret));
    assert.equal(secrets.size, 20);
  });

  test('round trip: the code for now is accepted at the current step, once', () => {
    const { secret } = newTotpSecret('carol');
    const code = totpCode(secret, NOW);
    assert.match(code, /^\d{6}$/);
    const step = acceptedStep(secret, code, NOW, null);
    assert.equal(step, STEP);
    assert.equal(acceptedStep(secret, code, NOW, step), null);
  });
});
