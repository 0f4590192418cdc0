import { createHash, randomBytes } from 'node:crypto';

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
