import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import type { EntitySchema } from '@mikro-orm/core';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * How long the runtime waits for the database, so that a request during an outage or a restart is
 * answered SERVICE_UNAVAILABLE within seconds instead of hanging (README "Database outages"):
 * - a new connection must be open (TCP and authentication) within DB_CONNECT_TIMEOUT_MS
 *   (node-postgres `connectionTimeoutMillis`; its default waits for the OS, minutes on a dropped route);
 * - a request waits at most DB_ACQUIRE_TIMEOUT_MS for a pooled connection, creation included (tarn's
 *   `acquireTimeoutMillis`; knex's default is 60 s). A refused connection fails at once regardless: knex
 *   hands the connect error to the waiting request (`propagateCreateError`).
 * A pooled connection the server closed (restart, pg_terminate_backend) is marked by knex's own 'error'
 * listener and discarded at its next checkout, so the pool heals without a restart of the process.
 */
export const DB_CONNECT_TIMEOUT_MS = 3_000;
export const DB_ACQUIRE_TIMEOUT_MS = 5_000;

/**
 * knex prints its warnings with console.log, into the JSON log stream on stdout. The one it gives at
 * runtime, "Connection Error: ...", is a dead pooled connection being discarded: expected after a
 * database restart, and the requests that met it have already been answered and logged. Others go
 * to stderr as process warnings.
 */
function knexWarning(message: unknown): void {
  if (typeof message === 'string' && message.startsWith('Connection Error:')) return;
  process.emitWarning(String(message), 'KnexWarning');
}

export interface OrmSettings {
  /** Every entity schema of the installation (the app collects them from the modules it discovers). */
  readonly entities: readonly EntitySchema<any, any>[];
  readonly poolMax?: number;
}

/** ORM options shared by the runtime (app role), the migrator (owner) and the CLI. */
export function ormOptions(clientUrl: string, settings: OrmSettings): Options {
  const poolMax = settings.poolMax ?? 10;
  return {
    clientUrl,
    entities: [...settings.entities],
    extensions: [Migrator],
    // One EM fork per request, never the global one: the identity map is not tenant-aware (MikroORM #7084).
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: DB_ACQUIRE_TIMEOUT_MS },
    driverOptions: { connection: { connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS }, log: { warn: knexWarning } },
    // Entities say their types explicitly (tsx emits no decorator metadata).
    discovery: { warnWhenNoEntities: true, requireEntitiesArray: true },
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    preferTs: import.meta.url.endsWith('.ts'),
    debug: process.env.ORGBOUND_SQL_DEBUG === '1',
  };
}

export async function initORM(clientUrl: string, settings: OrmSettings): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, settings));
}
