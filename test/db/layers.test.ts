/**
 * docs/ARCHITECTURE.md: each of graphql-shield, the ORM tenant filter, RLS and the composite keys must
 * stop a cross-tenant read or write on its own. Each block switches layers off and shows the rest
 * still hold; the last two show the pooled connection keeps no tenant between transactions.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { initModulesORM } from '../../src/app/modules.ts';
import { LISTEN_APPLICATION_NAME } from '../../src/platform/change-listener.ts';
import { RATE_LIMIT_APPLICATION_NAME } from '../../src/platform/limits/rate-limit-buckets.queries.ts';
import { Project } from '../../src/modules/projects/project.entity.ts';
import { createTestDatabase, errorCode, startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';
import { inTenantTx, sqlState } from '../support/orm.ts';
import { snapshotTenant, tenantTables } from '../support/snapshot.ts';
import { createTenant, PASSWORD, signIn, type Tenant } from '../support/tenants.ts';
import { schemaWithoutShield } from '../support/modules.ts';
import { seedByCreateMutations } from '../isolation/auto-seed.ts';

const PROJECTS = `{ projects { edges { node { id name tasks { id title } } } } }`;
const secretsOf = (t: Tenant) => [t.orgId, t.userId, t.projectId, t.taskId, t.marker];
function assertNoTraceOf(t: Tenant, body: unknown): void {
  const text = JSON.stringify(body);
  for (const s of secretsOf(t)) assert.ok(!text.includes(s), `response mentions the other tenant (${s}): ${text}`);
}

/** Tables whose rows belong to a tenant: every table with org_id, and the tenant root. */
const tenantRowTables = async (db: TestDatabase) => [...(await tenantTables(db)), 'organizations'];

describe('layers on their own', () => {
  let db: TestDatabase;
  let shieldOff: TestApi;
  let filterOnly: TestApi;
  let app: MikroORM;
  let a: Tenant;
  let b: Tenant;

  before(async () => {
    db = await createTestDatabase();
    shieldOff = await startTestApi({ db, schema: { shield: false } });
    // The owner is a superuser: RLS does not apply, so only the ORM filter stands between tenants.
    filterOnly = await startTestApi({ db: { ...db, appUrl: db.ownerUrl }, schema: { shield: false } });
    app = await initModulesORM(db.appUrl, 2);
    a = await createTenant(shieldOff, 'a');
    b = await createTenant(shieldOff, 'b');
    // An invitation and a service account in each org, so every tenant table holds rows of both tenants that a leak could expose.
    for (const t of [a, b]) {
      await db.sql(`insert into invitations (org_id, id, email, role, token_hash, invited_by, created_at, expires_at)
                    values ($1, $2, 'x@example.test', 'MEMBER', $3, $4, now(), now() + interval '1 day')`, [t.orgId, randomUUID(), t.marker, t.userId]);
      await db.sql(`insert into service_accounts (org_id, id, name, scopes, secret_hash, created_by, created_at)
                    values ($1, $2, $3, '{projects:read}', $4, $5, now())`, [t.orgId, randomUUID(), `robot ${t.marker}`, t.marker, t.userId]);
      // Any other tenant-owned type (one added with npm run scaffold) gets rows through its create mutation.
      await seedByCreateMutations(shieldOff, schemaWithoutShield(), { label: t.marker, orgId: t.orgId, marker: t.marker, owner: { email: t.email, password: PASSWORD, token: t.token } });
    }
  });
  after(async () => {
    await app?.close(true);
    await filterOnly?.close();
    await shieldOff?.close();
    await db?.drop();
  });

  describe('(a) graphql-shield off', () => {
    const reads: [string, string, () => Record<string, unknown>, (d: any) => void][] = [
      ['project(id)', `query($id: ID!) { project(id: $id) { id name } }`, () => ({ id: b.projectId }), (d) => assert.equal(d.project, null)],
      ['task(id)', `query($id: ID!) { task(id: $id) { id title } }`, () => ({ id: b.taskId }), (d) => assert.equal(d.task, null)],
      ['projects', PROJECTS, () => ({}), (d) => assert.deepEqual(d.projects.edges.map((e: any) => e.node.id), [a.projectId])],
    ];
    const writes: [string, string, () => Record<string, unknown>][] = [
      ['updateProject', `mutation($id: ID!) { updateProject(id: $id, name: "hijacked") { id } }`, () => ({ id: b.projectId })],
      ['deleteProject', `mutation($id: ID!) { deleteProject(id: $id) }`, () => ({ id: b.projectId })],
      ['createTask', `mutation($id: ID!) { createTask(projectId: $id, title: "planted") { id } }`, () => ({ id: b.projectId })],
      ['updateTask', `mutation($id: ID!) { updateTask(id: $id, title: "hijacked") { id } }`, () => ({ id: b.taskId })],
      ['deleteTask', `mutation($id: ID!) { deleteTask(id: $id) }`, () => ({ id: b.taskId })],
    ];
    const apis: [string, () => TestApi][] = [
      ['runtime role (filter + RLS)', () => shieldOff],
      ['owner connection (the ORM filter alone)', () => filterOnly],
    ];

    test('the shield really is off: a field it guards reaches its resolver', async () => {
      // With the shield, `members` of a non-active org fails in isActiveOrganization; without it, in the service.
      const { accessToken } = await signIn(shieldOff, b.email);
      const r = await shieldOff.gql(`{ viewer { memberships { organization { members { role } } } } }`, {}, accessToken);
      assert.equal(errorCode(r), 'FORBIDDEN');
      assert.equal(r.errors?.[0]?.message, 'No active organization');
    });

    test('the owner connection really bypasses RLS', async () => {
      const rows = await filterOnly.server.services.orm.em.fork().execute(`select rolsuper from pg_roles where rolname = current_user`);
      assert.deepEqual(rows, [{ rolsuper: true }]);
    });

    for (const [label, api] of apis) {
      describe(label, () => {
        for (const [name, query, vars, check] of reads) {
          test(`${name} as A with B's ids reads nothing of B`, async () => {
            const r = await api().gql(query, vars(), a.token);
            assert.equal(r.errors, undefined, JSON.stringify(r.errors));
            check(r.data);
            assertNoTraceOf(b, r);
          });
        }
        for (const [name, query, vars] of writes) {
          test(`${name} as A with B's ids is NOT_FOUND and changes nothing of B`, async () => {
            const before = await snapshotTenant(db, b.orgId);
            const r = await api().gql(query, vars(), a.token);
            assert.equal(errorCode(r), 'NOT_FOUND', JSON.stringify(r));
            assertNoTraceOf(b, r);
            assert.deepEqual(await snapshotTenant(db, b.orgId), before);
          });
        }
      });
    }
  });

  describe('(b) ORM filter off: RLS alone', () => {
    const asA = <T>(work: Parameters<typeof inTenantTx<T>>[2]) => inTenantTx(app, { orgId: a.orgId, userId: a.userId }, work);

    test("find with filters: false returns nothing of B (and A's own row)", async () => {
      const [ofB, ofA] = await asA(async (em) => [await em.find(Project, { id: b.projectId }, { filters: false }), await em.find(Project, { id: a.projectId }, { filters: false })]);
      assert.deepEqual(ofB, []);
      assert.deepEqual(ofA?.map((p) => p.id), [a.projectId]);
    });

    test("a QueryBuilder update of B's row affects 0 rows (and of A's, 1)", async () => {
      const before = await snapshotTenant(db, b.orgId);
      const [ofB, ofA] = await asA(async (em) => [
        await em.createQueryBuilder(Project).update({ name: 'hijacked' }).where({ id: b.projectId }).execute('run'),
        await em.createQueryBuilder(Project).update({ name: `project ${a.marker}` }).where({ id: a.projectId }).execute('run'),
      ]);
      assert.equal(ofB?.affectedRows, 0);
      assert.equal(ofA?.affectedRows, 1);
      assert.deepEqual(await snapshotTenant(db, b.orgId), before);
    });

    test('with no tenant set (app.org_id = ""), every tenant table reads empty', async () => {
      const tables = await tenantRowTables(db);
      assert.ok(tables.length >= 5, tables.join());
      for (const table of tables) {
        const [stored] = await db.sql(`select count(*)::int as n from ${table}`);
        assert.ok(stored.n >= 2, `${table} has rows of both tenants for the owner`);
        const [seen] = await inTenantTx(app, { orgId: null, userId: null }, (em) => em.execute(`select count(*)::int as n from ${table}`));
        assert.deepEqual(seen, { n: 0 }, table);
      }
    });

    test('with app.org_id never set on the connection, every tenant table reads empty', async () => {
      const client = new pg.Client({ connectionString: db.appUrl });
      await client.connect();
      try {
        assert.equal((await client.query(`select current_setting('app.org_id', true) as v`)).rows[0].v, null);
        for (const table of await tenantRowTables(db)) {
          assert.deepEqual((await client.query(`select count(*)::int as n from ${table}`)).rows, [{ n: 0 }], table);
        }
      } finally {
        await client.end();
      }
    });
  });

  describe('(c) RLS off (owner): the composite foreign key', () => {
    const insertTask = (orgId: string, projectId: string) =>
      db.sql(`insert into tasks (org_id, id, project_id, title, created_at) values ($1, $2, $3, 'fk probe', now())`, [orgId, randomUUID(), projectId]);

    test("a task of A pointing at B's project is a foreign-key violation (23503)", async () => {
      await assert.rejects(insertTask(a.orgId, b.projectId), (err) => sqlState(err) === '23503');
      await insertTask(a.orgId, a.projectId); // control: the same insert within one tenant succeeds
    });

    test("moving A's task under B's project is a foreign-key violation (23503)", async () => {
      await assert.rejects(db.sql(`update tasks set project_id = $1 where id = $2`, [b.projectId, a.taskId]), (err) => sqlState(err) === '23503');
    });
  });
});

describe('one pooled connection shared by two tenants', () => {
  let api: TestApi;
  let a: Tenant;
  let b: Tenant;
  before(async () => {
    api = await startTestApi({ env: { DB_POOL_MAX: '1' } });
    a = await createTenant(api, 'a');
    b = await createTenant(api, 'b');
  });
  after(async () => {
    await api?.close();
  });

  // The request transactions' pool; the rate-limit counters have a pool of their own, which runs
  // single autocommitted statements on a table without tenant data (src/platform/limits/rate-limit-buckets.queries.ts), and
  // the LISTEN connection runs no query but LISTEN (src/platform/change-listener.ts).
  const appConnections = async () =>
    (
      await api.db.sql(`select count(*)::int as n from pg_stat_activity where usename = 'orgbound_app' and datname = $1 and application_name <> all($2)`, [
        api.db.name,
        [RATE_LIMIT_APPLICATION_NAME, LISTEN_APPLICATION_NAME],
      ])
    )[0].n as number;

  test('(d) 200 interleaved requests, 32 at a time on one connection, never show one tenant the other’s data', async () => {
    const request = async (i: number) => {
      const [me, other] = i % 2 === 0 ? [a, b] : [b, a];
      const kind = Math.floor(i / 2) % 4;
      if (kind === 0) {
        const r = await api.gql(PROJECTS, {}, me.token);
        assert.deepEqual(r.data?.projects.edges.map((e: any) => e.node.id), [me.projectId], JSON.stringify(r));
        return r;
      }
      if (kind === 1 || kind === 2) {
        const projectId = kind === 1 ? me.projectId : other.projectId;
        const r = await api.gql(`query($p: ID!, $t: ID!) { project(id: $p) { id name } task(id: $t) { id } }`, { p: projectId, t: other.taskId }, me.token);
        assert.deepEqual(r.data, { project: kind === 1 ? { id: me.projectId, name: `project ${me.marker}` } : null, task: null }, JSON.stringify(r));
        return r;
      }
      const r = await api.gql(`mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id title } }`, { p: me.projectId, t: `burst ${me.marker} ${i}` }, me.token);
      assert.equal(r.data?.createTask.title, `burst ${me.marker} ${i}`, JSON.stringify(r));
      return r;
    };
    let peak = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        peak = Math.max(peak, await appConnections());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    // 32 in flight at a time, all through the one pooled connection: interleaved as tightly as the
    // pool allows, without a queue so long that the last request waits past the pool's acquire
    // timeout on a loaded machine (another `npm test` beside this one).
    const results: { i: number; r: Awaited<ReturnType<typeof request>> }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < 200) {
        const i = next++;
        results.push({ i, r: await request(i) });
      }
    };
    try {
      await Promise.all(Array.from({ length: 32 }, lane));
    } finally {
      running = false;
      await sampler;
    }
    for (const { i, r } of results) {
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assertNoTraceOf(i % 2 === 0 ? b : a, r);
    }
    assert.equal(peak, 1, 'the API used more than its one pooled connection');
    for (const t of [a, b]) {
      const rows = await api.db.sql(`select org_id, count(*)::int as n from tasks where title like $1 group by org_id`, [`burst ${t.marker} %`]);
      assert.deepEqual(rows, [{ org_id: t.orgId, n: 25 }]);
    }
  });

  test('(e) after a request for A, the same pooled connection holds no tenant outside a transaction', async () => {
    const orm = api.server.services.orm;
    const probe = async () =>
      (await orm.em.fork().getConnection().execute(
        `select pg_backend_pid() as pid, current_setting('app.org_id', true) as org, current_setting('app.user_id', true) as usr`,
      ))[0] as { pid: number; org: string | null; usr: string | null };
    const before = await probe();
    const r = await api.gql(PROJECTS, {}, a.token);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const afterwards = await probe();
    assert.equal(afterwards.pid, before.pid, 'not the same pooled connection');
    assert.ok(afterwards.org === '' || afterwards.org === null, `app.org_id survived: ${afterwards.org}`);
    assert.ok(afterwards.usr === '' || afterwards.usr === null, `app.user_id survived: ${afterwards.usr}`);
    for (const table of await tenantRowTables(api.db)) {
      assert.deepEqual(await orm.em.fork().getConnection().execute(`select count(*)::int as n from ${table}`), [{ n: 0 }], table);
    }
    // Control: inside a transaction with A set, the same connection does see A's rows.
    const seen = await inTenantTx(orm, { orgId: a.orgId, userId: a.userId }, (em) => em.execute(`select pg_backend_pid() as pid, count(*)::int as n from projects`));
    assert.deepEqual(seen, [{ pid: before.pid, n: 1 }]);
  });
});
