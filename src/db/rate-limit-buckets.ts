import pg from 'pg';
import type { PoolStats } from '../observability/metrics.ts';

/** Counters of one key, read back by `hit`. */
export interface BucketCounts {
  /** Attempts in the current window, the one just counted included. */
  readonly hits: number;
  readonly previousHits: number;
}

/** Connections of the counter's own pool: one short statement each, never held while waiting for anything. */
const POOL_MAX = 4;
/** How the counter's connections show in pg_stat_activity (they never hold a tenant setting). */
export const RATE_LIMIT_APPLICATION_NAME = 'orgbound rate limits';
const STATEMENT_TIMEOUT_MS = 5_000;

/**
 * `rate_limit_buckets` (no org_id, no RLS: counters of attempts, keyed by an HMAC of the subject,
 * shared by every instance). Raw SQL in src/db on a pool of its own, separate from MikroORM's:
 *
 * - each statement autocommits, so an attempt stays counted when the request transaction it
 *   belongs to rolls back (a failed sign-in rolls back everything else it did);
 * - the request holding its transaction's connection never waits for a second connection of the
 *   same pool (with every pooled connection held by a request waiting for one more, they would all
 *   wait forever); this pool's connections are held for one statement and wait for nothing.
 */
export class RateLimitBuckets {
  private readonly pool: pg.Pool;

  constructor(appDatabaseUrl: string) {
    this.pool = new pg.Pool({
      connectionString: appDatabaseUrl,
      max: POOL_MAX,
      connectionTimeoutMillis: STATEMENT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      application_name: RATE_LIMIT_APPLICATION_NAME,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /**
   * Counts one attempt for `key` in the window starting at `windowStart`, and reads back that
   * window's count and the previous window's, in one atomic statement: concurrent attempts on any
   * instance each see a distinct count (the row lock of ON CONFLICT DO UPDATE serialises them).
   */
  async hit(key: string, windowStart: Date, previousStart: Date, expiresAt: Date): Promise<BucketCounts> {
    const { rows } = await this.pool.query<{ hits: number; previous: number }>(
      `with hit as (
         insert into rate_limit_buckets as b (key, window_start, hits, expires_at) values ($1, $2, 1, $3)
         on conflict (key, window_start) do update set hits = b.hits + 1
         returning b.hits
       )
       select hit.hits, coalesce((select p.hits from rate_limit_buckets p where p.key = $1 and p.window_start = $4), 0) as previous
         from hit`,
      [key, windowStart, expiresAt, previousStart],
    );
    const row = rows[0];
    if (!row) throw new Error('rate limit counter returned no row');
    return { hits: row.hits, previousHits: row.previous };
  }

  /** Deletes the rows no window needs any more (a window's row is read during the next one). Returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const result = await this.pool.query(`delete from rate_limit_buckets where expires_at <= $1`, [now]);
    return result.rowCount ?? 0;
  }

  /** How the pool is doing (metrics); null once it has ended. */
  poolStats(): PoolStats | null {
    if (this.pool.ended) return null;
    const { totalCount, idleCount, waitingCount } = this.pool;
    return { used: totalCount - idleCount, free: idleCount, pending: waitingCount, max: POOL_MAX };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
