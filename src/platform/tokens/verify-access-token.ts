import { decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { AppError, ErrorCode } from '../../core/errors.ts';
import type { TokenRefusal } from '../../core/decisions/token-refusals.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { ACCESS_TOKEN_TYP, accessClaimsSchema, type AccessClaims } from './claims.ts';

/** Longest access-token TTL of any tier (STANDARD, 15 min): an older `iat` is refused. */
const MAX_TOKEN_AGE_SECONDS = 15 * 60;
const CLOCK_TOLERANCE_SECONDS = 5;
/** Our tokens are ~700 bytes; anything far larger is not ours (and not worth parsing). */
const MAX_TOKEN_LENGTH = 4096;
/** Header parameters that would let a token name its own key (RFC 8725 section 3.10). */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const;
/** JWS compact serialization (RFC 7515 section 7.1): three base64url segments, unpadded (section 2). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly now?: Date;
}

/**
 * The one function that turns a bearer string into trusted claims (STYLE rule 4). It pins the
 * algorithm allow-list to the key's own alg, `typ: at+jwt` (RFC 9068 section 4), issuer, audience,
 * expiry, max age and the presence of every claim of the contract, and looks the key up by `kid`
 * in the key ring only. A dedicated key verifies only tokens of its own org, and a retired key only
 * tokens issued before it retired. Raises `AppError(UNAUTHENTICATED)` for every failure, with one message.
 */
export interface VerifiedAccessToken {
  readonly claims: AccessClaims;
  /** The org of the dedicated key that signed it; null for the global key. decideScope checks it against the org's keys. */
  readonly keyOwnerOrgId: string | null;
}

export async function verifyAccessToken(token: string, keys: KeyRing, opts: VerifyOptions): Promise<VerifiedAccessToken> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) throw invalid('malformed');
  const cache = cacheOf(keys);
  const seen = cache.get(token);
  if (seen && seen.issuer === opts.issuer && seen.audience === opts.audience) return recheck(seen, token, keys, cache, opts.now ?? new Date());
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch {
    throw invalid('malformed');
  }
  if (typeof header.kid !== 'string' || header.kid.length > 64 || FORBIDDEN_HEADERS.some((h) => h in header)) throw invalid('forbidden_header');
  const key = await keys.find(header.kid);
  if (!key) throw invalid('unknown_key');
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: opts.issuer,
      audience: opts.audience,
      typ: ACCESS_TOKEN_TYP,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp', 'auth_time'],
      ...(opts.now ? { currentDate: opts.now } : {}),
    });
    const claims = accessClaimsSchema.safeParse(payload);
    if (!claims.success) throw invalid('claims');
    if (key.ownerOrgId !== null && claims.data.org_id !== key.ownerOrgId) throw invalid('dedicated_key_of_other_org');
    if (key.retiredAt && claims.data.iat * 1000 > key.retiredAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000) throw invalid('signed_after_key_retired');
    const verified = { claims: claims.data, keyOwnerOrgId: key.ownerOrgId };
    remember(cache, token, { ...verified, kid: key.kid, issuer: opts.issuer, audience: opts.audience });
    return verified;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Access token expired', 'expired');
    // A bad signature, a wrong iss/aud/typ, a token too old: one answer. Any other failure (malformed JSON, bad encoding) also fails closed.
    throw invalid(err instanceof errors.JWSSignatureVerificationFailed ? 'signature' : err instanceof errors.JOSEAlgNotAllowed ? 'algorithm' : 'claims');
  }
}

/**
 * The compact form, with the signature in canonical base64url (RFC 4648 section 3.5): the decoder jose
 * uses accepts `=` padding and non-zero unused bits, so one signature could otherwise be written in
 * several ways and a token would not be one string. The header and payload need no such check: their
 * text as sent is what the signature covers.
 */
function isCanonicalCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  const signature = token.slice(token.lastIndexOf('.') + 1);
  return Buffer.from(signature, 'base64url').toString('base64url') === signature;
}

/*
 * Verified tokens, per key ring (an ES256 verification is ~0.4 ms, a large share of a small
 * request). Only the signature check is cached: a hit re-applies everything that can change after
 * the first verification (the token's times, its key's retirement and verify-until) on the clock of
 * the call, and the caller still checks the session and membership live. Keyed by the whole token,
 * bounded, and an entry leaves once its token expires.
 */
const CACHE_MAX_ENTRIES = 10_000;

interface CachedVerification extends VerifiedAccessToken {
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string;
}

const caches = new WeakMap<KeyRing, Map<string, CachedVerification>>();

function cacheOf(keys: KeyRing): Map<string, CachedVerification> {
  let cache = caches.get(keys);
  if (!cache) caches.set(keys, (cache = new Map()));
  return cache;
}

function remember(cache: Map<string, CachedVerification>, token: string, entry: CachedVerification): void {
  if (cache.size >= CACHE_MAX_ENTRIES) {
    // Drop the expired, then the oldest insertions, down to 90 %.
    const nowSeconds = Date.now() / 1000;
    for (const [t, e] of cache) if (e.claims.exp <= nowSeconds) cache.delete(t);
    for (const t of cache.keys()) {
      if (cache.size < CACHE_MAX_ENTRIES * 0.9) break;
      cache.delete(t);
    }
  }
  cache.set(token, entry);
}

async function recheck(seen: CachedVerification, token: string, keys: KeyRing, cache: Map<string, CachedVerification>, now: Date): Promise<VerifiedAccessToken> {
  const times = checkTokenTimes(seen.claims, now);
  if (times === 'expired') {
    cache.delete(token);
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Access token expired', 'expired');
  }
  if (times === 'invalid') throw invalid('issued_in_future');
  const key = await keys.find(seen.kid); // gone past its verify-until: undefined
  if (!key) throw invalid('unknown_key');
  if (key.retiredAt && seen.claims.iat * 1000 > key.retiredAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000) throw invalid('signed_after_key_retired');
  return { claims: seen.claims, keyOwnerOrgId: seen.keyOwnerOrgId };
}

/**
 * jose's time checks for these options (exp, and iat against maxTokenAge), for a token whose
 * signature was verified before: 'expired' where jose raises JWTExpired, 'invalid' for an `iat` in the future.
 */
export function checkTokenTimes(claims: { iat: number; exp: number }, now: Date): 'ok' | 'expired' | 'invalid' {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (claims.exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) return 'expired';
  const age = nowSeconds - claims.iat;
  if (age - CLOCK_TOLERANCE_SECONDS > MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) return 'expired';
  if (age < -CLOCK_TOLERANCE_SECONDS) return 'invalid';
  return 'ok';
}

/** One answer for every refusal; the reason is for the log and the tests (TokenRefusal). */
function invalid(reason: TokenRefusal): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid access token', reason);
}
