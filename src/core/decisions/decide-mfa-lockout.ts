/** Wrong codes allowed per user in MFA_WINDOW_MS before RATE_LIMITED (6-digit codes: 5 guesses in 15 min). */
export const MFA_MAX_FAILURES = 5;
export const MFA_WINDOW_MS = 15 * 60 * 1000;

export type MfaLockout = { readonly kind: 'open' } | { readonly kind: 'locked' };

/**
 * May the user try another TOTP code, with `recentFailures` wrong codes in the last MFA_WINDOW_MS?
 * Pure: table-tested in test/unit/decisions.test.ts. Every code is refused while locked, the right
 * one too: a guesser learns nothing from a locked attempt.
 */
export function decideMfaLockout(recentFailures: number, maxFailures = MFA_MAX_FAILURES): MfaLockout {
  return recentFailures >= maxFailures ? { kind: 'locked' } : { kind: 'open' };
}
