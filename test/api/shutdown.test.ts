/**
 * Graceful shutdown (issue 6 item 6). A request is held inside the server by a real lock: the test,
 * as the database owner, holds the row lock on the device session that refreshSession takes
 * (src/modules/sessions/, lockFamilyOf), so the refresh waits in PostgreSQL until the test
 * lets go. Closing the server then must refuse new connections at once, let that request finish
 * with 200, and only then close the pools; past SHUTDOWN_DRAIN_TIMEOUT_MS the request is cut. The
 * last test runs `npm start`'s entry point (src/app/main.ts) and sends it SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';
import { ok } from '../support/sessions.ts';
import { PASSWORD } from '../support/tenants.ts';

const SIGN_UP = `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`;
const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p, deviceName: "s") { refreshToken session { id } } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }`;

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

/** Holds the device session's row lock that refreshSession takes, in an owner transaction until `release`. */
async function holdSessionLock(sessionId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await client.query('begin');
  await client.query(`select 1 from device_sessions where id = $1 for update`, [sessionId]);
  return {
    release: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}

/** Resolves once a backend of the test database waits on a lock (the held request got there). */
async function untilWaitingOnLock(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [row] = await db.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and usename = 'orgbound_app'`, [db.name]);
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the request never reached the lock');
}

/** A GET on a fresh connection (no keep-alive pool): resolves with the status, or the connection error's code. */
function probe(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** A signed-up user with a refresh token, and a refresh of it that is now waiting on the held lock. */
async function heldRefresh(api: { url: string; gql: TestApi['gql'] }): Promise<{ response: Promise<Response>; lock: { release(): Promise<void> } }> {
  const email = `shutdown-${randomUUID()}@example.test`;
  ok(await api.gql(SIGN_UP, { e: email, p: PASSWORD }));
  const { refreshToken, session } = ok(await api.gql(SIGN_IN, { e: email, p: PASSWORD })).signIn;
  const lock = await holdSessionLock(session.id);
  const response = fetch(api.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: REFRESH, variables: { r: refreshToken } }) });
  response.catch(() => undefined); // observed by the test
  await untilWaitingOnLock();
  return { response, lock };
}

const settled = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('RunningServer.close()', () => {
  test('refuses new connections at once, lets the request in flight finish with 200, then closes', async () => {
    const api = await startTestApi({ db, env: { SHUTDOWN_DRAIN_TIMEOUT_MS: '10000' } });
    const { response, lock } = await heldRefresh({ url: api.server.url, gql: api.gql });
    assert.equal(await probe(api.server.port), 200, 'the server answers before close()');

    const closing = api.server.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(await probe(api.server.port), 'ECONNREFUSED', 'new connections are refused while draining');
    assert.equal(await settled(closing, 300), false, 'close() waits for the request in flight');

    await lock.release();
    const res = await response;
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data?: { refreshSession?: { accessToken?: string } }; errors?: unknown };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.ok(body.data?.refreshSession?.accessToken);
    // Idle keep-alive connections (fetch keeps them) do not hold the shutdown until the deadline.
    assert.equal(await settled(closing, 2000), true, 'close() resolves once the request is done');
    assert.equal(await probe(api.server.port), 'ECONNREFUSED');
    assert.equal(api.server.services.orm.em.getConnection().getKnex().client.pool, undefined, 'the ORM pool is closed');
  });

  test('cuts a request still running at SHUTDOWN_DRAIN_TIMEOUT_MS', async () => {
    const api = await startTestApi({ db, env: { SHUTDOWN_DRAIN_TIMEOUT_MS: '300' } });
    const { response, lock } = await heldRefresh({ url: api.server.url, gql: api.gql });
    const started = Date.now();
    const closing = api.server.close();
    await assert.rejects(response, 'the connection of the held request is cut');
    assert.ok(Date.now() - started >= 250, `cut after ${Date.now() - started} ms`);
    await lock.release(); // the cut request's statement finishes; then its connection returns and the pool can close
    await closing;
  });
});

describe('npm start (src/app/main.ts)', () => {
  test('SIGTERM drains the request in flight, closes the pools and exits 0', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], {
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.ownerUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_DRAIN_TIMEOUT_MS: '10000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let url = '';
      for (let i = 0; i < 600 && !url; i++) {
        url = /POST (http:\/\/localhost:\d+\/graphql)/.exec(out)?.[1] ?? '';
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(url, `the server never started:\n${out}`);
      const port = Number(new URL(url).port);
      const gql: TestApi['gql'] = async (query, variables = {}) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
        return { ...((await res.json()) as object), status: res.status };
      };
      const { response, lock } = await heldRefresh({ url, gql });

      child.kill('SIGTERM');
      for (let i = 0; i < 200 && (await probe(port)) !== 'ECONNREFUSED'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await probe(port), 'ECONNREFUSED', 'no new connections after SIGTERM');
      if (await settled(exited, 300)) assert.fail(`the process did not wait for the request in flight: exit ${await exited}\n${out}`);

      await lock.release();
      assert.equal((await response).status, 200);
      assert.equal(await exited, 0, out);
      const messages = out.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
      // The drained request is logged after the drain began and before anything was stopped. (The
      // relative order of the two "stopped" lines is not asserted: under Node 24 the child's captured
      // stdout once showed them swapped although server.close() logs first.)
      const order = ['shutting down', 'draining: no new connections', 'graphql request'].map((m) => messages.lastIndexOf(m));
      assert.deepEqual([...order].sort((a, b) => a - b), order, `log order: ${messages.join(' | ')}`);
      assert.ok(!order.includes(-1), messages.join(' | '));
      for (const end of ['server stopped', 'stopped']) assert.ok(messages.lastIndexOf(end) > order[2]!, `${end} after the drained request: ${messages.join(' | ')}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
