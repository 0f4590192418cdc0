import type { RateLimit, RateLimitRule } from '../core/decisions/decide-rate-limit.ts';

/**
 * The configuration every layer reads, parsed once from the environment at start by the app
 * (src/app/config.ts, a zod schema). Here only as types, so that the layers below the app can name
 * what they read without importing the app.
 */
export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** Owner connection (migrations). Unset: the embedded PostgreSQL is started. */
  readonly databaseUrl: string | undefined;
  /** Runtime connection as the API's own role. Unset: derived from the owner URL. */
  readonly appDatabaseUrl: string | undefined;
  /**
   * The runtime role's direct connection, bypassing a transaction-mode pgbouncer, for what must not
   * go through it: LISTEN (session state the pooler cannot carry) and the rate-limit counters (a
   * request's transaction holds a pooler connection while its counter runs: through the same pool, a
   * burst larger than the pool would wait on itself). Unset: the runtime URL (right without a pooler).
   */
  readonly directDatabaseUrl: string | undefined;
  readonly appDbPassword: string;
  readonly dbPoolMax: number;
  /** Named (prepared) statements on the hot path (src/db/sql.ts); off behind an old PgBouncer. */
  readonly preparedStatements: boolean;
  readonly embedded: { readonly dir: string; readonly port: number };
  readonly kek: Buffer;
  readonly jwt: { readonly issuer: string; readonly audience: string };
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
  /** Bearer token GET /metrics requires; null: open outside production, not served in production. */
  readonly metricsToken: string | null;
  /** How long a closing server waits for in-flight requests before cutting their connections. */
  readonly shutdownDrainTimeoutMs: number;
  /** Express `trust proxy`: the proxies whose X-Forwarded-For names the client. Empty: none (the socket's peer is the client). */
  readonly trustProxy: readonly string[];
  /** Refused before execution with QUERY_TOO_COMPLEX (src/api/graphql/query-limits.ts). */
  readonly queryLimits: QueryLimits;
  /** Attempts counted in PostgreSQL, shared by every instance (src/platform/limits/rate-limiter.ts). */
  readonly rateLimits: Readonly<Record<RateLimitRule, RateLimit>>;
}

export interface QueryLimits {
  readonly depth: number;
  readonly cost: number;
  readonly aliases: number;
  readonly directives: number;
  readonly tokens: number;
}

