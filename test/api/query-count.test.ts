/**
 * No N+1 on the project/task graph: the number of SQL statements one GraphQL request sends does not
 * grow with the number of projects on the page, nor with the number of tasks per project, because
 * Project.tasks and Task.project go through per-request DataLoaders (src/platform/loaders.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { StatementRecorder } from '../support/statements.ts';
import { createOrganization, createTenant, PASSWORD, type Tenant } from '../support/tenants.ts';

/**
 * What one read of a signed-in tenant costs, in order:
 *   1. BEGIN;                        (RequestTransaction.begin, through knex's transaction)
 *   2. select set_config(...)        (setTenant: RLS org and user)
 *   3. select ... device_sessions    (loadLiveState: session, membership, tier, key)
 *   4. select ... from "projects"    (listProjects, or projectById for project(id)), with the tenant predicate
 *   5. select ... from "tasks"       (tasksOfProject: one LATERAL batch for every project), with the tenant predicate
 *   6. COMMIT;                       (RequestTransaction.finish)
 * Task.project adds nothing: projectById was primed (projects) or already holds the project (project(id)).
 */
const STATEMENTS_PER_READ = 6;
const EXPECTED_SHAPE = [/^begin/i, /set_config\('app\.org_id'/, /from device_sessions/, /from "projects" where org_id = \$1/, /from "tasks" where org_id = \$2/, /^commit/i];

const PROJECTS = `query($first: Int) { projects(first: $first) { edges { node { id name tasks { id title done } } } } }`;
const PROJECT_TASKS = `query($id: ID!) { project(id: $id) { id tasks { id project { id } } } }`;

let api: TestApi;
let recorder: StatementRecorder;

before(async () => {
  api = await startTestApi();
  recorder = new StatementRecorder(api.server.services.orm);
});
after(async () => {
  recorder?.detach();
  await api?.close();
});

/** A tenant whose only data is `projects` projects of `tasksEach` tasks each (seeded as the owner). */
async function tenantWith(label: string, projects: number, tasksEach: number): Promise<Tenant> {
  const tenant = await createTenant(api, label);
  await api.db.sql(`delete from projects where org_id = $1`, [tenant.orgId]);
  await api.db.sql(
    `insert into projects (org_id, id, name, created_at)
     select $1::uuid, gen_random_uuid(), 'project ' || i, now() + i * interval '1 ms' from generate_series(1, $2::int) i`,
    [tenant.orgId, projects],
  );
  await api.db.sql(
    `insert into tasks (org_id, id, project_id, title, created_at)
     select p.org_id, gen_random_uuid(), p.id, 'task ' || j, now() + j * interval '1 ms'
       from projects p, generate_series(1, $2::int) j where p.org_id = $1::uuid`,
    [tenant.orgId, tasksEach],
  );
  return tenant;
}

/** Runs one request, asserts it succeeded, and returns its data and the statements it sent. */
async function measure(t: TestContext, label: string, query: string, variables: Record<string, unknown>, token: string) {
  const { result, statements } = await recorder.record((): Promise<GqlResult> => api.gql(query, variables, token));
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  // A recorder that sees nothing would make every count equal: refuse to pass on that.
  assert.ok(statements.length > 0, `${label}: no SQL statement was observed; the recorder is not attached to the server's pool`);
  t.diagnostic(`${label}: ${statements.length} statements`);
  return { data: result.data, statements };
}

function listStatements(statements: string[]): string[] {
  return statements.map((s, i) => `  ${i + 1}. ${s.replace(/\s+/g, ' ').slice(0, 110)}`);
}

function describeStatements(statements: string[]): string {
  return listStatements(statements).join('\n');
}

function printStatements(t: TestContext, label: string, statements: string[]): void {
  t.diagnostic(`${label}:`);
  for (const line of listStatements(statements)) t.diagnostic(line);
}

function assertConstant(counts: Map<string, string[]>): void {
  for (const [label, statements] of counts) {
    assert.equal(
      statements.length,
      STATEMENTS_PER_READ,
      `${label} sent ${statements.length} statements, expected ${STATEMENTS_PER_READ} (N+1?):\n${describeStatements(statements)}`,
    );
    EXPECTED_SHAPE.forEach((shape, i) => assert.match(statements[i] ?? '', shape, `${label}, statement ${i + 1}:\n${describeStatements(statements)}`));
  }
}

describe('projects { tasks } costs the same whatever the page holds', () => {
  test('N = 1, 5 and 20 projects of 3 tasks each', async (t) => {
    const tenant = await tenantWith('pages', 20, 3);
    const counts = new Map<string, string[]>();
    for (const first of [1, 5, 20]) {
      const { data, statements } = await measure(t, `projects(first: ${first})`, PROJECTS, { first }, tenant.token);
      assert.equal(data.projects.edges.length, first);
      for (const { node } of data.projects.edges) assert.equal(node.tasks.length, 3);
      counts.set(`projects(first: ${first})`, statements);
    }
    printStatements(t, 'projects(first: 20) sent', counts.get('projects(first: 20)')!);
    assertConstant(counts);
  });

  test('10 projects of 0 tasks and 10 projects of 10 tasks', async (t) => {
    const counts = new Map<string, string[]>();
    for (const tasksEach of [0, 10]) {
      const tenant = await tenantWith(`tasks${tasksEach}`, 10, tasksEach);
      const { data, statements } = await measure(t, `10 projects × ${tasksEach} tasks`, PROJECTS, { first: 10 }, tenant.token);
      assert.equal(data.projects.edges.length, 10);
      for (const { node } of data.projects.edges) assert.equal(node.tasks.length, tasksEach);
      counts.set(`10 projects × ${tasksEach} tasks`, statements);
    }
    assertConstant(counts);
  });
});

describe('project(id) { tasks { project } } costs the same whatever the task count', () => {
  test('a project of 1, 3 and 10 tasks', async (t) => {
    const counts = new Map<string, string[]>();
    for (const tasksEach of [1, 3, 10]) {
      const tenant = await tenantWith(`one${tasksEach}`, 1, tasksEach);
      const [row] = await api.db.sql<{ id: string }>(`select id from projects where org_id = $1`, [tenant.orgId]);
      const { data, statements } = await measure(t, `project with ${tasksEach} tasks`, PROJECT_TASKS, { id: row!.id }, tenant.token);
      assert.equal(data.project.tasks.length, tasksEach);
      for (const task of data.project.tasks) assert.equal(task.project.id, row!.id);
      counts.set(`project with ${tasksEach} tasks`, statements);
    }
    printStatements(t, 'project with 10 tasks sent', counts.get('project with 10 tasks')!);
    assertConstant(counts);
  });
});

describe('a heavier read, three levels deep, still costs one statement per level', () => {
  test('50 projects × 20 tasks, each task back to its project', async (t) => {
    const tenant = await tenantWith('heavy', 50, 20);
    const query = `{ projects(first: 50) { edges { node { id tasks(first: 20) { id project { id name } } } } } }`;
    const { data, statements } = await measure(t, '50 × 20 × project', query, {}, tenant.token);
    assert.equal(data.projects.edges.length, 50);
    for (const { node } of data.projects.edges) {
      assert.equal(node.tasks.length, 20);
      for (const task of node.tasks) assert.equal(task.project.id, node.id);
    }
    assertConstant(new Map([['50 × 20 × project', statements]]));
  });
});

describe('a refresh is at most 8 statements', () => {
  /** The rotation (src/modules/sessions/rotation.queries.ts) on the request's connection, the successor's write entering the org the payload's nested fields read in; the two rate-limit counters go to the side pool. */
  const REFRESH_SHAPE = [/^begin/i, /^with retired as \( update refresh_tokens .* where token_hash = \$1 and rotated_at is null/, /set_config\('app\.org_id'/, /from organizations o join memberships m/, /^with live as \( update device_sessions .* insert into refresh_tokens .* returning id, set_config\('app\.org_id'/, /^commit/i];

  test('six on the request transaction, two on the rate limiter\'s side pool', async (t) => {
    const tenant = await createTenant(api, 'refresh');
    const signedIn = await api.gql(`mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: "d", organizationId: $o) { refreshToken } }`, { e: tenant.email, p: PASSWORD, o: tenant.orgId });
    let refreshToken: string = signedIn.data.signIn.refreshToken;
    const side = api.server.services.side as unknown as { query: (...a: unknown[]) => Promise<unknown>; execute: (...a: unknown[]) => Promise<unknown> };
    const sideStatements: string[] = [];
    const [query, execute] = [side.query.bind(side), side.execute.bind(side)];
    side.query = (text: unknown, ...rest: unknown[]) => (sideStatements.push(String(text)), query(text, ...rest));
    side.execute = (text: unknown, ...rest: unknown[]) => (sideStatements.push(String(text)), execute(text, ...rest));
    try {
      for (let i = 0; i < 3; i++) {
        sideStatements.length = 0;
        const { result, statements } = await recorder.record((): Promise<GqlResult> => api.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken activeOrganization { id } } }`, { r: refreshToken }));
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        assert.equal(result.data.refreshSession.activeOrganization.id, tenant.orgId);
        refreshToken = result.data.refreshSession.refreshToken;
        t.diagnostic(`refresh ${i + 1}: ${statements.length} + ${sideStatements.length} statements`);
        assert.equal(statements.length, REFRESH_SHAPE.length, describeStatements(statements));
        REFRESH_SHAPE.forEach((shape, n) => assert.match(statements[n]!.replace(/\s+/g, ' '), shape, describeStatements(statements)));
        assert.equal(sideStatements.length, 2, sideStatements.join('\n'));
        assert.ok(statements.length + sideStatements.length <= 8);
      }
    } finally {
      side.query = query;
      side.execute = execute;
    }
  });
});

describe('a switch is at most 8 statements', () => {
  /** The switch (src/modules/sessions/switch.ts, rotation.queries.ts): the scope, one locked read, one write that enters the target org, the audit event. */
  const SWITCH_SHAPE = [
    /^begin/i,
    /set_config\('app\.org_id'/,
    /from device_sessions/,
    /from device_sessions s join users u .* for update of s/,
    /^with retired as \( update refresh_tokens .* insert into refresh_tokens .* returning id, set_config\('app\.org_id'/,
    /^insert into security_events/,
    /^commit/i,
  ];

  test('seven, back and forth between two orgs, the payload readable in the org entered', async (t) => {
    const tenant = await createTenant(api, 'switch');
    const other = await createOrganization(api, tenant.token);
    let token = tenant.token;
    for (const [i, target] of [other, tenant.orgId, other].entries()) {
      const { result, statements } = await recorder.record((): Promise<GqlResult> =>
        api.gql(`mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken activeOrganization { id } } }`, { o: target }, token),
      );
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      assert.equal(result.data.switchOrganization.activeOrganization.id, target);
      token = result.data.switchOrganization.accessToken;
      t.diagnostic(`switch ${i + 1}: ${statements.length} statements`);
      assert.equal(statements.length, SWITCH_SHAPE.length, describeStatements(statements));
      SWITCH_SHAPE.forEach((shape, n) => assert.match(statements[n]!.replace(/\s+/g, ' '), shape, describeStatements(statements)));
      const members = await api.gql(`{ projects { edges { node { id } } } }`, {}, token);
      assert.equal(members.errors, undefined, JSON.stringify(members.errors));
    }
  });
});

describe('createTask costs six statements', () => {
  test('BEGIN, tenant, live check, the project, the insert, COMMIT', async (t) => {
    const tenant = await createTenant(api, 'create');
    const { statements } = await measure(t, 'createTask', `mutation($p: ID!) { createTask(projectId: $p, title: "x") { id title done } }`, { p: tenant.projectId }, tenant.token);
    assert.equal(statements.length, 6, describeStatements(statements));
  });
});
