import { decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { AppError, ErrorCode } from '../../errors.ts';
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
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !isCanonicalCompactJws(token)) throw invalid();
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
  } catch {
    throw invalid();
  }
  if (typeof header.kid !== 'string' || header.kid.length > 64 || FORBIDDEN_HEADERS.some((h) => h in header)) throw invalid();
  const key = await keys.find(header.kid);
  if (!key) throw invalid();
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
    if (!claims.success) throw invalid();
    if (key.ownerOrgId !== null && claims.data.org_id !== key.ownerOrgId) throw invalid();
    if (key.retiredAt && claims.data.iat * 1000 > key.retiredAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000) throw invalid();
    return { claims: claims.data, keyOwnerOrgId: key.ownerOrgId };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Access token expired');
    throw invalid(); // any other failure (malformed JSON, bad encoding) also fails closed
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

function invalid(): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid access token');
}
