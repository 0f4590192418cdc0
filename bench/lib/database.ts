import pg from 'pg';
import { createDatabaseIfMissing, dropDatabase, startEmbeddedPostgres, withDatabase } from '../../src/app/operations/embedded.ts';
import { provisionDatabase } from '../../src/app/operations/provision.ts';

export interface BenchDatabase {
  /** Owner URL (a superuser on the embedded server: bypasses RLS). Seeding and mode (b) use it. */
  readonly ownerUrl: string;
  /** The API's confined runtime role (NOSUPERUSER NOBYPASSRLS). Mode (a) uses it. */
  readonly appUrl: string;
  /** Drops the benchmark database and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/**
 * A fresh, migrated database `orgbound_bench_<name>` for one benchmark run: on DATABASE_URL's server
 * when set, otherwise on an embedded PostgreSQL of its own (`.data/postgres-bench`, port 54331, so it
 * never meets `npm start` on 54329 or `npm test` on 54330).
 */
export async function benchDatabase(name: string): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]{1,40}$/.test(name)) throw new Error(`bench: database suffix must be [a-z0-9_], not ${name}`);
  const embedded = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({ dir: process.env.BENCH_EMBEDDED_PG_DIR ?? '.data/postgres-bench', port: Number(process.env.BENCH_EMBEDDED_PG_PORT ?? 54331), database: 'postgres' });
  const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
  const database = `orgbound_bench_${name}`;
  await dropDatabase(adminUrl, database);
  await createDatabaseIfMissing(adminUrl, database);
  const ownerUrl = withDatabase(adminUrl, database);
  await assertBypassesRls(ownerUrl);
  const { appUrl } = await provisionDatabase({ ownerUrl, appPassword: 'orgbound_app_dev' });
  return {
    ownerUrl,
    appUrl,
    close: async () => {
      await dropDatabase(adminUrl, database);
      await embedded?.stop();
    },
  };
}


/** Mode (b) needs a connection RLS does not apply to: the owner must be a superuser or have BYPASSRLS. */
async function assertBypassesRls(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>(`select rolsuper or rolbypassrls as ok from pg_roles where rolname = current_user`);
    if (!rows[0]?.ok) throw new Error('bench: the DATABASE_URL role must be a superuser or have BYPASSRLS (mode b runs without RLS)');
  } finally {
    await client.end();
  }
}
