import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorCode, startTestApi, type TestApi } from '../support/harness.ts';
import { snapshotTenant, tenantTables, type TenantSnapshot } from '../support/snapshot.ts';
import { createTenant, signIn, signUp, type Tenant } from '../support/tenants.ts';

let api: TestApi;
let a: Tenant;
let b: Tenant;
let bBefore: TenantSnapshot;

before(async () => {
  api = await startTestApi();
  a = await createTenant(api, 'a');
  b = await createTenant(api, 'b');
  bBefore = await snapshotTenant(api.db, b.orgId);
});
after(async () => {
  await api?.close();
});

/** Everything that would identify tenant B in a response: its ids and its unique marker. */
const secretsOfB = () => [b.orgId, b.userId, b.projectId, b.taskId, b.marker];

/** POST /graphql returning the raw body text, so a leak anywhere in it (errors included) is seen. */
async function rawGql(query: string, variables: Record<string, unknown>, token: string, headers: Record<string, string> = {}, search = '') {
  const res = await fetch(api.server.url + search, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  assert.ok(res.status < 500, `5xx: ${text}`);
  return { status: res.status, text, body: JSON.parse(text) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

function assertNoTraceOfB(text: string): void {
  for (const s of secretsOfB()) assert.ok(!text.includes(s), `response mentions tenant B (${s}): ${text}`);
}

const PROJECTS = `{ projects { edges { node { id name tasks { id title } } } } }`;

describe('reads as tenant A with tenant B ids', () => {
  test('the snapshot covers every tenant table, and B has rows in them', () => {
    // Guards the row-identity test below: an empty snapshot would compare equal for nothing.
    for (const table of ['memberships', 'projects', 'tasks']) assert.ok(bBefore[table]?.length, `no rows of B in ${table}`);
    assert.equal(bBefore.organizations?.length, 1);
  });

  const reads: [string, string, () => Record<string, unknown>, (data: any) => void][] = [
    ['project(id)', `query($id: ID!) { project(id: $id) { id name } }`, () => ({ id: b.projectId }), (d) => assert.equal(d.project, null)],
    ['task(id)', `query($id: ID!) { task(id: $id) { id title project { id } } }`, () => ({ id: b.taskId }), (d) => assert.equal(d.task, null)],
    ['projects', PROJECTS, () => ({}), (d) => assert.deepEqual(d.projects.edges.map((e: any) => e.node.id), [a.projectId])],
    ['organization', `{ organization { id name members { user { id email } } } }`, () => ({}), (d) => assert.equal(d.organization.id, a.orgId)],
    [
      'viewer',
      `{ viewer { activeOrganization { id name } memberships { organization { id name } } } }`,
      () => ({}),
      (d) => assert.deepEqual(d.viewer.memberships.map((m: any) => m.organization.id), [a.orgId]),
    ],
  ];
  for (const [name, query, vars, check] of reads) {
    test(`${name} shows nothing of B`, async () => {
      const r = await rawGql(query, vars(), a.token);
      assert.equal(r.body.errors, undefined, r.text);
      check(r.body.data);
      assertNoTraceOfB(r.text);
    });
  }
});

describe('writes as tenant A with tenant B ids', () => {
  const writes: [string, string, (id: string) => Record<string, unknown>, () => string][] = [
    ['updateProject', `mutation($id: ID!) { updateProject(id: $id, name: "hijacked") { id name } }`, (id) => ({ id }), () => b.projectId],
    ['deleteProject', `mutation($id: ID!) { deleteProject(id: $id) }`, (id) => ({ id }), () => b.projectId],
    ['createTask', `mutation($id: ID!) { createTask(projectId: $id, title: "planted") { id } }`, (id) => ({ id }), () => b.projectId],
    ['updateTask', `mutation($id: ID!) { updateTask(id: $id, title: "hijacked", done: true) { id title } }`, (id) => ({ id }), () => b.taskId],
    ['deleteTask', `mutation($id: ID!) { deleteTask(id: $id) }`, (id) => ({ id }), () => b.taskId],
    ['removeMember', `mutation($id: ID!) { removeMember(userId: $id) }`, (id) => ({ id }), () => b.userId],
  ];
  for (const [name, query, vars, idOfB] of writes) {
    test(`${name} fails with NOT_FOUND, exactly as for an id that exists nowhere`, async () => {
      const other = await rawGql(query, vars(idOfB()), a.token);
      const missing = await rawGql(query, vars(randomUUID()), a.token);
      assert.equal(other.body.errors?.[0]?.extensions?.code, 'NOT_FOUND', other.text);
      // Same status, same message, same path, same data: nothing tells the caller B's object exists.
      assert.deepEqual({ ...other, text: undefined }, { ...missing, text: undefined });
      assertNoTraceOfB(other.text);
    });
  }

  test('the snapshot does see a change to a tenant table (so the comparison above can fail)', async () => {
    const before = await snapshotTenant(api.db, a.orgId);
    const r = await api.gql(`mutation($id: ID!) { updateTask(id: $id, done: true) { done } }`, { id: a.taskId }, a.token);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const afterwards = await snapshotTenant(api.db, a.orgId);
    assert.notDeepEqual(afterwards.tasks, before.tasks);
    assert.ok((await tenantTables(api.db)).includes('tasks'));
  });
});

describe('the tenant cannot be chosen by anything but the token', () => {
  const vectors: [string, () => { headers?: Record<string, string>; search?: string; variables?: Record<string, unknown> }][] = [
    ['X-Organization-Id header', () => ({ headers: { 'x-organization-id': b.orgId } })],
    ['X-Org-Id header', () => ({ headers: { 'x-org-id': b.orgId } })],
    ['Organization header', () => ({ headers: { organization: b.orgId } })],
    ['org_id cookie', () => ({ headers: { cookie: `org_id=${b.orgId}; organization_id=${b.orgId}` } })],
    ['org_id query parameter', () => ({ search: `?org_id=${b.orgId}&organizationId=${b.orgId}` })],
    ['orgId / organizationId variables', () => ({ variables: { orgId: b.orgId, organizationId: b.orgId, org_id: b.orgId } })],
  ];
  for (const [name, vector] of vectors) {
    test(`${name}: A still sees only A's data`, async () => {
      const v = vector();
      const r = await rawGql(PROJECTS, v.variables ?? {}, a.token, v.headers, v.search);
      assert.equal(r.body.errors, undefined, r.text);
      assert.deepEqual(r.body.data.projects.edges.map((e: any) => e.node.id), [a.projectId]);
      assertNoTraceOfB(r.text);
    });

    test(`${name}: B's own user, signed in without an organization, is still FORBIDDEN`, async () => {
      // B is a member of B's org: if the vector selected the tenant, this would return B's projects.
      const { accessToken } = await signIn(api, b.email);
      const v = vector();
      const r = await rawGql(PROJECTS, v.variables ?? {}, accessToken, v.headers, v.search);
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', r.text);
      assert.ok(!r.text.includes(b.projectId) && !r.text.includes(b.marker), r.text);
    });
  }
});

describe('a signed-in user with no organization', () => {
  let token: string;
  before(async () => {
    const email = `loner-${randomUUID()}@example.test`;
    await signUp(api, email);
    token = (await signIn(api, email)).accessToken;
  });

  const denied: [string, string, () => Record<string, unknown>][] = [
    ['projects', PROJECTS, () => ({})],
    ['project', `query($id: ID!) { project(id: $id) { id name } }`, () => ({ id: b.projectId })],
    ['task', `query($id: ID!) { task(id: $id) { id title } }`, () => ({ id: b.taskId })],
    ['createProject', `mutation($n: String!) { createProject(name: $n) { id } }`, () => ({ n: `orphan ${b.marker}-x` })],
  ];
  for (const [name, query, vars] of denied) {
    test(`${name} is FORBIDDEN and reads nothing`, async () => {
      const r = await rawGql(query, vars(), token);
      assert.equal(r.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', r.text);
      assert.ok(r.body.data == null || Object.values(r.body.data).every((v) => v === null), r.text);
      assert.ok(!r.text.includes(b.projectId) && !r.text.includes(b.taskId), r.text);
    });
  }

  test('createProject wrote nothing anywhere', async () => {
    assert.deepEqual(await api.db.sql(`select id from projects where name like $1`, [`orphan %`]), []);
  });

  test('organization is null', async () => {
    const r = await rawGql(`{ organization { id name } viewer { activeOrganization { id } memberships { role } } }`, {}, token);
    assert.equal(r.body.errors, undefined, r.text);
    assert.deepEqual(r.body.data, { organization: null, viewer: { activeOrganization: null, memberships: [] } });
  });
});

describe('malformed ids', () => {
  const ops: [string, string][] = [
    ['project', `query($id: ID!) { project(id: $id) { id } }`],
    ['task', `query($id: ID!) { task(id: $id) { id } }`],
    ['updateProject', `mutation($id: ID!) { updateProject(id: $id, name: "x") { id } }`],
    ['deleteProject', `mutation($id: ID!) { deleteProject(id: $id) }`],
    ['createTask', `mutation($id: ID!) { createTask(projectId: $id, title: "x") { id } }`],
    ['updateTask', `mutation($id: ID!) { updateTask(id: $id, title: "x") { id } }`],
    ['deleteTask', `mutation($id: ID!) { deleteTask(id: $id) }`],
    ['removeMember', `mutation($id: ID!) { removeMember(userId: $id) }`],
  ];
  const bad = ['zzz', '', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g', `${randomUUID()}x`];
  for (const [name, query] of ops) {
    test(`${name} answers BAD_USER_INPUT for a malformed id`, async () => {
      for (const id of bad) {
        const r = await api.gql(query, { id }, a.token);
        assert.ok(r.status < 500, JSON.stringify(r));
        assert.equal(errorCode(r), 'BAD_USER_INPUT', `${JSON.stringify(id)}: ${JSON.stringify(r.errors)}`);
      }
    });
  }

  test('a projects cursor carrying a malformed id or an impossible date → BAD_USER_INPUT', async () => {
    // Cursors are opaque to clients but decoded by the server: what is inside is untrusted input too.
    const cursor = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');
    const now = new Date().toISOString();
    const bad = [
      cursor(now, '-'.repeat(36)),
      cursor(now, '0'.repeat(36)),
      cursor(now, `${'a'.repeat(32)}----`),
      cursor('-271821-04-20T00:00:00.000Z', randomUUID()),
      'garbage',
    ];
    for (const after of bad) {
      const r = await api.gql(`query($after: String) { projects(after: $after) { edges { node { id } } } }`, { after }, a.token);
      assert.equal(errorCode(r), 'BAD_USER_INPUT', `${after}: ${JSON.stringify(r.errors)}`);
    }
  });
});

// Declared last: node:test runs a file's tests in order, so this sees every attempt above.
test("B's rows are byte-identical after every read and write attempt in this file", async () => {
  assert.deepEqual(await snapshotTenant(api.db, b.orgId), bBefore);
});
