/**
 * One API instance of `npm run test:cluster`, in a process of its own: the production server
 * (src/app/server.ts) configured as `npm start` would be behind pgbouncer: APP_DATABASE_URL through
 * pgbouncer, DIRECT_DATABASE_URL straight to PostgreSQL (both set by the parent; it has migrated). Sends `{ port }` over IPC once it
 * listens; stops on the message 'stop' (a graceful close: SIGTERM under tsx does not drain).
 */
import { BENCH_RATE_LIMITS } from '../bench/lib/rate-limits.ts';
import { loadConfig } from '../src/app/config.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { startServer } from '../src/app/server.ts';

// Rate limits far above the checks' sign-ins (their SQL still runs on every attempt).
// Debian's pgbouncer (1.18) in transaction mode cannot keep named statements: PREPARED_STATEMENTS=off, as the README says.
const config = loadConfig({ ...process.env, ...BENCH_RATE_LIMITS, NODE_ENV: 'development', HOST: '127.0.0.1', PREPARED_STATEMENTS: 'off' });
const server = await startServer({ config, appDatabaseUrl: config.appDatabaseUrl!, logger: createLogger(config.logLevel) });
process.send?.({ port: server.port });
process.on('message', (m) => {
  if (m === 'stop') void server.close().then(() => process.exit(0), () => process.exit(1));
});
// A parent that goes away takes the instance with it.
process.on('disconnect', () => process.exit(0));
