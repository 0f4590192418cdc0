import type { MikroORM } from '@mikro-orm/postgresql';

/** The parts of knex's tarn pool that say how it is doing. */
interface TarnPool {
  readonly max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * The state of MikroORM's connection pool (knex's tarn pool), for the metrics; null once the ORM is
 * closed. Here in src/db because it reaches into the driver: knex exposes the pool only on its client.
 */
export function ormPoolStats(orm: MikroORM): PoolStats | null {
  const client = orm.em.getConnection().getKnex().client as { pool?: TarnPool };
  const pool = client.pool;
  if (!pool) return null;
  return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
}

/** How a connection pool is doing, as GET /metrics reports it. */
export interface PoolStats {
  readonly used: number;
  readonly free: number;
  readonly pending: number;
  readonly max: number;
}
