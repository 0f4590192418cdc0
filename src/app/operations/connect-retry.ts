import { setTimeout as sleep } from 'node:timers/promises';
import { isConnectionError } from '../../db/connection-errors.ts';

export interface RetryOptions {
  /** Give up (raise the last error) once the next attempt would start later than this after the first. */
  readonly totalMs: number;
  /** First wait; each next one doubles, up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called before each wait, with the attempt that failed (1 = the first) and its error. */
  readonly onRetry?: (failure: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Tests replace the clock and the wait. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export const INITIAL_DELAY_MS = 250;
export const MAX_DELAY_MS = 5_000;

/** The wait after failed attempt `attempt` (1-based): `initial * 2^(attempt-1)`, at most `max`. */
export function backoffDelay(attempt: number, initialMs = INITIAL_DELAY_MS, maxMs = MAX_DELAY_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs `fn` until it succeeds while the database is merely unreachable (src/db/connection-errors.ts:
 * not up yet, restarting), waiting 250 ms, 500 ms, 1 s ... 5 s between attempts, for `totalMs` at
 * most. Any other error (a wrong password, a failed migration, a port in use) is raised at once:
 * waiting would not fix it. `fn` must be safe to run again after a failure (provisioning is).
 */
export async function retryWhileUnreachable<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const now = opts.now ?? Date.now;
  const wait = opts.sleep ?? ((ms: number) => sleep(ms));
  const deadline = now() + opts.totalMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const delayMs = backoffDelay(attempt, opts.initialDelayMs, opts.maxDelayMs);
      if (!isConnectionError(error) || now() + delayMs > deadline) throw error;
      opts.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs);
    }
  }
}
