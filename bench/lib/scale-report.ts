import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import type { TableCounts } from './bulk-tenants.ts';
import type { BenchDatabase } from './database.ts';
import { median, round2, type Sample } from './load.ts';
import type { BenchServer } from './processes.ts';
import type { BenchWorld } from './seed.ts';
import type { PlannedQuery, TenantPlan } from './tenant-plans.ts';

/** Issue 8: p99 at the largest size within this factor of p99 at the smallest. */
export const P99_TARGET_RATIO = 1.2;

/** The API operations of bench/lib/operations.ts, and the SQL of projectsWithTasks alone (bench/lib/sql-reads.ts). */
export const SCALE_SCENARIOS = ['projectsWithTasks', 'projectById', 'createTask', 'sqlProjectsWithTasks'] as const;
export type ScaleScenario = (typeof SCALE_SCENARIOS)[number];

/** One size of `npm run bench:scale`, seeded and served. */
export interface SizeRun {
  readonly size: number;
  readonly db: BenchDatabase;
  readonly server: BenchServer;
  readonly world: BenchWorld;
  /** One signed-in device session of the measured tenant per connection. */
  readonly tokens: string[];
  readonly rows: TableCounts;
  /** Seconds: a fresh migrated database and its API child; seedWorld through the API; bulk rows per table; VACUUM + CHECKPOINT. */
  readonly seedSeconds: { provision: number; api: number; organizations: number; projects: number; tasks: number; vacuumAnalyze: number; total: number };
  readonly plans: Record<PlannedQuery, TenantPlan>;
  readonly samples: Partial<Record<ScaleScenario, Sample[]>>;
}

type Summary = { rps: number; p50Ms: number; p99Ms: number; rounds: Sample[] };
/**
 * Largest size over smallest. `p99` (of the medians over rounds) decides the target; `p99ByRound`
 * pairs the sizes measured back to back in each round, and its spread shows how much of `p99` is noise.
 */
type Ratio = { p99: number; p50: number; rps: number; withinTarget: boolean; p99ByRound: number[] };

/** The JSON written to bench/scale-results.json: per size rows, seed times, summaries and plans; ratios largest/smallest. */
export function buildResults(input: { machine: string; method: Record<string, unknown>; design: Record<string, unknown>; runs: SizeRun[]; scenarios: readonly ScaleScenario[] }) {
  const { runs, scenarios } = input;
  const summaries = runs.map((run) => Object.fromEntries(scenarios.map((s) => [s, summarise(run.samples[s] ?? [])])) as Record<ScaleScenario, Summary>);
  const first = summaries[0]!;
  const last = summaries[summaries.length - 1]!;
  const ratios = Object.fromEntries(
    scenarios.map((s) => {
      const p99 = round2(last[s].p99Ms / first[s].p99Ms);
      const p99ByRound = first[s].rounds.map((sample, i) => round2((last[s].rounds[i]?.p99Ms ?? Number.NaN) / sample.p99Ms));
      return [s, { p99, p50: round2(last[s].p50Ms / first[s].p50Ms), rps: round2(last[s].rps / first[s].rps), withinTarget: p99 <= P99_TARGET_RATIO, p99ByRound } satisfies Ratio];
    }),
  ) as Record<ScaleScenario, Ratio>;
  return {
    machine: input.machine,
    date: new Date().toISOString(),
    method: input.method,
    design: input.design,
    target: { statistic: 'p99', compares: `${runs[runs.length - 1]!.size} tenants vs ${runs[0]!.size} tenants`, maxRatio: P99_TARGET_RATIO },
    sizes: runs.map((run, i) => ({
      tenants: run.size,
      rows: run.rows,
      seedSeconds: Object.fromEntries(Object.entries(run.seedSeconds).map(([k, v]) => [k, round2(v)])),
      scenarios: summaries[i]!,
      plans: run.plans,
    })),
    ratios,
  };
}
export type ScaleResults = ReturnType<typeof buildResults>;

function summarise(samples: Sample[]): Summary {
  return { rps: round2(median(samples.map((s) => s.rps))), p50Ms: round2(median(samples.map((s) => s.p50Ms))), p99Ms: round2(median(samples.map((s) => s.p99Ms))), rounds: samples };
}

/** Seeding, latency table with the ratios against the target, and the plan checks, on stdout. */
export function printSummary(results: ScaleResults): void {
  const sizes = results.sizes;
  const scenarios = Object.keys(results.ratios) as ScaleScenario[];
  const lines = [
    '',
    `${'tenants'.padStart(7)} ${'orgs'.padStart(6)} ${'projects'.padStart(8)} ${'tasks'.padStart(8)}   seed s: ${'db'.padStart(5)} ${'api'.padStart(5)} ${'orgs'.padStart(5)} ${'projs'.padStart(5)} ${'tasks'.padStart(6)} ${'vacuum'.padStart(6)} ${'total'.padStart(6)}`,
    ...sizes.map((s) => {
      const t = s.seedSeconds as Record<string, number>;
      const n = (v: number | undefined, w: number) => (v ?? 0).toFixed(1).padStart(w);
      return `${String(s.tenants).padStart(7)} ${String(s.rows.organizations).padStart(6)} ${String(s.rows.projects).padStart(8)} ${String(s.rows.tasks).padStart(8)}           ${n(t.provision, 5)} ${n(t.api, 5)} ${n(t.organizations, 5)} ${n(t.projects, 5)} ${n(t.tasks, 6)} ${n(t.vacuumAnalyze, 6)} ${n(t.total, 6)}`;
    }),
    '',
    `${'scenario'.padEnd(20)} ${'tenants'.padStart(7)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
    ...scenarios.flatMap((scenario) => {
      const r = results.ratios[scenario];
      return [
        ...sizes.map((s, i) => {
          const m = s.scenarios[scenario];
          return `${(i === 0 ? scenario : '').padEnd(20)} ${String(s.tenants).padStart(7)} ${m.rps.toFixed(0).padStart(7)} ${m.p50Ms.toFixed(2).padStart(8)} ${m.p99Ms.toFixed(2).padStart(8)}`;
        }),
        `${''.padEnd(20)} ${results.target.compares}: p99 ×${r.p99.toFixed(2)} (target ≤ ×${P99_TARGET_RATIO}: ${r.withinTarget ? 'met' : 'MISSED'}), p50 ×${r.p50.toFixed(2)}, req/s ×${r.rps.toFixed(2)}`,
        `${''.padEnd(20)} p99 ratio round by round: ${r.p99ByRound.map((x) => x.toFixed(2)).join(' ')}`,
      ];
    }),
    '',
    ...sizes.flatMap((s) =>
      Object.entries(s.plans).map(([query, plan]) => {
        const c = plan.check;
        const once = c.oneTimeFilters.length ? '; policy compared in a One-Time Filter' : '';
        const detail = `${c.indexes.map((i) => `${i.name}(${i.leadingColumn}, …)`).join(' ')}; ${c.initPlans.map((p) => `${p.name} ×${p.loops}`).join(', ') || 'no InitPlan'}${once}`;
        return `plan ${String(s.tenants).padStart(5)} tenants ${query.padEnd(16)} ${c.ok ? 'ok  ' : 'FAIL'} ${detail}${c.problems.length ? ` — ${c.problems.join('; ')}` : ''}`;
      }),
    ),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** The EXPLAIN output of one size, on stderr, as it is produced. */
export function printPlans(size: number, plans: Record<PlannedQuery, TenantPlan>): void {
  for (const [query, plan] of Object.entries(plans)) {
    process.stderr.write(`\n--- EXPLAIN (ANALYZE, BUFFERS) ${query} at ${size} tenants, as orgbound_app with app.org_id set: ${plan.check.ok ? 'ok' : `FAIL: ${plan.check.problems.join('; ')}`}\n${plan.sql}\n${plan.text}\n`);
  }
}

export async function describeMachine(ownerUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string; shared_buffers: string }>(`select current_setting('server_version') as server_version, current_setting('shared_buffers') as shared_buffers`);
    const cpu = cpus();
    return `${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${rows[0]?.server_version} (shared_buffers ${rows[0]?.shared_buffers})${process.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded)'}`;
  } finally {
    await client.end();
  }
}
