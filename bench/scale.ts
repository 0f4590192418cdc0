/**
 * `npm run bench:scale` (issue 8, part 2): does one tenant's latency depend on how many tenants share
 * the tables? For each size S (10, 1,000, 10,000 tenants) a fresh database holds 1,000,000 tasks in
 * total. The measured tenant is made through the API (bench/lib/seed.ts: 20 projects × 5 tasks, so
 * it is the same tenant as in `npm run bench`) and is identical at every size; the other S − 5 tenants
 * are bulk rows (bench/lib/bulk-tenants.ts) holding the rest of the 1,000,000 tasks, 5 per project.
 * So table and index sizes stay the same across sizes and only how they are split between tenants
 * changes: 5 bulk tenants of ~200,000 tasks at S = 10, ~100 tasks each (like the measured one) at
 * S = 10,000.
 *
 * All sizes are seeded first, each served by its own `enforced` API child, then measured round after
 * round with the size order rotating, so machine noise falls on every size alike; medians over rounds
 * are reported, and p99 at the largest size over p99 at the smallest (issue 8's target: ≤ 1.2).
 * `sqlProjectsWithTasks` times projectsWithTasks' SQL alone (bench/lib/sql-reads.ts), to tell the
 * database's share from the API's. EXPLAIN (ANALYZE, BUFFERS) of the two reads, as the confined role
 * under RLS, is checked (org_id-leading index, policy evaluated once) and stored with the results in
 * bench/scale-results.json (written only when all sizes, tasks and scenarios are the defaults).
 *
 *   npm run bench:scale -- [--duration 6] [--rounds 5] [--sql-duration 3] [--connections 8] [--warmup 2]
 *                          [--sizes 10,1000,10000] [--tasks 1000000]
 *                          [--scenarios projectsWithTasks,projectById,createTask,sqlProjectsWithTasks]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { countRows, seedBulkTenants, settleAfterBulkLoad } from './lib/bulk-tenants.ts';
import { benchDatabase } from './lib/database.ts';
import { signIn } from './lib/graphql.ts';
import { measureRequest, type Sample } from './lib/load.ts';
import { requestBody } from './lib/operations.ts';
import { startBenchServer } from './lib/processes.ts';
import { buildResults, describeMachine, printPlans, printSummary, SCALE_SCENARIOS, type ScaleScenario, type SizeRun } from './lib/scale-report.ts';
import { PROJECTS, seedWorld, TASKS_PER_PROJECT } from './lib/seed.ts';
import { timeTenantReads } from './lib/sql-reads.ts';
import { explainTenantReads } from './lib/tenant-plans.ts';

const DEFAULT_SIZES = '10,1000,10000';
const DEFAULT_TASKS = '1000000';
const RESULTS_FILE = new URL('./scale-results.json', import.meta.url);

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '5' },
    'sql-duration': { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    sizes: { type: 'string', default: DEFAULT_SIZES },
    tasks: { type: 'string', default: DEFAULT_TASKS },
    scenarios: { type: 'string', default: SCALE_SCENARIOS.join(',') },
  },
});
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const sqlDuration = Number(args['sql-duration']);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
const sizes = args.sizes.split(',').map(Number).sort((a, b) => a - b);
const totalTasks = Number(args.tasks);
const scenarios = args.scenarios.split(',') as ScaleScenario[];
for (const s of scenarios) if (!SCALE_SCENARIOS.includes(s)) throw new Error(`bench: unknown scenario ${s} (known: ${SCALE_SCENARIOS.join(', ')})`);
if (sizes.some((s) => !Number.isInteger(s) || s < 1) || !Number.isInteger(totalTasks)) throw new Error('bench: --sizes and --tasks take whole numbers');

const METHOD = {
  tool: 'autocannon 8.0.0 from this process; the enforced API in a child process per size',
  connections,
  durationSeconds: duration,
  sqlDurationSeconds: sqlDuration,
  rounds,
  warmupSeconds: warmup,
  statistic: 'median over rounds of per-run p50/p99 (nearest rank over raw response times) and req/s',
  sizesAlternate: true,
};
const DESIGN = {
  tasksPerSize: totalTasks,
  measuredTenant: `made through the API (bench/lib/seed.ts): ${PROJECTS} projects × ${TASKS_PER_PROJECT} tasks and an empty sink project for createTask; identical at every size`,
  apiTenants: 'seedWorld also makes 3 neighbour tenants of the same shape and a second, empty org of the same user: they count among the size',
  bulkTenants: `the other tenants, inserted by the owner with insert … select generate_series in batches of 50,000 rows; projects round-robin over them, ${TASKS_PER_PROJECT} tasks per project, no members`,
  afterSeeding: 'VACUUM (ANALYZE) organizations, memberships, projects, tasks; CHECKPOINT',
  database: 'a fresh database per size; all sizes stay up while measured, the order of sizes rotating each round',
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (since: number) => (performance.now() - since) / 1000;

async function main(): Promise<void> {
  const started = performance.now();
  log(`bench:scale: sizes ${sizes.join(', ')} with ${totalTasks.toLocaleString('en')} tasks each; ${scenarios.length} scenarios × ${rounds} rounds of ${duration} s, ${connections} connections`);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const runs: SizeRun[] = [];
    for (const size of sizes) runs.push(await prepareSize(size, cleanups));
    for (const run of runs) await checkMeasuredTenant(run);
    await measureAll(runs);
    const results = buildResults({ machine: await describeMachine(runs[0]!.db.ownerUrl), method: METHOD, design: DESIGN, runs, scenarios });
    printSummary(results);
    if (args.sizes === DEFAULT_SIZES && args.tasks === DEFAULT_TASKS && scenarios.length === SCALE_SCENARIOS.length) {
      writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
      log(`bench:scale: wrote ${RESULTS_FILE.pathname}`);
    } else log('bench:scale: not the full configuration (--sizes, --tasks or --scenarios changed): scale-results.json left as it was');
    const failures = runs.flatMap((r) => Object.values(r.samples).flat()).reduce((n, s) => n + s.failures, 0);
    if (failures > 0) {
      log(`bench:scale: ${failures} requests failed (non-2xx or GraphQL errors): the numbers above are not valid`);
      process.exitCode = 1;
    }
    log(`bench:scale: done in ${seconds(started).toFixed(0)} s`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/** A fresh database for `size` tenants: the measured tenant through the API, the rest in bulk; then its plans. */
async function prepareSize(size: number, cleanups: (() => Promise<void>)[]): Promise<SizeRun> {
  const started = performance.now();
  const db = await benchDatabase(`${process.env.BENCH_DATABASE_SUFFIX ?? 'scale'}_${size}`); // as bench/run.ts: concurrent runs need their own names
  cleanups.push(() => db.close());
  const server = await startBenchServer('enforced', db);
  cleanups.push(() => server.stop());
  const provision = seconds(started);
  const world = await seedWorld(server.url);
  const api = seconds(started) - provision;
  const viaApi = await countRows(db.ownerUrl, world.orgId);
  if (size <= viaApi.organizations || totalTasks < viaApi.tasks) throw new Error(`bench: size ${size} / ${totalTasks} tasks is smaller than what the API seed alone makes (${JSON.stringify(viaApi)})`);
  const bulk = await seedBulkTenants(db.ownerUrl, { tenants: size - viaApi.organizations, tasks: totalTasks - viaApi.tasks, tasksPerProject: TASKS_PER_PROJECT }, `${String(size).padStart(5)} tenants`);
  const vacuumAnalyze = await settleAfterBulkLoad(db.ownerUrl);
  const rows = await countRows(db.ownerUrl, world.orgId);
  const seedSeconds = { provision, api, ...bulk.seconds, vacuumAnalyze, total: seconds(started) };
  log(`bench:scale: ${size} tenants: ${rows.organizations} orgs, ${rows.projects} projects, ${rows.tasks} tasks; seeded in ${seedSeconds.total.toFixed(1)} s (API ${api.toFixed(1)} s, tasks ${bulk.seconds.tasks.toFixed(1)} s, vacuum/analyze ${vacuumAnalyze.toFixed(1)} s)`);
  const plans = await explainTenantReads(db.appUrl, world.orgId);
  printPlans(size, plans);
  const tokens: string[] = [];
  for (let i = 0; i < connections; i++) tokens.push((await signIn(server.url, world.email, world.orgId, `scale ${size} ${i}`)).accessToken);
  return { size, db, server, world, tokens, rows, seedSeconds, plans, samples: {} };
}

/** Every size must read the same thing for the measured tenant, or the comparison means nothing. */
async function checkMeasuredTenant(run: SizeRun): Promise<void> {
  const res = await fetch(run.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${run.tokens[0]}` }, body: requestBody('projectsWithTasks') });
  const body = (await res.json()) as { data?: { projects: { edges: { node: { tasks: unknown[] } }[] } } };
  const edges = body.data?.projects.edges ?? [];
  const tasks = edges.reduce((n, e) => n + e.node.tasks.length, 0);
  if (edges.length !== PROJECTS || tasks !== PROJECTS * TASKS_PER_PROJECT) throw new Error(`bench: at ${run.size} tenants projectsWithTasks read ${edges.length} projects and ${tasks} tasks, not ${PROJECTS} and ${PROJECTS * TASKS_PER_PROJECT}`);
}

async function measureAll(runs: SizeRun[]): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const scenario of scenarios) {
      const order = runs.map((_, i) => runs[(i + round) % runs.length]!);
      for (const run of order) {
        if (round === 0 && warmup > 0) await measureScenario(run, scenario, warmup);
        const sample = await measureScenario(run, scenario, scenario === 'sqlProjectsWithTasks' ? sqlDuration : duration);
        (run.samples[scenario] ??= []).push(sample);
        log(`  round ${round + 1} ${scenario.padEnd(20)} ${String(run.size).padStart(5)} tenants ${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50Ms.toFixed(2)} ms  p99 ${sample.p99Ms.toFixed(2)} ms  load ${sample.loadAverage}${sample.failures ? `  FAILURES ${sample.failures}: ${sample.firstFailure}` : ''}`);
      }
    }
  }
}

function measureScenario(run: SizeRun, scenario: ScaleScenario, durationSeconds: number): Promise<Sample> {
  const { world } = run;
  const api = (body: string) => measureRequest(run.server.url, body, run.tokens, durationSeconds);
  switch (scenario) {
    case 'projectsWithTasks':
      return api(requestBody(scenario));
    case 'projectById':
      return api(requestBody(scenario, { id: world.projectId }));
    case 'createTask':
      // The sink project comes after the 20 listed ones: the added tasks never change what the reads read.
      return api(requestBody(scenario, { projectId: world.sinkProjectId, title: 'scale bench task' }));
    case 'sqlProjectsWithTasks':
      return timeTenantReads(run.db.appUrl, world.orgId, durationSeconds);
  }
}

await main();
