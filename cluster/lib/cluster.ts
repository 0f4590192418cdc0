import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDatabase, APP_PASSWORD, type ClusterDatabase } from './database.ts';
import { startInstance, type Instance } from './instances.ts';
import { startPgbouncer, type Pgbouncer } from './pgbouncer.ts';
import { APP_ROLE } from '../../src/app/operations/provision.ts';

/** The ports of `npm run test:cluster` (54350-54359; 54350 is its embedded PostgreSQL). */
const PGBOUNCER_PORT = 54351;
const FIRST_INSTANCE_PORT = 54352;
const ISSUER = 'http://orgbound-cluster.test';
/** Each instance's ORM pool (DB_POOL_MAX): without pgbouncer, PostgreSQL would see up to count x this. */
export const ORM_POOL_MAX = 10;

export interface Cluster {
  readonly database: ClusterDatabase;
  readonly pgbouncer: Pgbouncer;
  readonly instances: readonly Instance[];
  /** Holds pgbouncer's files and every instance's log. */
  readonly dir: string;
  /** Stops the instances, pgbouncer, then the database; removes `dir` unless `keepFiles`. */
  close(keepFiles: boolean): Promise<void>;
}

/**
 * PostgreSQL (embedded or DATABASE_URL), migrated; pgbouncer in transaction mode in front of it; and
 * `count` API instances whose runtime connections all go through pgbouncer while each one's LISTEN
 * connection goes straight to PostgreSQL (a session feature transaction pooling cannot carry).
 */
export async function startCluster(count: number, log: (line: string) => void): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'orgbound-cluster-'));
  const stops: (() => Promise<void>)[] = [];
  const close = async (keepFiles: boolean) => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`cluster: stop failed: ${String(err)}`));
    stops.length = 0;
    if (!keepFiles) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const database = await clusterDatabase(log);
    stops.push(() => database.close());
    const pgbouncer = await startPgbouncer({ dir, listenPort: PGBOUNCER_PORT, server: database.server, role: APP_ROLE, password: APP_PASSWORD });
    stops.push(() => pgbouncer.stop());
    const instances: Instance[] = []; // filled as each one listens, so a failed start still stops the others
    stops.push(() => Promise.all(instances.filter(Boolean).map((i) => i.stop())).then(() => undefined));
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const instance = await startInstance({
          name: `instance ${i + 1}`,
          port: FIRST_INSTANCE_PORT + i,
          ownerUrl: database.ownerUrl,
          appUrl: pgbouncer.appUrl,
          directUrl: database.appUrl,
          poolMax: ORM_POOL_MAX,
          issuer: ISSUER,
          logFile: join(dir, `instance-${i + 1}.log`),
        });
        instances[i] = instance;
      }),
    );
    return { database, pgbouncer, instances, dir, close };
  } catch (err) {
    await close(true);
    throw new Error(`cluster did not start (files kept in ${dir}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
