/**
 * One benchmark server, in a process of its own (the load comes from the parent process over
 * loopback). BENCH_MODE: `enforced` (the production server), `unenforced` (the same server with
 * shield, tenant filter and RLS off: src/db/unenforced.ts) or `raw` (bench/raw-server.ts).
 * Sends `{ port }` to the parent over IPC once it listens; stops on the message 'stop'.
 */
import { loadConfig } from '../src/app/config.ts';
import { BENCHMARK_ONLY } from '../src/db/unenforced.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { startServer } from '../src/app/server.ts';
import { BENCH_RATE_LIMITS } from './lib/rate-limits.ts';


const mode = process.env.BENCH_MODE;
const ownerUrl = process.env.BENCH_OWNER_URL!;
const appUrl = process.env.BENCH_APP_URL!;
const config = loadConfig({ ...process.env, ...BENCH_RATE_LIMITS, NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: ownerUrl });

let close: () => Promise<void>;
let port: number;
if (mode === 'raw') {
  const { startRawServer } = await import('./raw-server.ts');
  const raw = await startRawServer({ databaseUrl: appUrl, kek: config.kek, issuer: config.jwt.issuer, audience: config.jwt.audience, poolMax: config.dbPoolMax });
  ({ port, close } = raw);
} else if (mode === 'enforced' || mode === 'unenforced') {
  const logger = createLogger(config.logLevel);
  const server = await startServer({
    config,
    // Mode (b) connects as the owner, a superuser RLS does not apply to; mode (a) as the confined role.
    appDatabaseUrl: mode === 'enforced' ? appUrl : ownerUrl,
    logger,
    ...(mode === 'unenforced' ? { unenforced: BENCHMARK_ONLY } : {}),
  });
  ({ port, close } = { port: server.port, close: () => server.close() });
} else {
  throw new Error(`BENCH_MODE must be enforced, unenforced or raw, not ${mode}`);
}
process.send?.({ port });
// Stopped by the parent over IPC ('stop'); a parent that goes away takes the server with it.
process.on('message', (m) => {
  if (m === 'stop') void close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
