import pg from 'pg';
import { createDatabaseIfMissing, dropDatabase, startEmbeddedPostgres, withDatabase } from '../../src/app/operations/embedded.ts';
import { provisionDatabase } from '../../src/app/operations/provision.ts';

/** The runtime role's password in every scratch database of this repo (src/app/operations/provision.ts creates the role with it). */
export const APP_PASSWORD = 'orgbound_app_dev';
const DATABASE = 'orgbound_cluster';

export interface ClusterDatabase {
  /** Owner URL (a superuser: bypasses RLS). Provisioning and the checks' look-ups use it. */
  readonly ownerUrl: string;
  /** The runtime role (NOSUPERUSER NOBYPASSRLS), straight to PostgreSQL: the LISTEN connections use it. */
  readonly appUrl: string;
  /** Where PostgreSQL listens, for pgbouncer's [databases] entry. */
  readonly server: { readonly host: string; readonly port: number; readonly database: string };
  /** Runs SQL as the owner: what is really stored, RLS aside. */
  sql<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<R[]>;
  /** Drops the database and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

/**
 * A fresh, migrated database `orgbound_cluster`: on DATABASE_URL's server when set, otherwise on an
 * embedded PostgreSQL of its own (`.data/postgres-cluster`, port 54350, so it never meets `npm start`
 * on 54329, `npm test` on 54330 or `npm run bench` on 54331).
 */
export async function clusterDatabase(log: (line: string) => void): Promise<ClusterDatabase> {
  const embedded = process.env.DATABASE_URL
    ? null
    : await startEmbeddedPostgres({ dir: '.data/postgres-cluster', port: 54350, database: 'postgres', log });
  const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
  try {
    await dropDatabase(adminUrl, DATABASE);
    await createDatabaseIfMissing(adminUrl, DATABASE);
    const ownerUrl = withDatabase(adminUrl, DATABASE);
    const { appUrl } = await provisionDatabase({ ownerUrl, appPassword: APP_PASSWORD });
    const u = new URL(ownerUrl);
    const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });
    return {
      ownerUrl,
      appUrl,
      // A socket directory in ?host= (libpq style) wins over the URL's host, as node-postgres reads it.
      server: { host: u.searchParams.get('host') ?? (u.hostname || '127.0.0.1'), port: Number(u.port || 5432), database: DATABASE },
      sql: async (text, params) => (await owner.query(text, params)).rows,
      close: async () => {
        await owner.end();
        await dropDatabase(adminUrl, DATABASE);
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
