import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/app/config.ts';
import { createDatabaseIfMissing, withDatabase } from '../../src/app/operations/embedded.ts';
import { provisionDatabase } from '../../src/app/operations/provision.ts';
import type { SchemaOptions } from '../../src/api/graphql/schema.ts';
import { createLogger, type Logger } from '../../src/platform/observability/logger.ts';
import { startServer, type RunningServer } from '../../src/app/server.ts';

export interface GqlResult<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string }; path?: (string | number)[] }[];
}

export interface TestDatabase {
  readonly name: string;
  /** Owner (superuser) URL: bypasses RLS. For seeding and for inspecting what really is stored. */
  readonly ownerUrl: string;
  /** Runtime URL as orgbound_app (NOSUPERUSER NOBYPASSRLS). */
  readonly appUrl: string;
  /** Runs SQL as the owner. */
  sql<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the test server (TEST_DATABASE_ADMIN_URL, set by test/run.ts). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = process.env.TEST_DATABASE_ADMIN_URL;
  if (!admin) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run the tests with `npm test`');
  const name = `orgbound_test_${randomBytes(5).toString('hex')}`;
  await createDatabaseIfMissing(admin, name);
  const ownerUrl = withDatabase(admin, name);
  const { appUrl } = await provisionDatabase({ ownerUrl, appPassword: 'orgbound_app_dev' });
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  return {
    name,
    ownerUrl,
    appUrl,
    sql: async (text, params) => (await owner.query(text, params as unknown[])).rows,
    drop: async () => {
      await owner.end();
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      await client.end();
    },
  };
}

export { withDatabase };

export interface TestApi {
  readonly db: TestDatabase;
  readonly server: RunningServer;
  readonly config: Config;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  readonly db?: TestDatabase;
  readonly env?: Record<string, string>;
  readonly now?: () => Date;
  readonly schema?: SchemaOptions;
  /** The server's logger (default: LOG_LEVEL, silent in tests). test/api/logs.test.ts captures one. */
  readonly logger?: Logger;
}

/**
 * Rate limits for test APIs unless a test sets its own (`env`): every request of a test file comes
 * from 127.0.0.1, often under a frozen clock (one window for the whole file), and the suites sign in
 * and refresh far more often than one client would. The counters still run on every attempt;
 * test/api/limits.test.ts sets small limits to test them.
 */
export const GENEROUS_RATE_LIMITS: Readonly<Record<string, string>> = {
  RATE_LIMIT_SIGN_IN_PER_EMAIL: '100000/60',
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: '100000/60',
  RATE_LIMIT_MFA_PER_ADDRESS: '100000/60',
  RATE_LIMIT_REFRESH_PER_SESSION: '100000/60',
  RATE_LIMIT_REFRESH_PER_ADDRESS: '100000/60',
};

/** Starts the API on port 0 against a fresh database (or `opts.db`). */
export async function startTestApi(opts: TestApiOptions = {}): Promise<TestApi> {
  const db = opts.db ?? (await createTestDatabase());
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.DEBUG_TEST_LOG ?? 'silent', ...GENEROUS_RATE_LIMITS, ...opts.env });
  const server = await startServer({
    config,
    appDatabaseUrl: db.appUrl,
    logger: opts.logger ?? createLogger(config.logLevel),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.schema ? { schema: opts.schema } : {}),
  });
  return {
    db,
    server,
    config,
    gql: (query, variables, token, headers) => postGraphql(server.url, query, variables, token, headers),
    close: async () => {
      await server.close();
      if (!opts.db) await db.drop();
    },
  };
}

/**
 * How long a test waits for one answer: far beyond any request of the suite on a loaded machine, so
 * that a request that never answers (a wait on itself) fails its test, naming the operation, instead
 * of hanging the run.
 */
export const ANSWER_DEADLINE_MS = 60_000;

/** fetch, failing with the operation's text when no answer comes within ANSWER_DEADLINE_MS. */
export async function fetchAnswer(url: string, init: RequestInit, operation: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(ANSWER_DEADLINE_MS) });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`no answer within ${ANSWER_DEADLINE_MS / 1000} s to ${operation.slice(0, 800)}`);
    throw err;
  }
}

export async function postGraphql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const res = await fetchAnswer(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    },
    `${query} with ${JSON.stringify(variables)}`,
  );
  const body = (await res.json()) as GqlResult<T>;
  return { ...body, status: res.status };
}

/** The contract code of the first error, or undefined. */
export function errorCode(result: GqlResult): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}
