import type { SidePool } from '../../db/side-pool.ts';

/** Counters of one key, read back by `hit`. */
export interface BucketCounts {
  /** Attempts in the current window, the one just counted included. */
  readonly hits: number;
  readonly previousHits: number;
}

export { SIDE_POOL_APPLICATION_NAME as RATE_LIMIT_APPLICATION_NAME } from '../../db/side-pool.ts';

/**
 * `rate_limit_buckets` (no org_id, no RLS: counters of attempts, keyed by an HMAC of the subject,
 * shared by every instance). Raw SQL in src/db, on the side pool (src/db/side-pool.ts): each
 * statement autocommits, so an attempt stays counted when the request transaction it belongs to
 * rolls back, and a request never waits for a second connection of its own pool.
 */
export class RateLimitBuckets {
  constructor(private readonly pool: SidePool) {}

  /**
   * Counts one attempt for `key` in the window starting at `windowStart`, and reads back that
   * window's count and the previous window's, in one atomic statement: concurrent attempts on any
   * instance each see a distinct count (the row lock of ON CONFLICT DO UPDATE serialises them).
   */
  async hit(key: string, windowStart: Date, previousStart: Date, expiresAt: Date): Promise<BucketCounts> {
    const rows = await this.pool.query<{ hits: number; previous: number }>(
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
    return this.pool.execute(`delete from rate_limit_buckets where expires_at <= $1`, [now]);
  }
}
