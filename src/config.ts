import { z } from 'zod';

/**
 * Development-only defaults. Production refuses to start while any of these is in effect
 * (STYLE rule 8: no secret fallbacks in production).
 */
const DEV_KEK = 'ZGV2ZWxvcG1lbnQtb25seS1rZWstMzItYnl0ZXMhISE='; // "development-only-kek-32-bytes!!!"
const DEV_APP_DB_PASSWORD = 'orgbound_app_dev';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.url().optional(),
    APP_DATABASE_URL: z.url().optional(),
    APP_DB_PASSWORD: z.string().min(8).default(DEV_APP_DB_PASSWORD),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    EMBEDDED_PG_DIR: z.string().default('.data/postgres'),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    ORGBOUND_KEK: z.string().default(DEV_KEK),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().default('orgbound'),
    CORS_ORIGINS: z.string().default(''),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** Owner connection (migrations). Unset: the embedded PostgreSQL is started. */
  readonly databaseUrl: string | undefined;
  /** Runtime connection as the API's own role. Unset: derived from the owner URL. */
  readonly appDatabaseUrl: string | undefined;
  readonly appDbPassword: string;
  readonly dbPoolMax: number;
  readonly embedded: { readonly dir: string; readonly port: number };
  readonly kek: Buffer;
  readonly jwt: { readonly issuer: string; readonly audience: string };
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
}

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
    appDbPassword: env.APP_DB_PASSWORD,
    dbPoolMax: env.DB_POOL_MAX,
    embedded: { dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT },
    kek: Buffer.from(env.ORGBOUND_KEK, 'base64'),
    jwt: { issuer: env.JWT_ISSUER ?? `http://localhost:${env.PORT}`, audience: env.JWT_AUDIENCE },
    corsOrigins: env.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL,
  });
}
