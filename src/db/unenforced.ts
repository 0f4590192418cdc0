import type { MikroORM } from '@mikro-orm/postgresql';
import { TENANT_FILTER } from './tenant-owned.ts';

/**
 * `npm run bench` mode (b), "enforcement off": the same server with graphql-shield, the tenant filter
 * and RLS switched off, to measure what they cost. It exists only as a startServer option that
 * bench/api-server.ts passes; no environment variable or configuration turns it on, and a production
 * configuration refuses it before anything starts (test/api/benchmark-switch.test.ts).
 */
export const BENCHMARK_ONLY = 'benchmark-only: no tenant isolation';

const unenforced = new WeakSet<MikroORM>();

/** The part of the configuration that says where the process runs. */
export interface Environment {
  readonly env: string;
  readonly production: boolean;
}

/** Raises when `config` is production: enforcement can never be switched off there. */
export function assertBenchmarkAllowed(config: Environment): void {
  if (config.production || config.env === 'production' || process.env.NODE_ENV === 'production') {
    throw new Error('orgbound: enforcement cannot be switched off in production (the switch is for `npm run bench` only)');
  }
}

/**
 * Switches the tenant filter and the per-transaction RLS setting off for every fork of `orm`: a
 * filter registered on the root EntityManager under the same name shadows the entity's (MikroORM
 * takes the first filter of a name: config, then EntityManager, then entity), and begin() skips
 * set_config. RLS itself is off only because the caller connects as a role that bypasses it.
 */
export function disableEnforcementForBenchmark(orm: MikroORM, config: Environment): void {
  assertBenchmarkAllowed(config);
  orm.em.addFilter(TENANT_FILTER, {}, undefined, true);
  unenforced.add(orm);
}

/** True for an ORM whose tenant enforcement a benchmark switched off. */
export function isUnenforced(orm: MikroORM): boolean {
  return unenforced.has(orm);
}
