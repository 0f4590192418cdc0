import type { MikroORM } from '@mikro-orm/postgresql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppServices } from './app-services.ts';
import { ensureActiveSigningKey, KeyRing, loadSigningKeys } from './auth/keys/key-ring.ts';
import type { Config } from './config.ts';
import { initORM } from './db/orm.ts';
import { RateLimitBuckets } from './db/rate-limit-buckets.ts';
import { createApollo } from './graphql/apollo.ts';
import { buildSchema, type SchemaOptions } from './graphql/schema.ts';
import { createHttpApp } from './http/app.ts';
import { RateLimiter } from './limits/rate-limiter.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly services: AppServices;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly config: Config;
  /** Runtime connection URL (the confined app role). */
  readonly appDatabaseUrl: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly schema?: SchemaOptions;
}

/** Builds the services registry and serves HTTP. The database must already be provisioned. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config, logger } = opts;
  const orm: MikroORM = await initORM(opts.appDatabaseUrl, config.dbPoolMax);
  const buckets = new RateLimitBuckets(opts.appDatabaseUrl);
  try {
    await ensureActiveSigningKey(orm.em, config.kek);
    const now = opts.now ?? (() => new Date());
    const keys = new KeyRing(() => loadSigningKeys(orm.em), config.kek, () => now().getTime());
    await keys.reload();
    const rateLimiter = new RateLimiter(buckets, config.rateLimits, config.kek, now, logger);
    const services: AppServices = { config, orm, keys, rateLimiter, now };
    const apollo = createApollo(buildSchema(opts.schema), config, logger);
    await apollo.start();
    const http: Server = createServer(createHttpApp(services, apollo, logger));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, resolve);
    });
    const port = (http.address() as AddressInfo).port;
    return {
      url: `http://localhost:${port}/graphql`,
      port,
      services,
      close: async () => {
        await new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await apollo.stop();
        await rateLimiter.idle();
        await buckets.close();
        await orm.close(true);
      },
    };
  } catch (err) {
    await buckets.close();
    await orm.close(true);
    throw err;
  }
}
