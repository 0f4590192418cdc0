import { isIP } from 'node:net';
import { z } from 'zod';
import type { RateLimit } from '../core/decisions/decide-rate-limit.ts';
import type { Config } from '../platform/config.ts';

export type { Config, QueryLimits } from '../platform/config.ts';

/**
 * Development-only defaults. Production refuses to start while any of these is in effect
 * (STYLE rule 8: no secret fallbacks in production).
 */
const DEV_KEK = 'ZGV2ZWxvcG1lbnQtb25seS1rZWstMzItYnl0ZXMhISE='; // "development-only-kek-32-bytes!!!"
const DEV_APP_DB_PASSWORD = 'orgbound_app_dev';

/** `<count>/<seconds>`: at most `count` attempts in any `seconds` (a sliding window). */
const rate = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .pipe(z.string().regex(/^[1-9]\d{0,8}\/[1-9]\d{0,5}$/, 'must be <count>/<seconds> with both at least 1, e.g. 10/60'))
    .transform((v): RateLimit => {
      const [limit, windowSeconds] = v.split('/').map(Number) as [number, number];
      return Object.freeze({ limit, windowSeconds });
    });

/** A GraphQL operation limit (graphql-armor). */
const queryLimit = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** Express's `trust proxy` names, an IP address, or an address with a prefix length (CIDR). */
function isProxySpec(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.url().optional(),
    APP_DATABASE_URL: z.url().optional(),
    DIRECT_DATABASE_URL: z.url().optional(),
    APP_DB_PASSWORD: z.string().min(8).default(DEV_APP_DB_PASSWORD),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    // off behind PgBouncer older than 1.21 in transaction mode (it cannot keep named statements).
    PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
    EMBEDDED_PG_DIR: z.string().default('.data/postgres'),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    ORGBOUND_KEK: z.string().default(DEV_KEK),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().default('orgbound'),
    CORS_ORIGINS: z.string().default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Operating (README "Operating orgbound").
    METRICS_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 printable ASCII characters without spaces, e.g. openssl rand -hex 24')
      .optional(),
    SHUTDOWN_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    TRUST_PROXY: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.every(isProxySpec), 'must be a comma-separated list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal'),
    // Abuse limits (README "Abuse limits").
    GRAPHQL_MAX_DEPTH: queryLimit(8, 100),
    GRAPHQL_MAX_COST: queryLimit(100_000, 10_000_000),
    GRAPHQL_MAX_ALIASES: queryLimit(15, 1000),
    GRAPHQL_MAX_DIRECTIVES: queryLimit(20, 1000),
    GRAPHQL_MAX_TOKENS: queryLimit(1000, 100_000),
    RATE_LIMIT_SIGN_IN_PER_EMAIL: rate('10/60'),
    RATE_LIMIT_SIGN_IN_PER_ADDRESS: rate('50/60'),
    RATE_LIMIT_MFA_PER_ADDRESS: rate('30/60'),
    RATE_LIMIT_REFRESH_PER_SESSION: rate('30/60'),
    RATE_LIMIT_REFRESH_PER_ADDRESS: rate('300/60'),
    RATE_LIMIT_TOKEN_PER_CLIENT: rate('60/60'),
  })
  .superRefine((env, ctx) => {
    const kek = Buffer.from(env.ORGBOUND_KEK, 'base64');
    if (kek.length !== 32) {
      ctx.addIssue({ code: 'custom', path: ['ORGBOUND_KEK'], message: 'must be 32 bytes, base64-encoded' });
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.ORGBOUND_KEK === DEV_KEK) {
      ctx.addIssue({ code: 'custom', path: ['ORGBOUND_KEK'], message: 'production needs a real key-encryption key' });
    }
    if (!env.APP_DATABASE_URL && env.APP_DB_PASSWORD === DEV_APP_DB_PASSWORD) {
      ctx.addIssue({ code: 'custom', path: ['APP_DB_PASSWORD'], message: 'production needs a real password for the runtime role' });
    }
    if (!env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'production does not run on the embedded PostgreSQL' });
    }
    if (!env.JWT_ISSUER) {
      ctx.addIssue({ code: 'custom', path: ['JWT_ISSUER'], message: 'production needs its public issuer URL' });
    }
  });

/** Parses the environment once. Raises `Error` listing every invalid variable (fail at boot). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`orgbound: invalid configuration\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return Object.freeze({
    env: env.NODE_ENV,
    production: env.NODE_ENV === 'production',
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    appDatabaseUrl: env.APP_DATABASE_URL,
    directDatabaseUrl: env.DIRECT_DATABASE_URL,
    appDbPassword: env.APP_DB_PASSWORD,
    dbPoolMax: env.DB_POOL_MAX,
    preparedStatements: env.PREPARED_STATEMENTS === 'on',
    embedded: { dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT },
    kek: Buffer.from(env.ORGBOUND_KEK, 'base64'),
    jwt: { issuer: env.JWT_ISSUER ?? `http://localhost:${env.PORT}`, audience: env.JWT_AUDIENCE },
    corsOrigins: env.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL,
    metricsToken: env.METRICS_TOKEN ?? null,
    shutdownDrainTimeoutMs: env.SHUTDOWN_DRAIN_TIMEOUT_MS,
    trustProxy: Object.freeze(env.TRUST_PROXY),
    queryLimits: Object.freeze({
      depth: env.GRAPHQL_MAX_DEPTH,
      cost: env.GRAPHQL_MAX_COST,
      aliases: env.GRAPHQL_MAX_ALIASES,
      directives: env.GRAPHQL_MAX_DIRECTIVES,
      tokens: env.GRAPHQL_MAX_TOKENS,
    }),
    rateLimits: Object.freeze({
      signInPerEmail: env.RATE_LIMIT_SIGN_IN_PER_EMAIL,
      signInPerAddress: env.RATE_LIMIT_SIGN_IN_PER_ADDRESS,
      mfaPerAddress: env.RATE_LIMIT_MFA_PER_ADDRESS,
      refreshPerSession: env.RATE_LIMIT_REFRESH_PER_SESSION,
      refreshPerAddress: env.RATE_LIMIT_REFRESH_PER_ADDRESS,
      tokenPerClient: env.RATE_LIMIT_TOKEN_PER_CLIENT,
    }),
  });
}
