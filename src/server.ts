import type { MikroORM } from '@mikro-orm/postgresql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppServices } from './app-services.ts';
import { ensureActiveSigningKey, KeyRing, loadSigningKeys } from './auth/keys/key-ring.ts';
import type { Config } from './config.ts';
import { assertBenchmarkAllowed, BENCHMARK_ONLY, disableEnforcementForBenchmark } from './db/benchmark-unenforced.ts';
import { ChangeListener, KEYS_CHANNEL } from './db/change-listener.ts';
import { initORM } from './db/orm.ts';
import { ormPoolStats } from './db/pool-stats.ts';
import { RateLimitBuckets } from './db/rate-limit-buckets.ts';
import { createApollo } from './graphql/apollo.ts';
import { buildSchema, type SchemaOptions } from './graphql/schema.ts';
import { createHttpApp } from './http/app.ts';
import { RequestTracker } from './http/drain.ts';
import { RateLimiter } from './limits/rate-limiter.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './observability/metrics.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly services: AppServices;
  /** The LISTEN connection (signing-key changes of other instances). */
  readonly changeListener: ChangeListener;
  /**
   * Graceful stop: refuses new connections at once, waits for the requests in flight (at most
   * SHUTDOWN_DRAIN_TIMEOUT_MS, then cuts them), then stops Apollo and closes the rate-limit pool
   * and the ORM's pool. The embedded database, if any, is the caller's (src/main.ts).
   */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly config: Config;
  /** Runtime connection URL (the confined app role). */
  readonly appDatabaseUrl: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly schema?: SchemaOptions;
  /**
   * `npm run bench` mode (b) only: graphql-shield, the tenant filter and the RLS setting off (connect
   * as a role that bypasses RLS as well). Refused in production, before anything starts.
   */
  readonly unenforced?: typeof BENCHMARK_ONLY;
}

/** Builds the services registry and serves HTTP. The database must already be provisioned. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config, logger } = opts;
  if (opts.unenforced !== undefined) assertBenchmarkAllowed(config);
  const orm: MikroORM = await initORM(opts.appDatabaseUrl, config.dbPoolMax);
  if (opts.unenforced !== undefined) disableEnforcementForBenchmark(orm, config);
  // Directly, not through a transaction-mode pooler (Config.directDatabaseUrl says why).
  const buckets = new RateLimitBuckets(config.directDatabaseUrl ?? opts.appDatabaseUrl);
  let stopListener: () => Promise<void> = async () => undefined;
  try {
    await ensureActiveSigningKey(orm.em, config.kek);
    const now = opts.now ?? (() => new Date());
    const keys = new KeyRing(() => loadSigningKeys(orm.em), config.kek, () => now().getTime());
    await keys.reload();
    // Signing-key changes other instances commit reach this ring at once (and after a reconnect, a full reload).
    const listener = new ChangeListener(config.directDatabaseUrl ?? opts.appDatabaseUrl, { [KEYS_CHANNEL]: () => keys.reload() }, () => keys.reload(), logger);
    stopListener = () => listener.close();
    await listener.start();
    const metrics = new Metrics();
    metrics.watchPool('orm', () => ormPoolStats(orm));
    metrics.watchPool('rate_limit', () => buckets.poolStats());
    const rateLimiter = new RateLimiter(buckets, config.rateLimits, config.kek, now, logger, metrics);
    const services: AppServices = { config, orm, keys, rateLimiter, metrics, now };
    const apollo = createApollo(buildSchema(opts.unenforced !== undefined ? { ...opts.schema, shield: false } : opts.schema), config, logger, metrics);
    await apollo.start();
    const http: Server = createServer();
    const tracker = new RequestTracker(http);
    http.on('request', createHttpApp(services, apollo, logger));
    metrics.watchInFlight(() => tracker.inFlight);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, resolve);
    });
    const port = (http.address() as AddressInfo).port;
    if (config.production && !config.metricsToken) logger.warn('GET /metrics is not served: set METRICS_TOKEN to scrape it');
    let closing: Promise<void> | undefined;
    const close = async () => {
      logger.info({ in_flight: tracker.inFlight, timeout_ms: config.shutdownDrainTimeoutMs }, 'draining: no new connections');
      const { cut } = await tracker.drain(config.shutdownDrainTimeoutMs);
      if (cut > 0) logger.warn({ cut }, 'requests still running at the drain deadline were cut');
      await apollo.stop();
      await stopListener();
      await rateLimiter.idle();
      await buckets.close();
      await orm.close(true);
      logger.info('server stopped');
    };
    return {
      url: `http://localhost:${port}/graphql`,
      port,
      services,
      changeListener: listener,
      close: () => (closing ??= close()),
    };
  } catch (err) {
    await stopListener();
    await buckets.close();
    await orm.close(true);
    throw err;
  }
}
