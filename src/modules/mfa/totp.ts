import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;
/** One step either side: a code typed as it rolls over still counts (RFC 6238 section 5.2). */
const WINDOW = 1;

function totp(secretBase32: string, label = 'orgbound'): TOTP {
  return new TOTP({ issuer: 'orgbound', label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

/** A new 160-bit TOTP secret (RFC 4226 recommends 160 bits), base32, with its otpauth:// URI. */
export function newTotpSecret(label: string): { secret: string; otpauthUri: string } {
  const secret = new Secret({ size: 20 }).base32;
  return { secret, otpauthUri: totp(secret, label).toString() };
}

/**
 * The time step a code belongs to, or null when it is not a current code or its step is not after
 * `lastStep` (a code is accepted at most once: replay refused). Pure given `now`.
 */
export function acceptedStep(secretBase32: string, code: string, now: Date, lastStep: number | null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: now.getTime(), window: WINDOW });
  if (delta === null) return null;
  const step = Math.floor(now.getTime() / 1000 / PERIOD_SECONDS) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** The code for `at` (tests and the demo use it; the server never needs it). */
export function totpCode(secretBase32: string, at: Date): string {
  return totp(secretBase32).generate({ timestamp: at.getTime() });
}
