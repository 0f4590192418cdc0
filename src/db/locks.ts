import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes a transaction-scoped PostgreSQL advisory lock named by `key` (hashed to an int4). It is
 * released at COMMIT or ROLLBACK, so it must run inside a transaction. Raw SQL lives here, in
 * src/db, because it touches no table and so needs no tenant filter.
 */
export async function advisoryXactLock(em: EntityManager, key: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [key]);
}
