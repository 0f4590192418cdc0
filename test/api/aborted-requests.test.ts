/**
 * A client that hangs up mid-operation: the server still runs the operation to its end and only
 * then ends its transaction (src/api/http/app.ts endingItsTransaction). Ending it at the hang-up
 * gave the connection back to the pool under resolvers that were still sending statements: they
 * then ran outside any transaction, or inside another request's, and the pool filled with
 * connections left idle in a transaction until requests waited for one and answered 503.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, type Tenant } from '../support/tenants.ts';

let api: TestApi;
let tenant: Tenant;

before(async () => {
  api = await startTestApi();
  tenant = await createTenant(api, 'aborts');
  await api.db.sql(`insert into projects (org_id, id, name, created_at) select $1::uuid, gen_random_uuid(), 'p' || i, now() + i * interval '1 ms' from generate_series(1, 60) i`, [tenant.orgId]);
  await api.db.sql(`insert into tasks (org_id, id, project_id, title, created_at) select p.org_id, gen_random_uuid(), p.id, 't' || j, now() from projects p, generate_series(1, 20) j where p.org_id = $1::uuid`, [tenant.orgId]);
});
after(async () => {
  await api?.close();
});

const READ = `{ projects(first: 50) { edges { node { id name tasks(first: 20) { id title project { id name } } } } } }`;

async function send(query: string, abortAfterMs: number | null): Promise<'answered' | 'aborted'> {
  const controller = new AbortController();
  const timer = abortAfterMs === null ? null : setTimeout(() => controller.abort(), abortAfterMs);
  try {
    const res = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.token}` }, body: JSON.stringify({ query }), signal: controller.signal });
    await res.text();
    return 'answered';
  } catch {
    return 'aborted';
  } finally {
    if (timer) clearTimeout(timer);
  }
}

test('requests abandoned mid-operation leave no transaction open and every later request is answered', async () => {
  const outcomes = await Promise.all(Array.from({ length: 120 }, (_, i) => send(i % 2 ? READ : `mutation { createTask(projectId: "${tenant.projectId}", title: "aborted ${i}") { id project { tasks { id } } } }`, 1 + (i % 15))));
  assert.ok(outcomes.includes('aborted'), 'no request was abandoned: the test proves nothing');
  // The abandoned operations run to their end on the server.
  let open: { n: number }[] = [];
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    open = await api.db.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`);
    if (open[0]!.n === 0) break;
  }
  assert.equal(open[0]!.n, 0, 'connections left idle in a transaction');
  const answers = await Promise.all(Array.from({ length: 30 }, () => api.gql(READ, {}, tenant.token)));
  for (const a of answers) assert.equal(a.errors, undefined, JSON.stringify(a.errors));
  assert.equal(answers[0]!.data.projects.edges.length, 50);
});
