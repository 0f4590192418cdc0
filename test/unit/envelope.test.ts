import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { EnvelopeError, open, seal } from '../../src/platform/crypto/envelope.ts';

const KEK = randomBytes(32);
const OTHER_KEK = randomBytes(32);
const CONTEXT = 'signing-key:6f1c2b9e-0000-4000-8000-000000000001';
const SECRET = Buffer.from('{"kty":"EC","crv":"P-256","d":"private-part"}');

type Fields = { v: unknown; kek: unknown; dek: unknown; data: unknown };
const parse = (sealed: string): Fields => JSON.parse(sealed) as Fields;
const edit = (sealed: string, change: Partial<Fields>): string => JSON.stringify({ ...parse(sealed), ...change });

/** Flips one bit of a base64url field at byte `at` (negative counts from the end). */
function flip(field: string, at: number): string {
  const bytes = Buffer.from(field, 'base64url');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  return bytes.toString('base64url');
}

function assertEnvelopeError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EnvelopeError, `expected EnvelopeError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_ENVELOPE');
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('seal / open', () => {
  const plaintexts: [string, Buffer][] = [
    ['a private JWK', SECRET],
    ['empty', Buffer.alloc(0)],
    ['binary, 1 KiB', randomBytes(1024)],
  ];
  for (const [name, plaintext] of plaintexts) {
    test(`round trip: ${name}`, () => {
      const sealed = seal(KEK, plaintext, CONTEXT);
      assert.deepEqual(open(KEK, sealed, CONTEXT), plaintext);
    });
  }

  test('the plaintext does not appear in the sealed text', () => {
    const sealed = seal(KEK, SECRET, CONTEXT);
    assert.ok(!sealed.includes('private-part'));
    assert.ok(!sealed.includes(SECRET.toString('base64url')));
    assert.ok(!sealed.includes(SECRET.toString('base64')));
  });

  test('two seals of the same plaintext differ in every random part', () => {
    const a = parse(seal(KEK, SECRET, CONTEXT));
    const b = parse(seal(KEK, SECRET, CONTEXT));
    assert.notEqual(a.dek, b.dek);
    assert.notEqual(a.data, b.data);
    assert.equal(a.kek, b.kek); // same KEK, same fingerprint
  });

  test('a wrong KEK is reported as such', () => {
    const sealed = seal(KEK, SECRET, CONTEXT);
    assertEnvelopeError(() => open(OTHER_KEK, sealed, CONTEXT), /key-encryption key/);
  });

  test('a wrong KEK with a forged matching fingerprint still does not open', () => {
    const forgedPrint = createHash('sha256').update(OTHER_KEK).digest('hex').slice(0, 16);
    const sealed = edit(seal(KEK, SECRET, CONTEXT), { kek: forgedPrint });
    assertEnvelopeError(() => open(OTHER_KEK, sealed, CONTEXT));
  });

  test('a value moved to another context (AAD) does not open', () => {
    const sealed = seal(KEK, SECRET, CONTEXT);
    assertEnvelopeError(() => open(KEK, sealed, 'signing-key:6f1c2b9e-0000-4000-8000-000000000002'));
    assertEnvelopeError(() => open(KEK, sealed, ''));
  });
});

describe('open refuses a tampered envelope with EnvelopeError', () => {
  const sealed = seal(KEK, SECRET, CONTEXT);
  const other = parse(seal(KEK, Buffer.from('another secret'), CONTEXT));
  const f = parse(sealed) as { dek: string; data: string; kek: string };

  const cases: [string, string][] = [
    ['version changed', edit(sealed, { v: 2 })],
    ['KEK fingerprint changed', edit(sealed, { kek: f.kek.replace(/^./, (c) => (c === '0' ? '1' : '0')) })],
    ['dek IV bit flipped', edit(sealed, { dek: flip(f.dek, 0) })],
    ['dek ciphertext bit flipped', edit(sealed, { dek: flip(f.dek, 12) })],
    ['dek tag bit flipped', edit(sealed, { dek: flip(f.dek, -1) })],
    ['dek truncated', edit(sealed, { dek: Buffer.from(f.dek, 'base64url').subarray(0, -1).toString('base64url') })],
    ['dek empty', edit(sealed, { dek: '' })],
    ['dek from another envelope', edit(sealed, { dek: other.dek })],
    ['data IV bit flipped', edit(sealed, { data: flip(f.data, 0) })],
    ['data ciphertext bit flipped', edit(sealed, { data: flip(f.data, 12) })],
    ['data tag bit flipped', edit(sealed, { data: flip(f.data, -1) })],
    ['data truncated', edit(sealed, { data: Buffer.from(f.data, 'base64url').subarray(0, -1).toString('base64url') })],
    ['data empty', edit(sealed, { data: '' })],
    ['data from another envelope', edit(sealed, { data: other.data })],
  ];
  for (const [name, tampered] of cases) {
    test(name, () => {
      assertEnvelopeError(() => open(KEK, tampered, CONTEXT));
    });
  }

  // The doc comment promises EnvelopeError for any tampering, so a corrupted row must not surface as
  // a bare SyntaxError/TypeError from inside the parser (key-ring load would then fail obscurely).
  const corrupted: [string, string][] = [
    ['not JSON', 'not json'],
    ['JSON null', 'null'],
    ['data field removed', JSON.stringify({ ...parse(sealed), data: undefined })],
    ['dek of the wrong type', edit(sealed, { dek: 5 })],
  ];
  for (const [name, text] of corrupted) {
    test(`corrupted: ${name}`, () => {
      assertEnvelopeError(() => open(KEK, text, CONTEXT));
    });
  }
});
