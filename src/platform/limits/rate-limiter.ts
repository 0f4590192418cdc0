import { createHmac, hkdfSync } from 'node:crypto';
import type { RateLimitBuckets } from './rate-limit-buckets.queries.ts';
import { AppError, ErrorCode } from '../../core/errors.ts';
import { errorSummary, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { decideRateLimit, rateWindow, type RateLimit, type RateLimitRule } from '../../core/decisions/decide-rate-limit.ts';

/** How often one instance deletes expired counters (on the next attempt after this long). */
const CLEANUP_INTERVAL_MS = 60_000;
const KEY_INFO = 'orgbound rate-limit key v1';

/** One message for every limit: it says nothing about the account, the address or which limit it was. */
export const rateLimited = (): AppError => new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts: try again later');

/**
 * Counts attempts per (rule, subject) in PostgreSQL, so every instance shares the limits, and
 * refuses those over the limit. Each attempt is counted by an autocommitted statement of its own
 * (RateLimitBuckets): a failed attempt whose request transaction rolls back stays counted. Every
 * call counts, so aliased fields in one operation count once each.
 */
export class RateLimiter {
  private readonly keyMac: Buffer;
  private lastCleanup = Number.NEGATIVE_INFINITY;
  private cleaning: Promise<void> = Promise.resolve();

  constructor(
    private readonly buckets: RateLimitBuckets,
    private readonly rules: Readonly<Record<RateLimitRule, RateLimit>>,
    kek: Buffer,
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.keyMac = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), KEY_INFO, 32));
  }

  /**
   * Counts one attempt of `subject` under `rule`; raises RATE_LIMITED when it is over the limit.
   * Call it before the work it protects (a refused attempt costs no password hash).
   */
  async consume(rule: RateLimitRule, subject: string): Promise<void> {
    await this.consumeAll([[rule, subject]]);
  }

  /** Counts one attempt under each rule (all of them, even when the first is already over); RATE_LIMITED if any is over. */
  async consumeAll(attempts: readonly (readonly [RateLimitRule, string])[]): Promise<void> {
    const now = this.now();
    const denied = await Promise.all(
      attempts.map(async ([rule, subject]) => {
        const limit = this.rules[rule];
        const window = rateWindow(limit, now);
        const counts = await this.buckets.hit(this.key(rule, subject), window.start, window.previousStart, window.expiresAt);
        return decideRateLimit({ ...counts, elapsedMs: window.elapsedMs }, limit).kind === 'deny';
      }),
    );
    this.cleanUpIfDue(now);
    attempts.forEach(([rule], i) => void (denied[i] && this.metrics.countRateLimited(rule)));
    if (denied.includes(true)) throw rateLimited();
  }

  /** Waits for a running cleanup (before the pool closes). */
  async idle(): Promise<void> {
    await this.cleaning;
  }

  /** `<rule>:<HMAC-SHA-256 of the subject>`: no email or address is stored, and only the KEK's holder can test a guess. */
  private key(rule: RateLimitRule, subject: string): string {
    return `${rule}:${createHmac('sha256', this.keyMac).update(subject).digest('base64url')}`;
  }

  /** Opportunistic cleanup, at most once per CLEANUP_INTERVAL_MS per instance; never delays or fails the attempt. */
  private cleanUpIfDue(now: Date): void {
    if (now.getTime() - this.lastCleanup < CLEANUP_INTERVAL_MS) return;
    this.lastCleanup = now.getTime();
    this.cleaning = this.cleaning
      .then(() => this.buckets.deleteExpired(now))
      .then(
        (deleted) => void (deleted > 0 && this.logger.debug({ deleted }, 'expired rate-limit counters deleted')),
        (err: unknown) => this.logger.warn({ err: errorSummary(err) }, 'deleting expired rate-limit counters failed'),
      );
  }
}
