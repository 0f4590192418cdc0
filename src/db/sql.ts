import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';

/**
 * Hand-written statements of the hot path (issue 17), sent on the request transaction's own pg
 * connection as parameterised statements: MikroORM's `em.execute` formats every value into the SQL
 * text client-side and sends it through knex as a simple query, one write and one parse and plan in
 * PostgreSQL per statement; here the values travel as parameters and, unless turned off, each
 * distinct statement is prepared once per connection and only bound and executed afterwards.
 *
 * Same transaction, same connection, same RLS setting: the statement cannot run outside the
 * request's transaction (it raises without one). Parameters are `$1`-style.
 */

/** ORMs whose statements are sent unnamed: PREPARED_STATEMENTS=off, for PgBouncer older than 1.21 in transaction mode. */
const unprepared = new WeakSet<object>();

/** Turns named (prepared) statements off for `orm`'s connections (src/app/server.ts, from the configuration). */
export function withoutPreparedStatements(orm: MikroORM): void {
  unprepared.add(orm.config);
}

const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) names.set(text, (name = `ob_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
  return name;
}

interface KnexTransactor {
  readonly client: { acquireConnection(): Promise<pg.ClientBase> };
}

const connections = new WeakMap<object, pg.ClientBase>();

/** The pg connection of `em`'s open transaction. Raises outside a transaction. */
async function connectionOf(em: EntityManager): Promise<pg.ClientBase> {
  const trx = em.getTransactionContext<KnexTransactor>();
  if (!trx) throw new Error('sql: no open transaction on this EntityManager');
  let connection = connections.get(trx);
  if (!connection) {
    connection = await trx.client.acquireConnection();
    connections.set(trx, connection);
  }
  return connection;
}

/** Runs `text` with `values` in `em`'s transaction; the rows as pg returns them (timestamps as text). */
export async function transactionQuery<R extends object>(em: EntityManager, text: string, values: readonly unknown[] = []): Promise<R[]> {
  const connection = await connectionOf(em);
  const named = !unprepared.has(em.config);
  const result = await connection.query<R>(named ? { name: nameOf(text), text, values: values as unknown[] } : { text, values: values as unknown[] });
  return result.rows;
}
