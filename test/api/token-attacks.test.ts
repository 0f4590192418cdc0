/**
 * The token attack corpus (RFC 8725, the JWT BCP; RFC 9068, the access-token profile), end to end:
 * every attack goes as the Authorization header of POST /graphql with protected queries and must be
 * answered UNAUTHENTICATED, below 500, without data. Forgeries are signed with the server's real keys
 * (test/support/tokens.ts), so each differs from an accepted positive control in the attacked part
 * only: without the controls, a broken forging helper would make every refusal pass vacuously.
 * Frozen clock; the boundaries are the verifier's (5 s tolerance, 15 min max age, 4096 characters).
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { CLIENT_ID } from '../../src/platform/tokens/sign-access-token.ts';
import { startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { createOrganization, createTenant, signIn, type Tenant } from '../support/tenants.ts';
import { activeKid, alterSignature, b64, es256Signature, hmacJws, sameSignatureOtherText, segments, serverKey, signJws, signSegments, tamperClaims, type ServerKey } from '../support/tokens.ts';

const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const NOW_S = NOW.getTime() / 1000;
const VIEWER = `{ viewer { user { id } activeOrganization { id } } }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;

let api: TestApi;
let a: Tenant;
let b: Tenant;
/** CONFIDENTIAL orgs of a's user, each with its own signing key. */
let c1: string;
let c2: string;
let globalKey: ServerKey;
let c1Key: ServerKey;
let c2Key: ServerKey;
let attacker: { privateKey: CryptoKey; publicJwk: JWK; thumbprint: string };
let refreshToken: string;
/** Serves the attacker's JWKS for jku / x5u and counts every request: the API must never fetch it. */
let keyHost: Server;
let keyHostUrl: string;
let keyHostHits = 0;

before(async () => {
  api = await startTestApi({ now: () => NOW });
  a = await createTenant(api, 'attack-a');
  b = await createTenant(api, 'attack-b');
  c1 = await createOrganization(api, a.token, 'CONFIDENTIAL');
  c2 = await createOrganization(api, a.token, 'CONFIDENTIAL');
  globalKey = await serverKey(api, await activeKid(api, null));
  c1Key = await serverKey(api, await activeKid(api, c1));
  c2Key = await serverKey(api, await activeKid(api, c2));
  assert.equal(decodeProtectedHeader(a.token).kid, globalKey.kid);
  ({ refreshToken } = await signIn(api, a.email, a.orgId));
  const pair = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  attacker = { privateKey: pair.privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
  keyHost = createServer((_req, res) => {
    keyHostHits++;
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [{ ...publicJwk, kid: attacker.thumbprint, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => keyHost.listen(0, '127.0.0.1', resolve));
  keyHostUrl = `http://127.0.0.1:${(keyHost.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => keyHost?.close(resolve));
  await api?.close();
});

/* The baseline: a's real token as issued (global key, STANDARD org a). Everything is built from it. */
const header = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ alg: 'ES256', typ: 'at+jwt', kid: globalKey.kid, ...over });
/** a's real claims with `over` applied; an `undefined` value removes the claim. */
const claims = (over: Record<string, unknown> = {}): JWTPayload => ({ ...decodeJwt(a.token), ...over });
const bClaims = (over: Record<string, unknown> = {}): JWTPayload => ({ ...decodeJwt(b.token), ...over });
/** Signed with the real global key: accepted unless `h` or `p` is what is attacked. */
const forge = (h = header(), p: unknown = claims(), key: CryptoKey = globalKey.privateKey) => signJws(h, p, key);
const publicKeyObject = () => createPublicKey({ key: globalKey.publicJwk as JsonWebKey, format: 'jwk' });
const spkiPem = () => publicKeyObject().export({ type: 'spki', format: 'pem' }) as string;
const spkiDer = () => publicKeyObject().export({ type: 'spki', format: 'der' });
const point = () => Buffer.concat([Buffer.from([4]), Buffer.from(globalKey.publicJwk.x!, 'base64url'), Buffer.from(globalKey.publicJwk.y!, 'base64url')]);
const c1Claims = (over: Record<string, unknown> = {}) => claims({ org_id: c1, tier: 'CONFIDENTIAL', ...over });

interface Answer {
  readonly status: number;
  readonly body: GqlResult | null;
  readonly text: string;
}

/** POST /graphql with exactly this Authorization value; the body is kept raw (a 431 has no JSON). */
async function send(authorization: string, query: string): Promise<Answer> {
  const res = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query }) });
  const text = await res.text();
  let body: GqlResult | null = null;
  try {
    body = JSON.parse(text) as GqlResult;
  } catch {
    // not JSON: left null, the assertions below say so
  }
  return { status: res.status, body, text };
}

/** Both protected queries are refused: UNAUTHENTICATED, HTTP 401 (so below 500), no data. */
async function assertRefused(authorization: string): Promise<void> {
  for (const query of [VIEWER, PROJECTS]) {
    const r = await send(authorization, query);
    assert.equal(r.status, 401, r.text.slice(0, 300));
    assert.equal(r.body?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', `HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    assert.equal(r.body?.data ?? null, null, `data: ${r.text.slice(0, 300)}`);
  }
}

/** Both protected queries are served for `user` in `org`; `project` (when given) is listed. */
async function assertAccepted(authorization: string, user: string, org: string, project?: string): Promise<void> {
  const v = await send(authorization, VIEWER);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body?.errors, undefined, v.text);
  assert.deepEqual(v.body?.data, { viewer: { user: { id: user }, activeOrganization: { id: org } } });
  const p = await send(authorization, PROJECTS);
  assert.equal(p.body?.errors, undefined, p.text);
  const ids = (p.body?.data?.projects.edges as { node: { id: string } }[]).map((e) => e.node.id);
  assert.deepEqual(ids, project ? [project] : []);
}

describe('positive controls: the forging helpers make tokens the server accepts', () => {
  const controls: [string, () => Promise<string> | string, () => [string, string, string?]][] = [
    ['the token as issued by signIn', () => a.token, () => [a.userId, a.orgId, a.projectId]],
    ['the baseline forged with the real global key', () => forge(), () => [a.userId, a.orgId, a.projectId]],
    ["b's claims forged with the real global key", () => forge(header(), bClaims()), () => [b.userId, b.orgId, b.projectId]],
    ["c1's claims forged with c1's dedicated key", () => forge(header({ kid: c1Key.kid }), c1Claims(), c1Key.privateKey), () => [a.userId, c1]],
    ["c2's claims forged with c2's dedicated key", () => forge(header({ kid: c2Key.kid }), claims({ org_id: c2, tier: 'CONFIDENTIAL' }), c2Key.privateKey), () => [a.userId, c2]],
    ['exp 4 s ago (inside the 5 s tolerance)', () => forge(header(), claims({ exp: NOW_S - 4 })), () => [a.userId, a.orgId, a.projectId]],
    ['nbf 5 s ahead (inside the tolerance)', () => forge(header(), claims({ nbf: NOW_S + 5 })), () => [a.userId, a.orgId, a.projectId]],
    ['iat 5 s ahead (inside the tolerance)', () => forge(header(), claims({ iat: NOW_S + 5 })), () => [a.userId, a.orgId, a.projectId]],
    ['iat 910 s ago (15 min max age + 5 s tolerance), exp still ahead', () => forge(header(), claims({ iat: NOW_S - 910 })), () => [a.userId, a.orgId, a.projectId]],
  ];
  for (const [name, make, expect] of controls) {
    test(name, async () => {
      const [user, org, project] = expect();
      await assertAccepted(`Bearer ${await make()}`, user, org, project);
    });
  }
});

/** Each factory returns a token sent as `Bearer <token>`. */
const attacks: [string, () => Promise<string> | string][] = [
  // alg none (RFC 8725 section 2.1, 3.1)
  ['alg none, unsigned, trailing dot, kid of a real key', () => `${b64(header({ alg: 'none' }))}.${b64(claims())}.`],
  ['alg none, unsigned, no trailing dot', () => `${b64(header({ alg: 'none' }))}.${b64(claims())}`],
  ['alg nOnE, unsigned', () => `${b64(header({ alg: 'nOnE' }))}.${b64(claims())}.`],
  ['alg none with the real signature kept', () => `${b64(header({ alg: 'none' }))}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['header without alg', () => `${b64(header({ alg: undefined }))}.${b64(claims())}.${segments(a.token)[2]}`],
  // key confusion: HMAC keyed with the public key (RFC 8725 section 2.1)
  ['HS256 keyed with the public JWK as JWKS serves it', async () => hmacJws(header({ alg: 'HS256' }), claims(), JSON.stringify(await servedJwk()))],
  ['HS256 keyed with the stored public JWK', () => hmacJws(header({ alg: 'HS256' }), claims(), JSON.stringify(globalKey.publicJwk))],
  ['HS256 keyed with the public key PEM (SPKI)', () => hmacJws(header({ alg: 'HS256' }), claims(), spkiPem())],
  ['HS256 keyed with the public key DER (SPKI)', () => hmacJws(header({ alg: 'HS256' }), claims(), spkiDer())],
  ['HS256 keyed with the raw x coordinate bytes', () => hmacJws(header({ alg: 'HS256' }), claims(), Buffer.from(globalKey.publicJwk.x!, 'base64url'))],
  ['HS256 keyed with the x coordinate as base64url text', () => hmacJws(header({ alg: 'HS256' }), claims(), globalKey.publicJwk.x!)],
  ['HS256 keyed with the uncompressed point 04||x||y', () => hmacJws(header({ alg: 'HS256' }), claims(), point())],
  ['alg ES384 over a real ES256 signature (alg pinned to the key)', () => signSegments(b64(header({ alg: 'ES384' })), b64(claims()), globalKey.privateJwk)],
  ['RS256 signed by an attacker RSA key, kid of the real key', async () => forge(header({ alg: 'RS256' }), claims(), (await generateKeyPair('RS256')).privateKey)],
  // kid (RFC 8725 section 3.10)
  ['unknown kid, signed by the real key', () => forge(header({ kid: randomUUID() }))],
  ['missing kid, signed by the real key', () => forge(header({ kid: undefined }))],
  ['kid with path traversal', () => forge(header({ kid: '../../dev/null' }))],
  ['kid with SQL injection', () => forge(header({ kid: `' or 1=1 --` }))],
  ['kid of 65 characters (the real kid padded)', () => forge(header({ kid: globalKey.kid.padEnd(65, 'x') }))],
  ['kid of 2000 characters', () => forge(header({ kid: 'k'.repeat(2000) }))],
  ['kid of the real key in upper case', () => forge(header({ kid: globalKey.kid.toUpperCase() }))],
  ['kid __proto__', () => forge(header({ kid: '__proto__' }))],
  ['kid as a number', () => forge(header({ kid: 1 }))],
  ['kid as an array holding the real kid', () => forge(header({ kid: [globalKey.kid] }))],
  ['kid null', () => forge(header({ kid: null }))],
  ["kid of c1's key over a global-key signature", () => forge(header({ kid: c1Key.kid }))],
  // headers that name their own key (RFC 8725 section 3.10)
  ['jku to the attacker JWKS, attacker kid, signed by the attacker', () => forge(header({ kid: attacker.thumbprint, jku: `${keyHostUrl}/jwks.json` }), claims(), attacker.privateKey)],
  ['jku to the attacker JWKS, real kid, signed by the attacker', () => forge(header({ jku: `${keyHostUrl}/jwks.json` }), claims(), attacker.privateKey)],
  ['x5u to an attacker URL, signed by the attacker', () => forge(header({ kid: attacker.thumbprint, x5u: `${keyHostUrl}/cert.pem` }), claims(), attacker.privateKey)],
  ['jwk: the attacker key embedded, signed by it, its thumbprint as kid', () => forge(header({ kid: attacker.thumbprint, jwk: attacker.publicJwk }), claims(), attacker.privateKey)],
  ['jwk: the attacker key embedded, signed by it, kid of the real key', () => forge(header({ jwk: attacker.publicJwk }), claims(), attacker.privateKey)],
  ['x5c with a certificate chain, signed by the real key', () => forge(header({ x5c: [spkiDer().toString('base64')] }))],
  ['x5t#S256 thumbprint, signed by the real key', () => forge(header({ 'x5t#S256': b64('0'.repeat(32)) }))],
  // typ (RFC 8725 section 3.11, RFC 9068 section 4) and crit (RFC 7515 section 4.1.11)
  ['typ JWT', () => forge(header({ typ: 'JWT' }))],
  ['typ missing', () => forge(header({ typ: undefined }))],
  ['typ id+jwt', () => forge(header({ typ: 'id+jwt' }))],
  ['crit naming an unknown extension, present in the header', () => signJws(header({ crit: ['urn:attacker:bypass'], 'urn:attacker:bypass': true }), claims(), globalKey.privateKey, { 'urn:attacker:bypass': true })],
  ['crit empty', () => signSegments(b64(header({ crit: [] })), b64(claims()), globalKey.privateJwk)],
  // registered claims (RFC 8725 sections 3.8, 3.9; RFC 9068 section 4)
  ['wrong iss', () => forge(header(), claims({ iss: 'https://evil.test' }))],
  ['iss with a trailing slash', () => forge(header(), claims({ iss: `${api.config.jwt.issuer}/` }))],
  ['wrong aud', () => forge(header(), claims({ aud: 'another-api' }))],
  ['aud missing', () => forge(header(), claims({ aud: undefined }))],
  ['aud an array without ours', () => forge(header(), claims({ aud: ['another-api', 'a-third'] }))],
  ['exp 5 s ago (at the tolerance)', () => forge(header(), claims({ exp: NOW_S - 5 }))],
  ['exp 1 h ago', () => forge(header(), claims({ exp: NOW_S - 3600 }))],
  ['exp missing', () => forge(header(), claims({ exp: undefined }))],
  ['nbf 6 s ahead', () => forge(header(), claims({ nbf: NOW_S + 6 }))],
  ['nbf 1 min ahead', () => forge(header(), claims({ nbf: NOW_S + 60 }))],
  ['iat 6 s ahead', () => forge(header(), claims({ iat: NOW_S + 6 }))],
  ['iat 1 h ahead', () => forge(header(), claims({ iat: NOW_S + 3600 }))],
  ['iat 911 s ago (beyond max age + tolerance), exp still ahead', () => forge(header(), claims({ iat: NOW_S - 911 }))],
  ['iat missing', () => forge(header(), claims({ iat: undefined }))],
  ['sid missing', () => forge(header(), claims({ sid: undefined }))],
  ['sub missing', () => forge(header(), claims({ sub: undefined }))],
  ['jti missing', () => forge(header(), claims({ jti: undefined }))],
  ['auth_time missing', () => forge(header(), claims({ auth_time: undefined }))],
  // claims changed, original signature kept
  ["org_id changed to b's org", () => tamperClaims(a.token, { org_id: b.orgId })],
  ["sub changed to b's user", () => tamperClaims(a.token, { sub: b.userId })],
  ["sid changed to b's session", () => tamperClaims(a.token, { sid: decodeJwt(b.token).sid })],
  ['role changed', () => tamperClaims(a.token, { role: 'ADMIN' })],
  ['tier changed', () => tamperClaims(a.token, { tier: 'REGULATED' })],
  ['exp moved a day later', () => tamperClaims(a.token, { exp: NOW_S + 86_400 })],
  ['the same claims re-serialized in another key order', () => `${segments(a.token)[0]}.${b64(Object.fromEntries(Object.entries(claims()).reverse()))}.${segments(a.token)[2]}`],
  ['the header changed (typ dropped), signature kept', () => `${b64(header({ typ: undefined }))}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  // the signature
  ['signature stripped (header.payload.)', () => `${segments(a.token)[0]}.${segments(a.token)[1]}.`],
  ["signature of b's token", () => `${segments(a.token)[0]}.${segments(a.token)[1]}.${segments(b.token)[2]}`],
  ['signature truncated to 63 bytes', () => alterSignature(a.token, (s) => s.subarray(0, 63))],
  ['signature with a byte appended', () => alterSignature(a.token, (s) => Buffer.concat([s, Buffer.from([0])]))],
  ['signature with one bit flipped', () => alterSignature(a.token, (s) => Buffer.from(s.map((byte, i) => (i === 10 ? byte ^ 1 : byte))))],
  ['signature of 64 zero bytes (r = s = 0, CVE-2022-21449)', () => alterSignature(a.token, () => Buffer.alloc(64))],
  ['a real signature DER-encoded', () => `${segments(a.token)[0]}.${segments(a.token)[1]}.${es256Signature(`${segments(a.token)[0]}.${segments(a.token)[1]}`, globalKey.privateJwk, 'der')}`],
  ["signed by the attacker's ES256 key with the real kid", () => forge(header(), claims(), attacker.privateKey)],
  // dedicated signing keys: a key serves its own org only (verify binds key.ownerOrgId; decideScope the org's key)
  ["c2's key, claiming c1", () => forge(header({ kid: c2Key.kid }), c1Claims(), c2Key.privateKey)],
  ["c1's key, claiming a's STANDARD org", () => forge(header({ kid: c1Key.kid }), claims(), c1Key.privateKey)],
  ["c1's key, claiming b's org with b's claims", () => forge(header({ kid: c1Key.kid }), bClaims(), c1Key.privateKey)],
  ["c1's key, no org_id", () => forge(header({ kid: c1Key.kid }), c1Claims({ org_id: undefined, tier: undefined, role: undefined }), c1Key.privateKey)],
  ['the global key, claiming c1 (an org with a dedicated key)', () => forge(header(), c1Claims())],
  ["c1's key under c2's kid", () => forge(header({ kid: c2Key.kid }), claims({ org_id: c2, tier: 'CONFIDENTIAL' }), c1Key.privateKey)],
  // a valid signature over claims that do not name a live session of their subject (decideScope)
  ["the real key, sid of b's session", () => forge(header(), claims({ sid: decodeJwt(b.token).sid }))],
  ["the real key, sub of b's user", () => forge(header(), claims({ sub: b.userId }))],
  ['the real key, a sid that names no session', () => forge(header(), claims({ sid: randomUUID() }))],
  // other tokens used as the access token (RFC 8725 section 2.8, RFC 9068 section 4)
  ['an ID token (typ JWT, nonce, aud = client id), real key', () => forge(header({ typ: 'JWT' }), claims({ aud: CLIENT_ID, azp: CLIENT_ID, nonce: 'n-0S6_WzA2Mj' }))],
  ['an ID token without typ, real key', () => forge(header({ typ: undefined }), claims({ aud: CLIENT_ID, azp: CLIENT_ID, nonce: 'n-0S6_WzA2Mj' }))],
  ['the refresh token', () => refreshToken],
  ['a nested JWT (cty JWT, the payload is the real token), real key', () => forge(header({ cty: 'JWT' }), a.token)],
  ['JWE-shaped (five segments)', () => `${b64({ alg: 'dir', enc: 'A256GCM', kid: globalKey.kid, typ: 'at+jwt' })}..${b64('iv')}.${b64('ciphertext')}.${b64('tag')}`],
  // malformed
  ['two segments', () => `${segments(a.token)[0]}.${segments(a.token)[1]}`],
  ['four segments', () => `${a.token}.${segments(a.token)[2]}`],
  ['empty segments', () => '..'],
  ['empty header segment', () => `.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['padding = after the signature (same signature bytes)', () => `${a.token}==`],
  ['non-zero unused bits in the last signature character (same signature bytes)', () => sameSignatureOtherText(a.token)],
  ['padding = after the header', () => `${segments(a.token)[0]}=.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['a + and a / (standard base64) in the payload', () => `${segments(a.token)[0]}.${segments(a.token)[1].replace(/^./, '+').replace(/.$/, '/')}.${segments(a.token)[2]}`],
  ['a ~ (allowed in a bearer token) in the payload', () => `${segments(a.token)[0]}.${segments(a.token)[1].slice(0, 10)}~${segments(a.token)[1].slice(11)}.${segments(a.token)[2]}`],
  ['header JSON is an array', () => `${b64([header()])}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['header JSON is a string', () => `${b64('"at+jwt"')}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['header JSON is null', () => `${b64('null')}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['header is not JSON', () => `${b64('{alg: ES256}')}.${segments(a.token)[1]}.${segments(a.token)[2]}`],
  ['payload null, real key', () => forge(header(), 'null')],
  ['payload JSON is an array, real key', () => forge(header(), [claims()])],
  ['payload JSON is a string, real key', () => forge(header(), JSON.stringify(JSON.stringify(claims())))],
  ['payload JSON is a number, real key', () => forge(header(), '42')],
  ['payload is not JSON, real key', () => forge(header(), `{sub: ${a.userId}}`)],
  ['payload is not UTF-8, real key', () => signSegments(b64(header()), Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from([0xff, 0x7d])]).toString('base64url'), globalKey.privateJwk)],
  ['exp "soon", real key', () => forge(header(), claims({ exp: 'soon' }))],
  ['exp not an integer, real key', () => forge(header(), claims({ exp: NOW_S + 600.5 }))],
  ['iat "now", real key', () => forge(header(), claims({ iat: 'now' }))],
  ['org_id 123, real key', () => forge(header(), claims({ org_id: 123 }))],
  ['amr "pwd", real key', () => forge(header(), claims({ amr: 'pwd' }))],
  ['sub 42, real key', () => forge(header(), claims({ sub: 42 }))],
  ['aud 42, real key', () => forge(header(), claims({ aud: 42 }))],
  ['role outside the contract, real key', () => forge(header(), claims({ role: 'SUPERADMIN' }))],
  ['tier outside the contract, real key', () => forge(header(), claims({ tier: 'PLATINUM' }))],
  ['5 kB (over the 4096-character limit), real key', () => forge(header(), claims({ pad: 'x'.repeat(4000) }))],
  ['10 kB (the real token padded)', () => `${a.token}${'A'.repeat(10_000)}`],
];

/** Each factory returns the whole Authorization value. */
const headerAttacks: [string, () => string][] = [
  ['Bearer with no token', () => 'Bearer'],
  ['lowercase bearer with the real token', () => `bearer ${a.token}`],
  ['BEARER with the real token', () => `BEARER ${a.token}`],
  ['Bearer and two spaces', () => `Bearer  ${a.token}`],
  ['Bearer and a tab', () => `Bearer\t${a.token}`],
  ['two Bearer tokens, comma-separated', () => `Bearer ${a.token}, Bearer ${b.token}`],
  ['two tokens after one Bearer', () => `Bearer ${a.token} ${b.token}`],
  ['the real token quoted', () => `Bearer "${a.token}"`],
  ['the real token without a scheme', () => a.token],
  ['the real token under scheme Token', () => `Token ${a.token}`],
  ['Basic credentials', () => `Basic ${Buffer.from(`${a.email}:x`).toString('base64')}`],
  ['a character outside the bearer syntax (*)', () => `Bearer ${a.token.replace(/\.(?=[^.]*$)/, '.*')}`],
];

describe('refused: UNAUTHENTICATED, HTTP 401, no data', () => {
  for (const [name, make] of attacks) {
    test(name, async () => {
      await assertRefused(`Bearer ${await make()}`);
    });
  }
  for (const [name, make] of headerAttacks) {
    test(`header: ${name}`, async () => {
      await assertRefused(make());
    });
  }

  test('no jku / x5u URL was ever fetched', () => {
    assert.equal(keyHostHits, 0);
  });
});

describe('two Authorization header lines', () => {
  // Node keeps the first line of a repeated Authorization header and drops the rest
  // (IncomingMessage.headers), so a second line can never add or replace a credential.
  test('a forged token first and the real one second: refused (control: the other way round is served)', async () => {
    const forged = await forge(header(), claims(), attacker.privateKey);
    const control = await rawPost([`Authorization: Bearer ${a.token}`, `Authorization: Bearer ${forged}`], JSON.stringify({ query: VIEWER }));
    assert.equal(control.status, 200, control.text);
    assert.ok(control.text.includes(`"user":{"id":"${a.userId}"}`), control.text);
    for (const query of [VIEWER, PROJECTS]) {
      const r = await rawPost([`Authorization: Bearer ${forged}`, `Authorization: Bearer ${a.token}`], JSON.stringify({ query }));
      assert.equal(r.status, 401, r.text);
      assert.match(r.text, /"code":"UNAUTHENTICATED"/);
      assert.doesNotMatch(r.text, /"data"/);
    }
  });
});

describe('Authorization headers over the HTTP limit', () => {
  // Node refuses request headers over 16 KiB (--max-http-header-size) with 431 before the app sees
  // them; what matters is that nothing is served and the process is not harmed.
  for (const kb of [20, 200]) {
    test(`${kb} kB: refused below 500 with no data, and the server still serves a valid token`, async (t) => {
      const r = await send(`Bearer ${a.token}${'A'.repeat(kb * 1024)}`, VIEWER);
      assert.ok(r.status < 500, `HTTP ${r.status}`);
      if (r.status === 431) assert.equal(r.body, null, r.text);
      else {
        assert.equal(r.body?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', r.text);
        assert.equal(r.body?.data ?? null, null);
      }
      t.diagnostic(`${kb} kB Authorization header → HTTP ${r.status}`);
      await assertAccepted(`Bearer ${a.token}`, a.userId, a.orgId, a.projectId);
    });
  }
});

/** A POST /graphql written by hand, for what fetch cannot send (repeated header lines). */
function rawPost(headerLines: string[], body: string): Promise<{ status: number; text: string }> {
  const { port } = new URL(api.server.url);
  const request = [`POST /graphql HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ...headerLines, '', body].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk)).on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text });
    });
  });
}

/** The JWKS entry of the global key, exactly as published (with kid, alg, use). */
async function servedJwk(): Promise<JWK> {
  const res = await fetch(new URL('/.well-known/jwks.json', api.server.url));
  const { keys } = (await res.json()) as { keys: JWK[] };
  const jwk = keys.find((k) => k.kid === globalKey.kid);
  assert.ok(jwk, 'global key not in JWKS');
  return jwk;
}
