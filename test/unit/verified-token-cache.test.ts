/**
 * verifyAccessToken caches a verified signature per key ring (issue 8: an ES256 check is a large share
 * of a small request). A cache hit must decide exactly as a full verification would on the clock of
 * the call: the token's times (checkTokenTimes, compared with jose itself here) and its key's state
 * (retired, past verify-until) are re-applied every time.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { errors, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { KeyRing, SIGNING_ALG } from '../../src/platform/keys/key-ring.ts';
import { SigningKey } from '../../src/platform/keys/signing-key.entity.ts';
import { signAccessToken } from '../../src/platform/tokens/sign-access-token.ts';
import { checkTokenTimes, verifyAccessToken } from '../../src/platform/tokens/verify-access-token.ts';
import { seal } from '../../src/platform/crypto/envelope.ts';
import { AppError } from '../../src/core/errors.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const KEK = randomBytes(32);
const ISSUER = { iss: 'https://auth.orgbound.test', aud: 'orgbound' };
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const opts = (now: Date) => ({ issuer: ISSUER.iss, audience: ISSUER.aud, now });

async function keyRow(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = randomUUID();
  return Object.assign(new SigningKey(), {
    id: kid,
    alg: SIGNING_ALG,
    publicJwk: { ...(await exportJWK(publicKey)) },
    privateJwkSealed: seal(KEK, Buffer.from(JSON.stringify(await exportJWK(privateKey))), `signing-key:${kid}`),
    createdAt: at(-86_400),
    retiredAt: null,
    verifyUntil: null,
    ownerOrgId: null,
  });
}

/** A ring over `rows` (mutable: reload() picks changes up), its clock `now()`. */
async function ringOf(rows: SigningKey[], now: () => Date): Promise<KeyRing> {
  const ring = new KeyRing(async () => rows.map((r) => Object.assign(new SigningKey(), r)), KEK, () => now().getTime());
  await ring.reload();
  return ring;
}

const noEm = {} as never;

async function token(ring: KeyRing, kid: string, ttlSeconds = 900, issuedAt = NOW): Promise<string> {
  const key = await ring.signingKey(kid, noEm);
  const { token } = await signAccessToken(key, ISSUER, { userId: randomUUID(), sessionId: randomUUID(), authTime: issuedAt, amr: ['pwd'], ttlSeconds, now: issuedAt });
  return token;
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err.message === 'Access token expired' ? 'expired' : 'invalid';
  }
}

describe('checkTokenTimes decides as jose does', () => {
  // [label, iat offset, ttl, now offset]: around exp, the max age (15 min + 5 s tolerance) and an iat in the future.
  const cases: [string, number, number, number][] = [
    ['fresh', 0, 900, 0],
    ['just before exp + tolerance', 0, 900, 904],
    ['at exp + tolerance', 0, 900, 905],
    ['long after exp', 0, 900, 5000],
    ['short ttl, inside', 0, 120, 100],
    ['short ttl, after', 0, 120, 200],
    ['iat far past, long ttl (max age)', -2000, 4000, 0],
    ['iat at the max-age edge', -910, 4000, 0],
    ['iat just past the max-age edge', -916, 4000, 0],
    ['iat 5 s in the future (tolerated)', 5, 900, 0],
    ['iat 6 s in the future', 6, 900, 0],
    ['iat an hour in the future', 3600, 900, 0],
  ];
  for (const [label, iatOffset, ttl, nowOffset] of cases) {
    test(label, async () => {
      const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG);
      const iat = NOW_S + iatOffset;
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: SIGNING_ALG }).setIssuedAt(iat).setExpirationTime(iat + ttl).sign(privateKey);
      const jose = await jwtVerify(jwt, publicKey, { currentDate: at(nowOffset), maxTokenAge: 905, clockTolerance: 5 }).then(
        () => 'ok',
        (err: unknown) => (err instanceof errors.JWTExpired ? 'expired' : 'invalid'),
      );
      assert.equal(checkTokenTimes({ iat, exp: iat + ttl }, at(nowOffset)), jose);
    });
  }
});

describe('a cached verification', () => {
  test('expires on time, and a clock moved back refuses an iat in its future', async () => {
    const row = await keyRow();
    const ring = await ringOf([row], () => NOW);
    const t = await token(ring, row.id, 120);
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(NOW))), 'ok', 'first: full verification');
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(at(60)))), 'ok', 'hit');
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(at(125)))), 'expired', 'hit past exp + tolerance');
    const u = await token(ring, row.id);
    await verifyAccessToken(u, ring, opts(NOW));
    assert.equal(await outcome(verifyAccessToken(u, ring, opts(at(-60)))), 'invalid', 'hit with the clock before iat');
  });

  test("after its key retires: tokens issued before still verify, tokens issued after are refused", async () => {
    const row = await keyRow();
    let clock = NOW;
    const rows = [row];
    const ring = await ringOf(rows, () => clock);
    const before = await token(ring, row.id);
    assert.equal(await outcome(verifyAccessToken(before, ring, opts(clock))), 'ok');
    // Retired 60 s later, verifying until 16 min after that.
    rows[0] = Object.assign(new SigningKey(), row, { retiredAt: at(60), verifyUntil: at(60 + 960) });
    await ring.reload();
    clock = at(120);
    assert.equal(await outcome(verifyAccessToken(before, ring, opts(clock))), 'ok', 'issued before the retirement: still verifies');
    const after = await token(ring, row.id, 900, at(100));
    assert.equal(await outcome(verifyAccessToken(after, ring, opts(clock))), 'invalid', 'issued after the retirement');
    assert.equal(await outcome(verifyAccessToken(after, ring, opts(clock))), 'invalid', 'and again (nothing cached)');
    clock = at(60 + 961);
    assert.equal(await outcome(verifyAccessToken(before, ring, opts(clock))), 'expired', 'the token itself expired first here');
  });

  test('a key that leaves the ring takes its cached tokens with it', async () => {
    const row = await keyRow();
    const rows = [row];
    const ring = await ringOf(rows, () => NOW);
    const t = await token(ring, row.id);
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(NOW))), 'ok');
    rows[0] = Object.assign(new SigningKey(), row, { retiredAt: at(-1000), verifyUntil: at(-1) });
    await ring.reload();
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(NOW))), 'invalid');
  });

  test('another issuer or audience is a full verification, not a hit', async () => {
    const row = await keyRow();
    const ring = await ringOf([row], () => NOW);
    const t = await token(ring, row.id);
    assert.equal(await outcome(verifyAccessToken(t, ring, opts(NOW))), 'ok');
    assert.equal(await outcome(verifyAccessToken(t, ring, { issuer: 'https://elsewhere.test', audience: ISSUER.aud, now: NOW })), 'invalid');
    assert.equal(await outcome(verifyAccessToken(t, ring, { issuer: ISSUER.iss, audience: 'someone-else', now: NOW })), 'invalid');
  });
});
