import type { MikroORM } from '@mikro-orm/postgresql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppServices } from '../platform/services.ts';
import { ensureActiveSigningKey, KeyRing, loadSigningKeys } from '../platform/keys/key-ring.ts';
import type { Config } from './config.ts';
import { assertBenchmarkAllowed, BENCHMARK_ONLY, disableEnforcementForBenchmark } from '../db/unenforced.ts';
import { ChangeListener, KEYS_CHANNEL } from '../platform/change-listener.ts';
import { DeferredWrites } from '../db/deferred-writes.ts';
import { withoutPreparedStatements } from '../db/sql.ts';
import { initORM } from '../db/orm.ts';
import { ormPoolStats } from '../db/pool-stats.ts';
import { RateLimitBuckets } from '../platform/limits/rate-limit-buckets.queries.ts';
import { SidePool } from '../db/side-pool.ts';
import { createApollo } from '../api/graphql/apollo.ts';
import { buildSchema, lateOpeningFields, type SchemaOptions } from '../api/graphql/schema.ts';
import { ScopeRegistry } from '../platform/authorization/scopes.ts';
import { discoverModules, entitiesOf } from './modules.ts';
import { createHttpApp } from '../api/http/app.ts';
import { RequestTracker } from '../api/http/drain.ts';
import { KeyedGate } from '../platform/limits/keyed-gate.ts';
import { RateLimiter } from '../platform/limits/rate-limiter.ts';
import { errorSummary, type Logger } from '../platform/observability/logger.ts';
import { Metrics } from '../platform/observability/metrics.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly services: AppServices;
  /** The LISTEN connection (signing-key changes of other instances). */
  readonly changeListener: ChangeListener;
  /**
   * Graceful stop: refuses new connections at once, waits for the requests in flight (at most
   * SHUTDOWN_DRAIN_TIMEOUT_MS, then cuts them), then stops Apollo and closes the rate-limit pool
   * and the ORM's pool. The embedded database, if any, is the caller's (src/app/main.ts).
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
  const modules = await discoverModules();
  const orm: MikroORM = await initORM(opts.appDatabaseUrl, { entities: entitiesOf(modules), poolMax: config.dbPoolMax });
  if (opts.unenforced !== undefined) disableEnforcementForBenchmark(orm, config);
  if (!config.preparedStatements) withoutPreparedStatements(orm);
  // Directly, not through a transaction-mode pooler (Config.directDatabaseUrl says why).
  const side = new SidePool(config.directDatabaseUrl ?? opts.appDatabaseUrl);
  const buckets = new RateLimitBuckets(side);
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
    metrics.watchPool('rate_limit', () => side.poolStats());
    const rateLimiter = new RateLimiter(buckets, config.rateLimits, config.kek, now, logger, metrics);
    const deferred = new DeferredWrites((err) => logger.error({ err: errorSummary(err) }, 'a write deferred past its response failed'));
    const scopes = new ScopeRegistry(modules.flatMap((m) => m.scopes ?? []));
    const services: AppServices = { config, orm, side, keys, rateLimiter, metrics, deferred, gates: new KeyedGate(), scopes, now };
    const schema = buildSchema(modules, opts.unenforced !== undefined ? { ...opts.schema, shield: false } : opts.schema);
    const apollo = createApollo(schema, config, logger, metrics, lateOpeningFields(modules));
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
      await deferred.idle();
      await stopListener();
      await rateLimiter.idle();
      await side.close();
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
    await side.close();
    await orm.close(true);
    throw err;
  }
}
