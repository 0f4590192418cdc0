/**
 * `npm run bench` mode (b) switches shield, the tenant filter and the RLS setting off
 * (src/db/unenforced.ts). It must never be possible in production, and it must really be
 * off where the benchmark uses it (or mode (b) would measure nothing).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/app/config.ts';
import { assertBenchmarkAllowed, BENCHMARK_ONLY, disableEnforcementForBenchmark } from '../../src/db/unenforced.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { startServer } from '../../src/app/server.ts';
import { createTestDatabase, postGraphql, startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';
import { createTenant, type Tenant } from '../support/tenants.ts';

const PRODUCTION = loadConfig({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://owner:owner-secret@db.internal:5432/orgbound',
  APP_DB_PASSWORD: 'a-real-runtime-password',
  ORGBOUND_KEK: randomBytes(32).toString('base64'),
  JWT_ISSUER: 'https://api.orgbound.example',
});
const REFUSAL = /cannot be switched off in production/;

describe('the benchmark switch in production', () => {
  test('assertBenchmarkAllowed refuses a production configuration', () => {
    assert.throws(() => assertBenchmarkAllowed(PRODUCTION), REFUSAL);
    assert.doesNotThrow(() => assertBenchmarkAllowed(loadConfig({ NODE_ENV: 'test' })));
  });

  test('NODE_ENV=production in the process refuses it whatever the configuration says', () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      assert.throws(() => assertBenchmarkAllowed(loadConfig({ NODE_ENV: 'test' })), REFUSAL);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  test('startServer refuses it before connecting to anything', async () => {
    // An address nothing listens on: a refusal that came after connecting would be a connection error instead.
    await assert.rejects(
      startServer({ config: PRODUCTION, appDatabaseUrl: 'postgres://nobody:x@127.0.0.1:9/none', logger: createLogger('silent'), unenforced: BENCHMARK_ONLY }),
      REFUSAL,
    );
  });

  test('disableEnforcementForBenchmark refuses before it touches the ORM', () => {
    let touched = false;
    const orm = { em: { addFilter: () => (touched = true) } } as never;
    assert.throws(() => disableEnforcementForBenchmark(orm, PRODUCTION), REFUSAL);
    assert.equal(touched, false);
  });

  test('nothing but bench/ can turn it on: no variable, and src/ names it only where it is defined and applied', () => {
    const root = new URL('../..', import.meta.url).pathname;
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? (n === 'node_modules' || n.startsWith('.') ? [] : files(join(dir, n))) : n.endsWith('.ts') ? [join(dir, n)] : []));
    const naming = [...files(join(root, 'src')), ...files(join(root, 'scripts')), ...files(join(root, 'bench'))]
      .filter((f) => /BENCHMARK_ONLY|disableEnforcementForBenchmark/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f))
      .sort();
    assert.deepEqual(naming, ['bench/api-server.ts', 'src/app/server.ts', 'src/db/unenforced.ts']);
    assert.doesNotMatch(readFileSync(join(root, 'src/app/config.ts'), 'utf8'), /BENCH|UNENFORCED|ENFORCEMENT/i);
  });
});

describe('the benchmark switch where the benchmark uses it', () => {
  let db: TestDatabase;
  let enforced: TestApi;
  let unenforced: Awaited<ReturnType<typeof startServer>>;
  let a: Tenant;
  let b: Tenant;

  before(async () => {
    db = await createTestDatabase();
    enforced = await startTestApi({ db });
    a = await createTenant(enforced, 'a');
    b = await createTenant(enforced, 'b');
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    unenforced = await startServer({ config, appDatabaseUrl: db.ownerUrl, logger: createLogger('silent'), unenforced: BENCHMARK_ONLY });
  });
  after(async () => {
    await unenforced?.close();
    await enforced?.close();
    await db?.drop();
  });

  test("enforced: A's token does not read B's project; unenforced: it does (mode b really has no isolation)", async () => {
    const query = `query($id: ID!) { project(id: $id) { id name } }`;
    const guarded = await enforced.gql(query, { id: b.projectId }, a.token);
    assert.equal(guarded.data?.project, null);
    const open = await postGraphql(unenforced.url, query, { id: b.projectId }, a.token);
    assert.equal(open.errors, undefined, JSON.stringify(open.errors));
    assert.equal(open.data.project.id, b.projectId);
  });

  test('the enforced server in the same process keeps its isolation (the switch is per ORM, not global)', async () => {
    const guarded = await enforced.gql(`{ projects { edges { node { id } } } }`, {}, a.token);
    assert.deepEqual(
      guarded.data.projects.edges.map((e: { node: { id: string } }) => e.node.id),
      [a.projectId],
    );
  });
});
