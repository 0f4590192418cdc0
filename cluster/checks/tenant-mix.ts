import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { SeededTenant } from '../lib/accounts.ts';
import type { Cluster } from '../lib/cluster.ts';
import type { ClusterDatabase } from '../lib/database.ts';
import { gql, type GqlResult } from '../lib/graphql.ts';
import type { Instance } from '../lib/instances.ts';

type Operation = 'projects' | 'project' | 'foreignProject' | 'createTask';

const PROJECT = `query($id: ID!) { project(id: $id) { id name tasks { id title } } }`;
const QUERIES: Readonly<Record<Operation, string>> = {
  projects: `{ projects(first: 20) { edges { node { id name tasks { id title } } } } }`,
  project: PROJECT,
  foreignProject: PROJECT, // another tenant's project id: must read as null
  createTask: `mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id title project { id name } } }`,
};
const MIX: readonly (readonly [Operation, number])[] = [['projects', 0.35], ['project', 0.25], ['foreignProject', 0.1], ['createTask', 0.3]];

interface Planned {
  readonly index: number;
  readonly tenant: number;
  readonly instance: Instance;
  readonly op: Operation;
  readonly variables: Record<string, string>;
}

export interface MixFigures {
  readonly requests: number;
  readonly perInstance: readonly number[];
  readonly perOperation: Readonly<Record<Operation, number>>;
  readonly durationMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** createTask results, each then found stored in its own tenant and nowhere else. */
  readonly tasksCreated: number;
}

/**
 * `requests` requests of every tenant in `tenants`, interleaved at random (seeded: reproducible) over
 * the instances, `concurrency` at a time. Each response must be exactly right for its tenant and
 * carry no other tenant's marker or id; afterwards the stored rows must agree.
 */
export async function runTenantMix(cluster: Cluster, tenants: readonly SeededTenant[], opts: { requests: number; concurrency: number; seed: number }): Promise<MixFigures> {
  const plan = planRequests(cluster.instances, tenants, opts.requests, opts.seed);
  const foreign = tenants.map((_, t) => tenants.flatMap((other, o) => (o === t ? [] : [other.marker, other.orgId, other.userId, ...other.projects.map((p) => p.id)])));
  const created = tenants.map(() => [] as string[]);
  const problems: string[] = [];
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let p = plan[next++]; p; p = plan[next++]) {
      const t0 = performance.now();
      const r = await gql(p.instance.url, QUERIES[p.op], p.variables, tenants[p.tenant]!.token);
      latencies.push(performance.now() - t0);
      const leaked = foreign[p.tenant]!.find((value) => r.body.includes(value));
      const problem = leaked ? `carries another tenant's ${leaked}` : checkResponse(p, tenants[p.tenant]!, r);
      if (problem) problems.push(`#${p.index} ${p.op} of tenant ${p.tenant} on ${p.instance.name}: ${problem} in ${r.body.slice(0, 300)}`);
      else if (p.op === 'createTask') created[p.tenant]!.push(r.data.createTask.id);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const durationMs = performance.now() - started;
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} of ${plan.length} responses were wrong`);
  await verifyStored(cluster.database, tenants, created);

  latencies.sort((a, b) => a - b);
  const count = <K>(key: (p: Planned) => K, keys: readonly K[]) => keys.map((k) => plan.filter((p) => key(p) === k).length);
  const ops = MIX.map(([op]) => op);
  return {
    requests: plan.length,
    perInstance: count((p) => p.instance, cluster.instances),
    perOperation: Object.fromEntries(ops.map((op, i) => [op, count((p) => p.op, ops)[i]!])) as Record<Operation, number>,
    durationMs,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)]!,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
    tasksCreated: created.flat().length,
  };
}

function planRequests(instances: readonly Instance[], tenants: readonly SeededTenant[], requests: number, seed: number): Planned[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: requests }, (_, index) => {
    const tenant = Math.floor(random() * tenants.length);
    const own = tenants[tenant]!;
    let roll = random();
    const op = MIX.find(([, weight]) => (roll -= weight) < 0)?.[0] ?? 'projects';
    const otherTenant = tenants[(tenant + 1 + Math.floor(random() * (tenants.length - 1))) % tenants.length]!;
    const variables: Record<string, string> =
      op === 'project' ? { id: pick(own.projects).id }
      : op === 'foreignProject' ? { id: pick(otherTenant.projects).id }
      : op === 'createTask' ? { p: pick(own.projects).id, t: `load ${index} ${own.marker}` }
      : {};
    return { index, tenant, instance: instances[index % instances.length]!, op, variables };
  });
}

/** What is wrong with `r` for `p` of `tenant`, or null when it is exactly right. */
function checkResponse(p: Planned, tenant: SeededTenant, r: GqlResult): string | null {
  if (r.status !== 200 || r.errors || !r.data) return `HTTP ${r.status}, errors`;
  const ownTasks = (tasks: { title: string }[]) => tasks.every((t) => t.title.includes(tenant.marker));
  const sameProject = (got: { id: string; name: string } | null, id: string | undefined) => got != null && got.id === id && got.name === tenant.projects.find((x) => x.id === id)?.name;
  switch (p.op) {
    case 'projects': {
      const nodes = r.data.projects.edges.map((e: { node: any }) => e.node);
      const ids = nodes.map((n: { id: string }) => n.id).sort().join();
      if (ids !== tenant.projects.map((x) => x.id).sort().join()) return 'not exactly its projects';
      return nodes.every((n: any) => sameProject(n, n.id) && ownTasks(n.tasks)) ? null : 'a name or task title that is not its own';
    }
    case 'project':
      return sameProject(r.data.project, p.variables.id) && ownTasks(r.data.project.tasks) ? null : 'not its project';
    case 'foreignProject':
      return r.data.project === null ? null : "read another tenant's project";
    case 'createTask': {
      const task = r.data.createTask;
      return task.title === p.variables.t && sameProject(task.project, p.variables.p) ? null : 'the task is not the one created';
    }
  }
}

/** Every created task is stored in its own tenant only, and no row of one tenant carries another's marker. */
async function verifyStored(db: ClusterDatabase, tenants: readonly SeededTenant[], created: readonly string[][]): Promise<void> {
  const rows = await db.sql<{ id: string; org_id: string; title: string }>(`select id, org_id, title from tasks where id = any($1::uuid[])`, [created.flat()]);
  assert.equal(rows.length, created.flat().length, 'an acknowledged createTask is not stored');
  const owner = new Map(created.flatMap((ids, t) => ids.map((id) => [id, tenants[t]!] as const)));
  for (const row of rows) assert.ok(owner.get(row.id)?.orgId === row.org_id && row.title.includes(owner.get(row.id)!.marker), `task ${row.id} stored in org ${row.org_id}`);
  const [misplaced] = await db.sql<{ n: number }>(
    `select count(*)::int as n from (select org_id, title as text from tasks union all select org_id, name from projects) r
       join unnest($1::uuid[], $2::text[]) as t(org_id, marker) on r.text like '%' || t.marker || '%' and r.org_id <> t.org_id`,
    [tenants.map((t) => t.orgId), tenants.map((t) => t.marker)],
  );
  assert.equal(misplaced!.n, 0, "rows carrying one tenant's marker are stored in another tenant");
}

/** A small seeded PRNG (reproducible plans). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
