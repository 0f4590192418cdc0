import type { EntityManager } from '@mikro-orm/postgresql';
import { KEYS_CHANNEL } from '../change-listener.ts';

/**
 * Announces a signing-key change to every instance. Runs in the caller's transaction: PostgreSQL
 * delivers the notification at COMMIT, and never after a rollback. Raw SQL: a function call on no
 * table, so no tenant predicate applies.
 */
export async function notifyKeysChanged(em: EntityManager, kid: string): Promise<void> {
  await em.execute('select pg_notify(?, ?)', [KEYS_CHANNEL, kid]);
}
