/**
 * A database connection lost in the middle of a request (issue 9, graceful behaviour). The test, as
 * the database owner, makes a request wait inside PostgreSQL on a lock it holds, then kills that
 * request's backend with pg_terminate_backend (what a fast shutdown does to every backend: SQLSTATE
 * 57P01). The request must get a clean 503 SERVICE_UNAVAILABLE, never a 500 or a partial write, and
 * the next request must succeed on a fresh connection (the dead one is discarded by the pool). The
 * same for the rate limiter's own pool (GraphQL and POST /oauth/token), and /readyz must answer 503
 * promptly while its query is stuck. Whole outages (the server stopped and restarted under load) are
 * test/faults/db-restart.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { RATE_LIMIT_APPLICATION_NAME } from '../../src/platform/limits/rate-limit-buckets.queries.ts';
import { READY_TIMEOUT_MS } from '../../src/platform/health.queries.ts';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { captureLogs, type LogCapture } from '../support/logs.ts';
import { ok } from '../support/sessions.ts';
import { createTenant, PASSWORD, signUp } from '../support/tenants.ts';

const UNAVAILABLE_BODY = { errors: [{ message: 'Service unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }] };
const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p, deviceName: "u") { refreshToken accessToken session { id } } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }`;

let api: TestApi;
let logs: LogCapture;
before(async () => {
  logs = captureLogs('info');
  api = await startTestApi({ logger: logs.logger });
});
after(async () => {
  await api?.close();
});

/** An owner transaction holding `lockSql` until released. */
async function hold(lockSql: string, params: unknown[] = []): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: api.db.ownerUrl });
  await client.connect();
  await client.query('begin');
  await client.query(lockSql, params);
  return {
    release: async () => {
      await client.query('rollback');
      await client.end();
    },
  };
}

/** Waits until a backend of the test database matching `where` waits on a lock, then terminates it (57P01). */
async function terminateWaiting(where: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await api.db.sql<{ terminated: boolean }>(
      `select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and ${where}`,
      [api.db.name],
    );
    if (rows.some((r) => r.terminated)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no backend ever waited on a lock (${where})`);
}

async function post(path: string, body: string, contentType: string): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  const res = await fetch(new URL(path, api.server.url), { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}
const postGraphql = (query: string, variables: Record<string, unknown>) => post('/graphql', JSON.stringify({ query, variables }), 'application/json');

/** Log lines at level warn (40) and above, by message. */
const logged = (level: number) => logs.lines().filter((l) => (l.level as number) >= level).map((l) => l.msg);

describe('a connection lost in the middle of a request', () => {
  test('refreshSession: 503 SERVICE_UNAVAILABLE, nothing rotated, and the next request succeeds', async () => {
    const email = `unavailable-${randomUUID()}@example.test`;
    const userId = await signUp(api, email);
    const { refreshToken, session } = ok(await api.gql(SIGN_IN, { e: email, p: PASSWORD })).signIn;
    const errorsBefore = logged(50).length;

    // refreshSession locks its family's device session row inside its transaction (src/modules/sessions/, lockFamilyOf).
    const lock = await hold(`select 1 from device_sessions where id = $1 for update`, [session.id]);
    const pending = postGraphql(REFRESH, { r: refreshToken });
    await terminateWaiting(`usename = 'orgbound_app'`);
    const r = await pending;
    await lock.release();

    assert.equal(r.status, 503);
    assert.deepEqual(r.body, UNAVAILABLE_BODY);
    // Nothing was written: the same refresh token rotates now, on a fresh pooled connection.
    const retried = ok(await api.gql(REFRESH, { r: refreshToken }));
    assert.ok(retried.refreshSession.refreshToken);
    const [live] = await api.db.sql<{ n: number }>(
      `select count(*)::int as n from refresh_tokens t join device_sessions s on s.id = t.session_id where s.user_id = $1 and t.rotated_at is null`,
      [userId],
    );
    assert.equal(live!.n, 1, 'one live refresh token in the family');
    assert.ok(logged(40).includes('database unavailable: answered 503'));
    assert.equal(logged(50).length, errorsBefore, `no error-level log: ${JSON.stringify(logged(50))}`);
  });

  test('the rate limiter losing its connection: 503 SERVICE_UNAVAILABLE on signIn, then signIn works', async () => {
    const email = `limiter-${randomUUID()}@example.test`;
    await signUp(api, email);
    // Every attempt counts with an INSERT ... ON CONFLICT on this table (src/platform/limits/rate-limit-buckets.queries.ts).
    const lock = await hold(`lock table rate_limit_buckets in exclusive mode`);
    const pending = postGraphql(SIGN_IN, { e: email, p: PASSWORD });
    await terminateWaiting(`application_name = '${RATE_LIMIT_APPLICATION_NAME}'`);
    const r = await pending;
    await lock.release();
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, UNAVAILABLE_BODY);
    assert.ok(ok(await api.gql(SIGN_IN, { e: email, p: PASSWORD })).signIn.accessToken);
  });

  test('POST /oauth/token with the rate limiter losing its connection: 503 temporarily_unavailable', async () => {
    const tenant = await createTenant(api, 'oauth503');
    const created = ok(
      await api.gql(`mutation { createServiceAccount(name: "etl", scopes: ["projects:read"]) { clientId clientSecret } }`, {}, tenant.token),
    ).createServiceAccount;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret }).toString();
    const lock = await hold(`lock table rate_limit_buckets in exclusive mode`);
    const pending = post('/oauth/token', form, 'application/x-www-form-urlencoded');
    await terminateWaiting(`application_name = '${RATE_LIMIT_APPLICATION_NAME}'`);
    const r = await pending;
    await lock.release();
    assert.equal(r.status, 503);
    assert.equal((r.body as { error?: string }).error, 'temporarily_unavailable');
    assert.equal((await post('/oauth/token', form, 'application/x-www-form-urlencoded')).status, 200);
  });
});

describe('GET /readyz', () => {
  test(`answers 503 within about ${READY_TIMEOUT_MS} ms when its query hangs, and 200 again once it does not`, async () => {
    const lock = await hold(`lock table mikro_orm_migrations in access exclusive mode`);
    const started = Date.now();
    const res = await fetch(new URL('/readyz', api.server.url));
    const ms = Date.now() - started;
    await lock.release();
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'unavailable' });
    assert.ok(ms >= READY_TIMEOUT_MS - 50 && ms < READY_TIMEOUT_MS + 1_000, `answered after ${ms} ms`);
    for (let i = 0; i < 50; i++) {
      const again = await fetch(new URL('/readyz', api.server.url));
      if (again.status === 200) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail('/readyz never became ready again');
  });
});
