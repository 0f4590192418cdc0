import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** An opaque bearer secret: 256 bits from the CSPRNG, base64url, with a readable prefix. */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of a high-entropy token, hex. A slow password hash buys nothing for 256-bit random
 * secrets, and a fast one lets the lookup use a unique index.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const SUCCESSOR_INFO = 'orgbound refresh-token successor v1';

/**
 * The successor of a refresh token: HMAC-SHA-256 of the presented token under a key derived from the
 * KEK (HKDF). Deterministic, so a retry of the just-rotated token within the leeway can be answered
 * with the very same successor while only its hash is stored; unpredictable without the KEK.
 */
export function successorToken(kek: Buffer, presented: string): string {
  const key = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), SUCCESSOR_INFO, 32));
  return `ort_${createHmac('sha256', key).update(presented).digest('base64url')}`;
}

/** The shape of a refresh token (`ort_` + 256 bits base64url): anything else is refused before lookup. */
export const REFRESH_TOKEN_PATTERN = /^ort_[A-Za-z0-9_-]{43}$/;
