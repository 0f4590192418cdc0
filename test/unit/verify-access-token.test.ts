import assert from 'node:assert/strict';
import { createHmac, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { KeyRing, SIGNING_ALG } from '../../src/platform/keys/key-ring.ts';
import { SigningKey } from '../../src/platform/keys/signing-key.entity.ts';
import { signAccessToken } from '../../src/platform/tokens/sign-access-token.ts';
import { verifyAccessToken } from '../../src/platform/tokens/verify-access-token.ts';
import { seal } from '../../src/platform/crypto/envelope.ts';
import { AppError } from '../../src/core/errors.ts';
import type { TokenRefusal } from '../../src/core/decisions/token-refusals.ts';
import { sameSignatureOtherText } from '../support/tokens.ts';

/* The RFC 8725 (JWT BCP) and RFC 9068 (JWT access tokens) attack table, on a frozen clock. */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const KEK = randomBytes(32);
const ISSUER = { iss: 'https://auth.orgbound.test', aud: 'orgbound' };
const OPTS = { issuer: ISSUER.iss, audience: ISSUER.aud, now: NOW };
const USER = '11111111-1111-4111-8111-111111111111';
const SESSION = '33333333-3333-4333-8333-333333333333';
const ORG = '44444444-4444-4444-8444-444444444444';
const OTHER_ORG = '55555555-5555-4555-8555-555555555555';

interface TestKey {
  readonly row: SigningKey;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A signing_keys row as ensureActiveSigningKey writes it, kept in memory. */
async function makeKey(state: { retiredAt?: Date; verifyUntil?: Date; ownerOrgId?: string } = {}): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = randomUUID();
  const publicJwk = await exportJWK(publicKey);
  const row = Object.assign(new SigningKey(), {
    id: kid,
    alg: SIGNING_ALG,
    publicJwk: { ...publicJwk },
    privateJwkSealed: seal(KEK, Buffer.from(JSON.stringify(await exportJWK(privateKey))), `signing-key:${kid}`),
    createdAt: new Date(NOW.getTime() - 86_400_000),
    retiredAt: state.retiredAt ?? null,
    verifyUntil: state.verifyUntil ?? null,
    ownerOrgId: state.ownerOrgId ?? null,
  });
  return { row, privateKey, publicJwk };
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

let ring: KeyRing;
let active: TestKey;
let retiredLive: TestKey;
let retiredDead: TestKey;
let outsider: TestKey;
let orgKey: TestKey;
let retiredOrgKey: TestKey;

/** ring.signingKey reads the loaded rows first; this EntityManager must never be reached. */
const NO_DB = {
  findOne: async () => {
    throw new Error('signingKey went to the database for a loaded kid');
  },
} as unknown as EntityManager;
/** retiredLive retired 60 s before NOW (whole seconds, so iat arithmetic is exact). */
const RETIRED_S = NOW_S - 60;

/*
 * KeyRing.find waits for an unknown kid on an unref'd timer (reloadSoon, up to 1 s). With nothing else
 * keeping the event loop alive the test process would end mid-await ("Promise resolution is still
 * pending"), so hold a ref'd handle for the life of this file.
 */
const keepAlive = setInterval(() => undefined, 60_000);
after(() => clearInterval(keepAlive));

before(async () => {
  retiredDead = await makeKey({ retiredAt: new Date(NOW.getTime() - 7_200_000), verifyUntil: new Date(NOW.getTime() - 1000) });
  retiredLive = await makeKey({ retiredAt: new Date(RETIRED_S * 1000), verifyUntil: new Date(NOW.getTime() + 3_600_000) });
  active = await makeKey();
  outsider = await makeKey();
  orgKey = await makeKey({ ownerOrgId: ORG });
  retiredOrgKey = await makeKey({ ownerOrgId: ORG, retiredAt: new Date(RETIRED_S * 1000), verifyUntil: new Date(NOW.getTime() + 3_600_000) });
  const rows = [retiredDead.row, retiredLive.row, active.row, orgKey.row, retiredOrgKey.row];
  ring = new KeyRing(async () => rows, KEK, () => NOW.getTime());
  await ring.reload();
});

const header = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'ES256', kid: active.row.id, typ: 'at+jwt', ...over });
function payload(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER.iss,
    aud: ISSUER.aud,
    sub: USER,
    sid: SESSION,
    jti: randomUUID(),
    iat: NOW_S,
    exp: NOW_S + 300,
    auth_time: NOW_S - 60,
    amr: ['pwd'],
    client_id: 'orgbound',
    org_id: ORG,
    tier: 'STANDARD',
    role: 'MEMBER',
    ...over,
  };
}
const without = (...names: string[]) => Object.fromEntries(Object.entries(payload()).filter(([k]) => !names.includes(k)));

/** Signs any header and payload with an ES256 key (the ring's active key unless told). */
function forge(h: Record<string, unknown>, p: Record<string, unknown>, key: CryptoKey = active.privateKey): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(p))).setProtectedHeader(h as { alg: string }).sign(key);
}

/** RFC 8725 section 2.1: an HMAC token keyed with bytes of the server's public key. */
function hmacWith(secret: string | Buffer): string {
  const input = `${b64(header({ alg: 'HS256' }))}.${b64(payload())}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Refused with the one answer every refusal gives; `reason` (for the log) says which check refused it. */
async function assertRefused(token: string, reason: TokenRefusal): Promise<void> {
  await assert.rejects(verifyAccessToken(token, ring, OPTS), (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal((err as AppError).code, 'UNAUTHENTICATED');
    assert.equal((err as AppError).extensions.code, 'UNAUTHENTICATED');
    assert.equal((err as AppError).reason, reason);
    assert.ok(['Invalid access token', 'Access token expired'].includes((err as AppError).message), 'the client hears one of two messages, not the reason');
    assert.equal(JSON.stringify((err as AppError).extensions).includes(reason), false);
    return true;
  });
}

describe('verifyAccessToken accepts', () => {
  test('a token from signAccessToken, returning its claims', async () => {
    const key = await ring.signingKey(active.row.id, NO_DB);
    assert.equal(key.kid, active.row.id);
    assert.equal(key.ownerOrgId, null);
    const { token, expiresAt } = await signAccessToken(key, ISSUER, {
      userId: USER,
      sessionId: SESSION,
      org: { id: ORG, tier: 'CONFIDENTIAL', role: 'ADMIN' },
      authTime: new Date(NOW.getTime() - 120_000),
      amr: ['pwd', 'otp'],
      ttlSeconds: 300,
      now: NOW,
    });
    assert.equal(expiresAt.getTime(), NOW.getTime() + 300_000);
    const { claims, keyOwnerOrgId } = await verifyAccessToken(token, ring, OPTS);
    assert.equal(keyOwnerOrgId, null);
    assert.equal(claims.iss, ISSUER.iss);
    assert.equal(claims.aud, ISSUER.aud);
    assert.equal(claims.sub, USER);
    assert.equal(claims.sid, SESSION);
    assert.equal(claims.org_id, ORG);
    assert.equal(claims.tier, 'CONFIDENTIAL');
    assert.equal(claims.role, 'ADMIN');
    assert.equal(claims.iat, NOW_S);
    assert.equal(claims.exp, NOW_S + 300);
    assert.equal(claims.auth_time, NOW_S - 120);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
  });

  // Positive controls: each refusal below differs from one of these in the attacked part only.
  const controls: [string, () => Promise<string>][] = [
    ['the baseline forged with the ring key', () => forge(header(), payload())],
    ['a token without org_id (user with no organization)', () => forge(header(), without('org_id', 'tier', 'role'))],
    ['a 14 min 59 s old token that has not expired', () => forge(header(), payload({ iat: NOW_S - 899, exp: NOW_S + 1 }))],
    ['a retired key still inside verifyUntil, token issued before it retired', () => forge(header({ kid: retiredLive.row.id }), payload({ iat: RETIRED_S - 30, exp: RETIRED_S + 270 }), retiredLive.privateKey)],
    ['a token just under 4096 characters', () => forge(header(), payload({ pad: 'x'.repeat(2500) }))],
  ];
  for (const [name, make] of controls) {
    test(name, async () => {
      const token = await make();
      assert.ok(token.length <= 4096, `control token is ${token.length} chars`);
      const { claims, keyOwnerOrgId } = await verifyAccessToken(token, ring, OPTS);
      assert.equal(claims.sub, USER);
      assert.equal(keyOwnerOrgId, null);
    });
  }
});

describe('verifyAccessToken refuses with UNAUTHENTICATED', () => {
  const cases: [string, () => Promise<string> | string, TokenRefusal][] = [
    ['alg none, unsigned', () => `${b64(header({ alg: 'none' }))}.${b64(payload())}.`, 'malformed'],
    ['alg nOnE, unsigned', () => `${b64(header({ alg: 'nOnE' }))}.${b64(payload())}.`, 'malformed'],
    ['HS256 keyed with the public JWK', () => hmacWith(JSON.stringify(active.publicJwk)), 'algorithm'],
    ['HS256 keyed with the public key PEM', () => hmacWith(createPublicKey({ key: active.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string), 'algorithm'],
    ['HS256 keyed with the public key DER', () => hmacWith(createPublicKey({ key: active.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'der' })), 'algorithm'],
    ['unknown kid', () => forge(header({ kid: randomUUID() }), payload()), 'unknown_key'],
    ['missing kid', () => forge({ alg: 'ES256', typ: 'at+jwt' }, payload()), 'forbidden_header'],
    ['numeric kid', () => forge(header({ kid: 1 }), payload()), 'forbidden_header'],
    ['kid with path traversal', () => forge(header({ kid: '../../../../dev/null' }), payload()), 'unknown_key'],
    ['kid with SQL text', () => forge(header({ kid: `' OR '1'='1' --` }), payload()), 'unknown_key'],
    ['kid longer than 64 characters', () => forge(header({ kid: active.row.id + 'x'.repeat(64) }), payload()), 'forbidden_header'],
    ['header jku', () => forge(header({ jku: 'https://evil.test/jwks.json' }), payload()), 'forbidden_header'],
    ['header x5u', () => forge(header({ x5u: 'https://evil.test/cert.pem' }), payload()), 'forbidden_header'],
    ['header jwk', () => forge(header({ jwk: outsider.publicJwk }), payload()), 'forbidden_header'],
    ['header jwk naming the attacker key it is signed with', () => forge(header({ jwk: outsider.publicJwk }), payload(), outsider.privateKey), 'forbidden_header'],
    ['header x5c', () => forge(header({ x5c: ['MIIBszCCAVmgAwIBAgIUE'] }), payload()), 'forbidden_header'],
    ['typ JWT (an ID token or other JWT)', () => forge(header({ typ: 'JWT' }), payload()), 'claims'],
    ['missing typ', () => forge({ alg: 'ES256', kid: active.row.id }, payload()), 'claims'],
    ['wrong iss', () => forge(header(), payload({ iss: 'https://evil.test' })), 'claims'],
    ['wrong aud', () => forge(header(), payload({ aud: 'another-api' })), 'claims'],
    ['expired', () => forge(header(), payload({ iat: NOW_S - 360, exp: NOW_S - 60 })), 'expired'],
    ['nbf in the future', () => forge(header(), payload({ nbf: NOW_S + 60 })), 'claims'],
    ['iat in the future', () => forge(header(), payload({ iat: NOW_S + 60, exp: NOW_S + 360 })), 'claims'],
    ['iat older than 15 min + tolerance although exp is later', () => forge(header(), payload({ iat: NOW_S - 15 * 60 - 30, exp: NOW_S + 300 })), 'expired'],
    ['missing sid', () => forge(header(), without('sid')), 'claims'],
    ['missing auth_time', () => forge(header(), without('auth_time')), 'claims'],
    ['missing sub', () => forge(header(), without('sub')), 'claims'],
    ['missing jti', () => forge(header(), without('jti')), 'claims'],
    ['missing exp', () => forge(header(), without('exp')), 'claims'],
    ['missing iat', () => forge(header(), without('iat')), 'claims'],
    ['non-uuid sub', () => forge(header(), payload({ sub: 'admin' })), 'claims'],
    ['non-uuid org_id', () => forge(header(), payload({ org_id: `' OR 1=1 --` })), 'claims'],
    ['signed by a key pair outside the ring reusing the ring kid', () => forge(header(), payload(), outsider.privateKey), 'signature'],
    ['signed by a retired key past verifyUntil', () => forge(header({ kid: retiredDead.row.id }), payload(), retiredDead.privateKey), 'unknown_key'],
    ['longer than 4096 characters', () => forge(header(), payload({ pad: 'x'.repeat(2600) })), 'malformed'],
    ['empty string', () => '', 'malformed'],
    ['two segments', () => 'a.b', 'malformed'],
    ['four segments', () => 'a.b.c.d', 'malformed'],
    ['non-base64 segments', () => '!!!.@@@.###', 'malformed'],
    ['header that is not JSON', () => `${b64('not json')}.${b64(payload())}.AAAA`, 'malformed'],
    // The same signature bytes written another way (RFC 7515 section 2, RFC 4648 section 3.5): one token, one string.
    ['a valid token with = padding after the signature', async () => `${await forge(header(), payload())}==`, 'malformed'],
    ['a valid token whose last character has non-zero unused bits', async () => sameSignatureOtherText(await forge(header(), payload())), 'malformed'],
  ];
  for (const [name, make, reason] of cases) {
    test(name, async () => {
      await assertRefused(await make(), reason);
    });
  }

  test('payload tampered (org_id changed, signature kept)', async () => {
    const token = await forge(header(), payload());
    await verifyAccessToken(token, ring, OPTS); // the untampered token is good
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    await assertRefused(`${h}.${b64({ ...claims, org_id: OTHER_ORG })}.${s}`, 'signature');
  });

  test('signature stripped (empty third segment)', async () => {
    const [h, p] = (await forge(header(), payload())).split('.') as [string, string];
    await assertRefused(`${h}.${p}.`, 'malformed');
    await assertRefused(`${h}.${p}`, 'malformed');
  });

  test('the oversized case is only just over the limit (size, not content, is what differs)', async () => {
    const token = await forge(header(), payload({ pad: 'x'.repeat(2600) }));
    assert.ok(token.length > 4096 && token.length < 4400, `token is ${token.length} chars`);
  });
});

describe('dedicated (per-org) signing keys', () => {
  test('a token signed through signAccessToken with the org key reports that key owner', async () => {
    const key = await ring.signingKey(orgKey.row.id, NO_DB);
    assert.equal(key.ownerOrgId, ORG);
    const { token } = await signAccessToken(key, ISSUER, {
      userId: USER,
      sessionId: SESSION,
      org: { id: ORG, tier: 'REGULATED', role: 'MEMBER' },
      authTime: NOW,
      amr: ['pwd', 'otp'],
      ttlSeconds: 120,
      now: NOW,
    });
    const { claims, keyOwnerOrgId } = await verifyAccessToken(token, ring, OPTS);
    assert.equal(keyOwnerOrgId, ORG);
    assert.equal(claims.org_id, ORG);
    assert.equal(claims.tier, 'REGULATED');
  });

  test("the org key verifies a token for its own org", async () => {
    const token = await forge(header({ kid: orgKey.row.id }), payload(), orgKey.privateKey);
    const { claims, keyOwnerOrgId } = await verifyAccessToken(token, ring, OPTS);
    assert.equal(claims.org_id, ORG);
    assert.equal(keyOwnerOrgId, ORG);
  });

  test("the org key refuses another org's token (valid signature)", async () => {
    await assertRefused(await forge(header({ kid: orgKey.row.id }), payload({ org_id: OTHER_ORG }), orgKey.privateKey), 'dedicated_key_of_other_org');
  });

  test('the org key refuses a token without org_id (valid signature)', async () => {
    await assertRefused(await forge(header({ kid: orgKey.row.id }), without('org_id', 'tier', 'role'), orgKey.privateKey), 'dedicated_key_of_other_org');
  });

  test("signAccessToken with the org key for another org's token is refused on verification", async () => {
    const key = await ring.signingKey(orgKey.row.id, NO_DB);
    const { token } = await signAccessToken(key, ISSUER, {
      userId: USER,
      sessionId: SESSION,
      org: { id: OTHER_ORG, tier: 'STANDARD', role: 'OWNER' },
      authTime: NOW,
      amr: ['pwd'],
      ttlSeconds: 120,
      now: NOW,
    });
    await assertRefused(token, 'dedicated_key_of_other_org');
  });

  test('the global key verifies tokens for any org and without org_id (decideScope checks the org)', async () => {
    const a = await verifyAccessToken(await forge(header(), payload({ org_id: OTHER_ORG })), ring, OPTS);
    assert.equal(a.claims.org_id, OTHER_ORG);
    assert.equal(a.keyOwnerOrgId, null);
    const b = await verifyAccessToken(await forge(header(), without('org_id', 'tier', 'role')), ring, OPTS);
    assert.equal(b.claims.org_id, undefined);
    assert.equal(b.keyOwnerOrgId, null);
  });
});

describe('retired keys verify only tokens issued before they retired (+5 s tolerance)', () => {
  // retiredLive and retiredOrgKey retired at RETIRED_S (NOW - 60 s) and verify until NOW + 1 h.
  const rows: [string, number, boolean][] = [
    ['issued 30 s before retirement', RETIRED_S - 30, true],
    ['issued at the retirement second', RETIRED_S, true],
    ['issued 5 s after retirement (inside the tolerance)', RETIRED_S + 5, true],
    ['issued 6 s after retirement', RETIRED_S + 6, false],
    ['issued now, 60 s after retirement', NOW_S, false],
  ];
  for (const [name, iat, accepted] of rows) {
    for (const which of ['global', 'org'] as const) {
      test(`${which} key, token ${name}: ${accepted ? 'accepted' : 'refused'}`, async () => {
        const key = which === 'global' ? retiredLive : retiredOrgKey;
        const token = await forge(header({ kid: key.row.id }), payload({ iat, exp: iat + 300 }), key.privateKey);
        if (!accepted) return assertRefused(token, 'signed_after_key_retired');
        const { claims, keyOwnerOrgId } = await verifyAccessToken(token, ring, OPTS);
        assert.equal(claims.iat, iat);
        assert.equal(keyOwnerOrgId, which === 'global' ? null : ORG);
      });
    }
  }

  test('the retired org key still refuses another org token issued before retirement', async () => {
    await assertRefused(await forge(header({ kid: retiredOrgKey.row.id }), payload({ org_id: OTHER_ORG, iat: RETIRED_S - 30, exp: RETIRED_S + 270 }), retiredOrgKey.privateKey), 'dedicated_key_of_other_org');
  });
});

describe('KeyRing on an injected clock', () => {
  let clock = NOW.getTime();
  let clockRing: KeyRing;
  before(async () => {
    clockRing = new KeyRing(async () => [retiredDead.row, retiredLive.row, active.row, orgKey.row], KEK, () => clock);
    await clockRing.reload();
  });
  const kids = async () => (await clockRing.jwks()).keys.map((k) => k.kid).sort();

  test('jwks() lists keys inside verifyUntil and omits those past it', async () => {
    clock = NOW.getTime();
    assert.deepEqual(await kids(), [retiredLive.row.id, active.row.id, orgKey.row.id].sort());
    assert.ok(!(await kids()).includes(retiredDead.row.id));
  });

  test('jwks() drops a retired key once the clock reaches its verifyUntil', async () => {
    clock = NOW.getTime() + 3_600_000 - 1;
    assert.ok((await kids()).includes(retiredLive.row.id));
    clock = NOW.getTime() + 3_600_000; // verifyUntil exactly
    assert.deepEqual(await kids(), [active.row.id, orgKey.row.id].sort());
    clock = NOW.getTime();
  });

  test('jwks() publishes public parameters only, with kid, alg and use', async () => {
    clock = NOW.getTime();
    const { keys } = await clockRing.jwks();
    assert.equal(keys.length, 3);
    for (const k of keys) {
      assert.equal(k.d, undefined, 'private key material in JWKS');
      assert.equal(k.alg, SIGNING_ALG);
      assert.equal(k.use, 'sig');
      assert.equal(k.kty, 'EC');
      assert.equal(typeof k.x, 'string');
    }
  });

  test('find() stops returning a retired key at its verifyUntil', async () => {
    clock = NOW.getTime();
    assert.equal((await clockRing.find(retiredLive.row.id))?.kid, retiredLive.row.id);
    clock = NOW.getTime() + 3_600_000;
    assert.equal(await clockRing.find(retiredLive.row.id), undefined);
    assert.equal((await clockRing.find(active.row.id))?.kid, active.row.id);
    clock = NOW.getTime();
  });

  test('find() reports the key owner and retirement', async () => {
    clock = NOW.getTime();
    const k = await clockRing.find(orgKey.row.id);
    assert.equal(k?.ownerOrgId, ORG);
    assert.equal(k?.retiredAt, null);
    const r = await clockRing.find(retiredLive.row.id);
    assert.equal(r?.ownerOrgId, null);
    assert.equal(r?.retiredAt?.getTime(), RETIRED_S * 1000);
  });
});
