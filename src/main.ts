import { loadConfig } from './config.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { provisionDatabase } from './db/provision.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

/** `npm start`: the embedded PostgreSQL unless DATABASE_URL is set, migrations, then the API. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const db = config.databaseUrl
    ? { url: config.databaseUrl, stop: async () => undefined }
    : await startEmbeddedPostgres({ ...config.embedded, database: 'orgbound', log: (line) => logger.info(line) });
  const { appUrl, migrationsApplied } = await provisionDatabase({ ownerUrl: db.url, appUrl: config.appDatabaseUrl, appPassword: config.appDbPassword });
  if (migrationsApplied.length > 0) logger.info({ migrations: migrationsApplied }, 'migrations applied');
  const server = await startServer({ config, appDatabaseUrl: appUrl, logger });

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close().catch((err: unknown) => logger.error({ err }, 'server close failed'));
    await db.stop().catch((err: unknown) => logger.error({ err }, 'database stop failed'));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
