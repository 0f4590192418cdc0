import assert from 'node:assert/strict';
import { totpCode } from '../../src/modules/mfa/totp.ts';
import type { TestApi } from './harness.ts';

/** TOTP step length (RFC 6238 default, as the server uses). A code is accepted at most once per step. */
export const TOTP_STEP_MS = 30_000;

/** The TOTP code of `secret` at `at`. */
export function codeAt(secret: string, at: Date): string {
  return totpCode(secret, at);
}

/**
 * A well-formed 6-digit code that is NOT accepted at `at`: it differs from the codes of the step of
 * `at` and of both neighbouring steps (the server allows one step either side).
 */
export function wrongCodeAt(secret: string, at: Date): string {
  const valid = new Set([-1, 0, 1].map((d) => totpCode(secret, new Date(at.getTime() + d * TOTP_STEP_MS))));
  for (let n = Number(totpCode(secret, at)) + 1; ; n++) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/**
 * Enrolls TOTP for the user of `accessToken` (beginTotpEnrollment, then confirmTotpEnrollment with
 * the code for `now`, which must be the API's injected clock) and returns the base32 secret. The
 * code's step is then spent: move the clock by TOTP_STEP_MS before the next code.
 */
export async function enrollTotp(api: TestApi, accessToken: string, now: Date): Promise<string> {
  const begun = await api.gql(`mutation { beginTotpEnrollment { secret otpauthUri } }`, {}, accessToken);
  assert.equal(begun.errors, undefined, JSON.stringify(begun.errors));
  const { secret, otpauthUri } = begun.data.beginTotpEnrollment as { secret: string; otpauthUri: string };
  assert.match(secret, /^[A-Z2-7]+=*$/);
  assert.ok(otpauthUri.startsWith('otpauth://totp/'), otpauthUri);
  const confirmed = await api.gql(`mutation($c: String!) { confirmTotpEnrollment(code: $c) { mfaEnabled } }`, { c: codeAt(secret, now) }, accessToken);
  assert.equal(confirmed.errors, undefined, JSON.stringify(confirmed.errors));
  assert.equal(confirmed.data.confirmTotpEnrollment.mfaEnabled, true);
  return secret;
}
