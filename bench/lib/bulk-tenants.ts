import cliProgress from 'cli-progress';
import pg from 'pg';

/**
 * Bulk tenants for `npm run bench:scale`: organizations, projects and tasks written by the owner
 * (a superuser: RLS does not apply) with `insert ... select from generate_series`, one statement per
 * batch, never through the API. They have no members: nobody signs in to them; they exist so that the
 * measured tenant shares its tables, indexes and statistics with many others.
 */
export interface BulkPlan {
  /** Organizations to add. */
  readonly tenants: number;
  /** Tasks to add, spread evenly over the tenants' projects. */
  readonly tasks: number;
  /** Tasks per project (the last project may hold fewer). */
  readonly tasksPerProject: number;
}

export interface BulkSeedResult {
  readonly rows: { organizations: number; projects: number; tasks: number };
  /** Seconds per table. */
  readonly seconds: { organizations: number; projects: number; tasks: number };
}

const BATCH_ROWS = 50_000;
const EPOCH = `timestamptz '2026-01-01T00:00:00Z'`;

/*
 * Row n of each table is a pure function of n, so batches need no lookups: project j belongs to
 * tenant j % tenants (round-robin, so tenants differ by at most one project), task t to project
 * floor(t / tasksPerProject). Tenant and project ids are md5-derived UUIDs so a later batch can name
 * them; task ids are random, as the API's are. Consecutive rows belong to different tenants, so each
 * tenant's rows are spread over the whole heap, as they are after months of mixed traffic.
 */
const INSERT = {
  organizations: `insert into organizations (id, name, tier, created_at)
    select md5('scale-org-' || b)::uuid, 'bulk tenant ' || b, 'STANDARD', ${EPOCH} + b * interval '1 second'
      from generate_series($1::int, $2::int) b`,
  projects: `insert into projects (org_id, id, name, created_at)
    select md5('scale-org-' || (j % $3::int))::uuid, md5('scale-project-' || j)::uuid, 'project ' || j, ${EPOCH} + j * interval '1 second'
      from generate_series($1::int, $2::int) j`,
  tasks: `insert into tasks (org_id, id, project_id, title, done, created_at)
    select md5('scale-org-' || ((t / $4::int) % $3::int))::uuid, gen_random_uuid(), md5('scale-project-' || (t / $4::int))::uuid,
           'task ' || t, t % 3 = 0, ${EPOCH} + t * interval '1 second'
      from generate_series($1::int, $2::int) t`,
} as const;

/** Adds `plan`'s rows, batch by batch, with a progress bar on stderr. Raises pg errors as they come. */
export async function seedBulkTenants(ownerUrl: string, plan: BulkPlan, label: string): Promise<BulkSeedResult> {
  if (plan.tenants < 1 || plan.tasks < 0) throw new TypeError(`bench: bulk plan needs at least one tenant, got ${JSON.stringify(plan)}`);
  const projects = Math.ceil(plan.tasks / plan.tasksPerProject);
  const rows = { organizations: plan.tenants, projects, tasks: plan.tasks };
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${label} |{bar}| {percentage}% {value}/{total} rows, now {table} | {duration_formatted}, eta {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true, // still report (every few seconds) when stderr is a log file
      notTTYSchedule: 5000,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  bar.start(rows.organizations + rows.projects + rows.tasks, 0, { table: 'organizations' });
  try {
    // One commit per batch, nothing to lose on a crash that a rerun would not redo anyway.
    await client.query('set synchronous_commit = off');
    const seconds = { organizations: 0, projects: 0, tasks: 0 };
    for (const table of ['organizations', 'projects', 'tasks'] as const) {
      const started = performance.now();
      for (let lo = 0; lo < rows[table]; lo += BATCH_ROWS) {
        const hi = Math.min(lo + BATCH_ROWS, rows[table]) - 1;
        bar.update({ table });
        await client.query(INSERT[table], table === 'organizations' ? [lo, hi] : table === 'projects' ? [lo, hi, plan.tenants] : [lo, hi, plan.tenants, plan.tasksPerProject]);
        bar.increment(hi - lo + 1);
      }
      seconds[table] = (performance.now() - started) / 1000;
    }
    return { rows, seconds };
  } finally {
    bar.stop();
    await client.end();
  }
}

/**
 * After a bulk load: VACUUM (ANALYZE) so the planner sees the real distribution and autovacuum has
 * nothing left to do while latencies are measured, then CHECKPOINT so the load's dirty pages are not
 * written out under the measurement either. Returns the seconds it took.
 */
export async function settleAfterBulkLoad(ownerUrl: string): Promise<number> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('vacuum (analyze) organizations, memberships, projects, tasks');
    await client.query('checkpoint');
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

export interface TableCounts {
  readonly organizations: number;
  readonly projects: number;
  readonly tasks: number;
  readonly measuredTenant: { projects: number; tasks: number };
}

/** Counts rows (as the owner, across all tenants), and the measured tenant's own rows. */
export async function countRows(ownerUrl: string, measuredOrgId: string): Promise<TableCounts> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Record<'organizations' | 'projects' | 'tasks' | 'own_projects' | 'own_tasks', string>>(
      `select (select count(*) from organizations) as organizations, (select count(*) from projects) as projects, (select count(*) from tasks) as tasks,
              (select count(*) from projects where org_id = $1) as own_projects, (select count(*) from tasks where org_id = $1) as own_tasks`,
      [measuredOrgId],
    );
    const r = rows[0]!;
    return { organizations: Number(r.organizations), projects: Number(r.projects), tasks: Number(r.tasks), measuredTenant: { projects: Number(r.own_projects), tasks: Number(r.own_tasks) } };
  } finally {
    await client.end();
  }
}
