/**
 * Rate-limit decisions as pure functions (STYLE rule 2): a sliding-window counter. Attempts are
 * counted in fixed windows (one row per key and window, src/platform/limits/rate-limit-buckets.queries.ts); the decision
 * weighs the previous window by how much of it still overlaps the sliding window that ends now, so
 * a burst at a window boundary cannot reach twice the limit, as it can with plain fixed windows.
 */

/** The attempts that may happen in any `windowSeconds`. */
export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** What is limited, and by which subject. */
export type RateLimitRule = 'signInPerEmail' | 'signInPerAddress' | 'mfaPerAddress' | 'refreshPerSession' | 'refreshPerAddress' | 'tokenPerClient';

/** The fixed window `now` falls in, and the one before it. */
export interface RateWindow {
  readonly start: Date;
  readonly previousStart: Date;
  /** Time since `start`, in ms: [0, window). */
  readonly elapsedMs: number;
  /** When a row of this window is no longer needed: the end of the next window (it is "previous" there). */
  readonly expiresAt: Date;
}

/** The window of `rule` that `now` falls in. Windows are aligned to the Unix epoch, so every instance agrees. */
export function rateWindow(rule: RateLimit, now: Date): RateWindow {
  const windowMs = rule.windowSeconds * 1000;
  const t = now.getTime();
  const start = t - mod(t, windowMs);
  return { start: new Date(start), previousStart: new Date(start - windowMs), elapsedMs: t - start, expiresAt: new Date(start + 2 * windowMs) };
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** The counters read back by the atomic increment. */
export interface WindowCounts {
  /** Attempts in the current window, this one included. */
  readonly hits: number;
  /** Attempts in the previous window. */
  readonly previousHits: number;
  /** Time since the current window started, in ms. */
  readonly elapsedMs: number;
}

export type RateDecision = { readonly kind: 'allow'; readonly estimate: number } | { readonly kind: 'deny'; readonly estimate: number };

/**
 * Allowed while the attempts in the sliding window ending now, this one included, stay within the
 * limit: `hits + previousHits × (unexpired share of the previous window)`. Refused attempts are
 * counted too, so a client that keeps trying while refused stays refused.
 */
export function decideRateLimit(counts: WindowCounts, rule: RateLimit): RateDecision {
  const windowMs = rule.windowSeconds * 1000;
  const overlap = Math.min(1, Math.max(0, (windowMs - counts.elapsedMs) / windowMs));
  const estimate = counts.hits + counts.previousHits * overlap;
  return estimate <= rule.limit ? { kind: 'allow', estimate } : { kind: 'deny', estimate };
}
