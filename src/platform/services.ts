import type { MikroORM } from '@mikro-orm/postgresql';
import type { KeyRing } from './keys/key-ring.ts';
import type { Config } from './config.ts';
import type { DeferredWrites } from '../db/deferred-writes.ts';
import type { SidePool } from '../db/side-pool.ts';
import type { ScopeRegistry } from './authorization/scopes.ts';
import type { KeyedGate } from './limits/keyed-gate.ts';
import type { Metrics } from './observability/metrics.ts';
import type { RateLimiter } from './limits/rate-limiter.ts';

/**
 * The process-wide services registry (built once by src/app/server.ts, overridden by tests).
 * Nothing tenant-specific lives here: per-request state is in the RequestScope.
 */
export interface AppServices {
  readonly config: Config;
  readonly orm: MikroORM;
  /** Single autocommitted statements outside any request transaction (rate-limit counters, wrong MFA codes). */
  readonly side: SidePool;
  readonly keys: KeyRing;
  /** Attempt counters shared by every instance (sign-in, MFA, refresh). */
  readonly rateLimiter: RateLimiter;
  /** This server's Prometheus metrics (GET /metrics). Labels never identify a user, org or token. */
  readonly metrics: Metrics;
  /** Writes run after their response was sent (a cross-tenant attempt's event in the probed org's trail). */
  readonly deferred: DeferredWrites;
  /** In-process, one at a time per key, waiting without a database connection (presentations of one refresh token). */
  readonly gates: KeyedGate;
  /** Every OAuth scope the modules declared, with the least role each needs. */
  readonly scopes: ScopeRegistry;
  /** The clock. Tests inject a frozen or moving one. */
  readonly now: () => Date;
}
