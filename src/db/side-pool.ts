import pg from 'pg';
import type { PoolStats } from './pool-stats.ts';

/** Connections of the side pool: one short statement each, never held while waiting for anything. */
const POOL_MAX = 4;
/** How the side pool's connections show in pg_stat_activity (they never hold a tenant setting). */
export const SIDE_POOL_APPLICATION_NAME = 'orgbound rate limits';
const STATEMENT_TIMEOUT_MS = 5_000;

/**
 * A small pool of its own, separate from MikroORM's, for single autocommitted statements that must
 * not share the fate of a request's transaction: the rate-limit counters (src/platform/limits/rate-limit-buckets.queries.ts)
 * and the wrong-MFA-code events the per-user limit counts (recordSecurityEventNow).
 *
 * - each statement autocommits, so what it records stays when the request transaction it belongs
 *   to rolls back (a failed sign-in rolls back everything else it did);
 * - the request holding its transaction's connection never waits for a second connection of the
 *   same pool (with every pooled connection held by a request waiting for one more, they would all
 *   wait forever); this pool's connections are held for one statement and wait for nothing.
 *
 * It connects directly, never through a transaction-mode pooler (Config.directDatabaseUrl).
 */
export class SidePool {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: POOL_MAX,
      connectionTimeoutMillis: STATEMENT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      application_name: SIDE_POOL_APPLICATION_NAME,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<R extends pg.QueryResultRow>(text: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(text, params)).rows;
  }

  async execute(text: string, params: unknown[]): Promise<number> {
    return (await this.pool.query(text, params)).rowCount ?? 0;
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
