import type { MikroORM } from '@mikro-orm/postgresql';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MIGRATIONS_DIR } from '../db/orm.ts';

/** Number of migration files this build ships. */
export const SHIPPED_MIGRATIONS = readdirSync(MIGRATIONS_DIR).filter((f) => /^Migration.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).length;

/**
 * How long /readyz waits for the database before it answers "not ready": well under a load balancer's
 * probe timeout (typically 1-5 s), and shorter than the pool's own bounds (src/db/orm.ts), so a
 * database that hangs rather than refuses still gets a prompt 503.
 */
export const READY_TIMEOUT_MS = 1_500;

/**
 * Readiness: the database answers within READY_TIMEOUT_MS and every shipped migration is applied.
 * Touches no tenant table. Never throws.
 */
export async function databaseIsReady(orm: MikroORM): Promise<boolean> {
  const timeout = new AbortController();
  const check = orm.em
    .fork()
    .execute<{ applied: number }[]>(`select count(*)::int as applied from mikro_orm_migrations`)
    .then((rows) => (rows[0]?.applied ?? 0) >= SHIPPED_MIGRATIONS)
    .catch(() => false);
  // A check still running at the deadline is left to finish (or fail) on its own: the pool bounds it.
  const late = sleep(READY_TIMEOUT_MS, false, { signal: timeout.signal }).catch(() => false);
  try {
    return await Promise.race([check, late]);
  } finally {
    timeout.abort();
  }
}
