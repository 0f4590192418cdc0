import pg from 'pg';

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the measured reads, run as the API's confined role in a transaction
 * that set `app.org_id` as the API does, so the plans include the RLS policy exactly as production
 * runs it. The statements are the ones MikroORM sends for `projects(first: 20) { ... tasks }` (literal
 * values inlined, as the ORM does; captured from the real server): the projects page, then the
 * DataLoader's batch of tasks for the 20 projects on it.
 */
export type PlannedQuery = 'projects' | 'tasksOfProjects';

export interface PlanCheck {
  /** Indexes the plan reads, with each one's leading column. */
  readonly indexes: { name: string; leadingColumn: string }[];
  readonly seqScans: string[];
  /** InitPlans and the times each ran (1 = once per statement). */
  readonly initPlans: { name: string; loops: number }[];
  /**
   * Gating conditions evaluated once per statement. With the ORM's own `org_id = '<org>'` next to the
   * policy's `org_id = $0`, PostgreSQL derives `$0 = '<org>'` and checks the policy here, once.
   */
  readonly oneTimeFilters: string[];
  /** Per-row evaluation of the tenant setting: SubPlans, or current_setting() in a filter or condition. */
  readonly perRowSetting: string[];
  readonly ok: boolean;
  readonly problems: string[];
}

export interface TenantPlan {
  readonly sql: string;
  readonly text: string;
  readonly check: PlanCheck;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

const lit = (value: string) => pg.escapeLiteral(value);
export const projectsSql = (orgId: string) => `select "p0".* from "projects" as "p0" where "p0"."org_id" = ${lit(orgId)} order by "p0"."created_at" asc, "p0"."id" asc limit 21`;
export const tasksSql = (orgId: string, projectIds: string[]) =>
  `select "t0".* from "tasks" as "t0" where "t0"."org_id" = ${lit(orgId)} and "t0"."project_id" in (${projectIds.map(lit).join(', ')}) order by "t0"."created_at" asc, "t0"."id" asc`;

/** Plans of the two reads for `orgId`, as `appUrl`'s role. Raises when the tenant has no projects. */
export async function explainTenantReads(appUrl: string, orgId: string): Promise<Record<PlannedQuery, TenantPlan>> {
  const client = new pg.Client({ connectionString: appUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('app.org_id', $1, true)`, [orgId]);
    const page = await client.query<{ id: string }>(projectsSql(orgId));
    if (page.rows.length === 0) throw new Error(`bench: tenant ${orgId} has no projects visible to the app role`);
    // The connection returns the first 20 of the 21 (the 21st only says there is a next page).
    const projectIds = page.rows.slice(0, 20).map((r) => r.id);
    const plans = {
      projects: await explain(client, projectsSql(orgId)),
      tasksOfProjects: await explain(client, tasksSql(orgId, projectIds)),
    };
    await client.query('rollback');
    return plans;
  } finally {
    await client.end();
  }
}

async function explain(client: pg.Client, sql: string): Promise<TenantPlan> {
  await client.query(sql); // warm: the plan should show the steady state, not the first read from disk
  const text = (await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, format text) ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
  const json = (await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`explain (analyze, buffers, format json) ${sql}`)).rows[0]!['QUERY PLAN'][0].Plan;
  return { sql, text, check: await checkPlan(client, json) };
}

/**
 * docs/ARCHITECTURE.md "Data rules": every index on a tenant table leads with org_id, and the policy's
 * sub-select is evaluated once per statement (an InitPlan run once), never per row.
 */
async function checkPlan(client: pg.Client, root: PlanNode): Promise<PlanCheck> {
  const nodes = flatten(root);
  const names = [...new Set(nodes.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : [])))];
  const { rows } = await client.query<{ name: string; leading_column: string }>(
    `select c.relname as name, a.attname as leading_column
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
      where c.relname = any($1::text[])`,
    [names],
  );
  const indexes = names.map((name) => ({ name, leadingColumn: rows.find((r) => r.name === name)?.leading_column ?? '(expression)' }));
  const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'] ?? '?');
  const initPlans = nodes.filter((n) => n['Parent Relationship'] === 'InitPlan').map((n) => ({ name: n['Subplan Name'] ?? 'InitPlan', loops: n['Actual Loops'] ?? 0 }));
  const oneTimeFilters = nodes.flatMap((n) => (n['One-Time Filter'] ? [String(n['One-Time Filter'])] : []));
  const perRowSetting = [
    ...nodes.filter((n) => n['Parent Relationship'] === 'SubPlan').map((n) => `${n['Subplan Name'] ?? 'SubPlan'} (a SubPlan runs per row)`),
    ...nodes.flatMap((n) => ['Filter', 'Index Cond', 'Recheck Cond', 'Join Filter'].filter((k) => String(n[k] ?? '').includes('current_setting')).map((k) => `${n['Node Type']} ${k}: ${String(n[k])}`)),
  ];
  const problems = [
    ...(indexes.length === 0 ? ['no index scan'] : []),
    ...indexes.filter((i) => i.leadingColumn !== 'org_id').map((i) => `index ${i.name} leads with ${i.leadingColumn}, not org_id`),
    ...seqScans.map((t) => `sequential scan on ${t}`),
    ...(initPlans.length === 0 ? ['no InitPlan: the RLS sub-select is not evaluated once per statement'] : []),
    ...initPlans.filter((p) => p.loops !== 1).map((p) => `${p.name} ran ${p.loops} times`),
    ...perRowSetting,
  ];
  return { indexes, seqScans, initPlans, oneTimeFilters, perRowSetting, ok: problems.length === 0, problems };
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
