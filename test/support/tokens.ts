import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, sign as cryptoSign, type JsonWebKey } from 'node:crypto';
import { CompactSign, importJWK, type CompactJWSHeaderParameters, type CryptoKey, type JWK } from 'jose';
import { open } from '../../src/platform/crypto/envelope.ts';
import type { TestApi } from './harness.ts';

/*
 * Forging tools for token tests: the server's real signing keys (read from signing_keys and opened
 * with the KEK, as only the server itself could), and raw JWS assembly for broken tokens. Tokens
 * built here differ from a real one only in what the caller changes.
 */

/** base64url of a string as it is, or of anything else as JSON. */
export const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export interface ServerKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** The real private key of `kid`, opened from its sealed row with the API's KEK. */
export async function serverKey(api: TestApi, kid: string): Promise<ServerKey> {
  const [row] = await api.db.sql<{ private_jwk_sealed: string; public_jwk: JWK }>(`select private_jwk_sealed, public_jwk from signing_keys where id = $1`, [kid]);
  assert.ok(row, `no signing key ${kid}`);
  const privateJwk = JSON.parse(open(api.server.services.config.kek, row.private_jwk_sealed, `signing-key:${kid}`).toString('utf8')) as JWK;
  return { kid, privateJwk, publicJwk: row.public_jwk, privateKey: (await importJWK(privateJwk, 'ES256')) as CryptoKey };
}

/** The kid that signs for `orgId` now (its dedicated key), or the global key's for null. */
export async function activeKid(api: TestApi, orgId: string | null): Promise<string> {
  const rows = await api.db.sql<{ id: string }>(`select id from signing_keys where retired_at is null and owner_org_id is not distinct from $1::uuid`, [orgId]);
  assert.equal(rows.length, 1, `active keys of ${orgId ?? 'global'}`);
  return rows[0]!.id;
}

/**
 * A compact JWS of exactly this header and payload (a string payload is taken as the raw claims-set
 * text, so it need not be JSON or an object), signed with `key`. `crit` lists extensions the signer
 * accepts, so a token can carry a `crit` header the verifier has never heard of.
 */
export function signJws(header: Record<string, unknown>, payload: unknown, key: CryptoKey, crit?: Record<string, boolean>): Promise<string> {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader(header as CompactJWSHeaderParameters).sign(key, crit ? { crit } : undefined);
}

/** An HS256 JWS keyed with `secret` (RFC 8725 section 2.1: key confusion with public-key bytes). */
export function hmacJws(header: Record<string, unknown>, payload: unknown, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An ES256 signature of `input`, in the JWS encoding (ieee-p1363) or DER. */
export function es256Signature(input: string, privateJwk: JWK, encoding: 'der' | 'ieee-p1363' = 'ieee-p1363'): string {
  const key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  return cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: encoding }).toString('base64url');
}

/** A valid ES256 signature over these exact segments, whatever they hold (a header naming another alg, bytes that are not UTF-8). */
export function signSegments(header: string, payload: string, privateJwk: JWK): string {
  return `${header}.${payload}.${es256Signature(`${header}.${payload}`, privateJwk)}`;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The token with its last character swapped for one that differs only in bits base64url leaves unused
 * (a 64-byte signature is 86 characters carrying 516 bits): the decoded signature is the same bytes.
 */
export function sameSignatureOtherText(token: string): string {
  const other = `${token.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(token.at(-1)!) ^ 1]}`;
  assert.deepEqual(Buffer.from(segments(other)[2], 'base64url'), Buffer.from(segments(token)[2], 'base64url'));
  return other;
}

export function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `not a compact JWS: ${token.slice(0, 40)}`);
  return parts as [string, string, string];
}

/** The token with its claims changed and its header and signature kept as they are. */
export function tamperClaims(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = segments(token);
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${h}.${b64({ ...claims, ...change })}.${s}`;
}

/** The token with its signature bytes passed through `change`. */
export function alterSignature(token: string, change: (sig: Buffer) => Buffer): string {
  const [h, p, s] = segments(token);
  return `${h}.${p}.${change(Buffer.from(s, 'base64url')).toString('base64url')}`;
}
