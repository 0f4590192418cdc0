/**
 * Which MikroORM 6.6.16 calls skip the `tenant` filter, measured on our entities.
 *
 * For every hole: (a) an ORM connected as the OWNER (a superuser: RLS does not apply) with the
 * filter set to tenant A reaches tenant B's rows, so the filter alone does not stop that call; and
 * (b) the same call through the runtime role, inside a transaction in tenant A, is stopped
 * by RLS. The calls that DO apply the filter are listed too, so a MikroORM upgrade that changes
 * either list fails here. src/db and the *.queries.ts files are the only places allowed to use the holes (test/db/static-bypass.test.ts).
 */
import { NotFoundError, wrap } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { initModulesORM } from '../../src/app/modules.ts';
import { RequestTransaction } from '../../src/db/request-transaction.ts';
import { TENANT_FILTER } from '../../src/db/tenant-owned.ts';
import { withTenant } from '../../src/platform/tenancy/with-tenant.ts';
import { Project } from '../../src/modules/projects/project.entity.ts';
import { Task } from '../../src/modules/projects/task.entity.ts';
import { createTestDatabase, type TestDatabase } from '../support/harness.ts';
import { filteredFork, inTenantTx, seedTenant, sqlState, switchTenantBare, type SeededTenant } from '../support/orm.ts';
import { snapshotTenant } from '../support/snapshot.ts';

let db: TestDatabase;
let owner: MikroORM;
let app: MikroORM;
let a: SeededTenant;

before(async () => {
  db = await createTestDatabase();
  owner = await initModulesORM(db.ownerUrl, 2);
  app = await initModulesORM(db.appUrl, 2);
  a = await seedTenant(db, 'a');
});
after(async () => {
  await owner?.close(true);
  await app?.close(true);
  await db?.drop();
});

const asTenantA = <T>(work: (em: EntityManager, tx: RequestTransaction) => Promise<T>) => inTenantTx(app, { orgId: a.orgId, userId: a.userId }, work);
const seesB = (result: unknown, b: SeededTenant) => JSON.stringify(result).includes(b.marker);
const affected = (r: unknown) => (r as { affectedRows: number }).affectedRows;
const newProjectOf = (b: SeededTenant) => ({ orgId: b.orgId, id: randomUUID(), name: `planted ${b.marker}`, createdAt: new Date() });

type Read = [name: string, call: (em: EntityManager, b: SeededTenant) => Promise<unknown>, sees?: (r: unknown, b: SeededTenant) => boolean];
const readHoles: Read[] = [
  ['createQueryBuilder().getResult()', (em, b) => em.createQueryBuilder(Project).select('*').where({ id: b.projectId }).getResult()],
  ['qb().execute()', (em, b) => em.qb(Task).select('*').where({ id: b.taskId }).execute()],
  ['qb().getCount()', (em, b) => em.qb(Project).where({ id: b.projectId }).getCount(), (n) => (n as number) > 0],
  ['em.execute(raw SQL)', (em, b) => em.execute(`select name from projects where id = ?`, [b.projectId])],
  // Runs on a pooled connection of its own, outside the request transaction, so at runtime no tenant is set at all.
  ['em.getConnection().execute(raw SQL)', (em, b) => em.getConnection().execute(`select title from tasks where id = ?`, [b.taskId])],
  ['em.getKnex() query', async (em, b) => await em.getKnex()('projects').where({ id: b.projectId })],
  ['find with filters: false', (em, b) => em.find(Project, { id: b.projectId }, { filters: false })],
  ['find with filters: { tenant: false }', (em, b) => em.find(Task, { id: b.taskId }, { filters: { [TENANT_FILTER]: false } })],
  ['find with a per-call filter param of tenant B', (em, b) => em.find(Project, { id: b.projectId }, { filters: { [TENANT_FILTER]: { orgId: b.orgId } } })],
  ['count with filters: false', (em, b) => em.count(Project, { id: b.projectId }, { filters: false }), (n) => (n as number) > 0],
];

type Outcome = 'zero-rows' | 'with-check' | 'no-op';
type Write = [name: string, call: (em: EntityManager, b: SeededTenant) => Promise<unknown>, runtime: Outcome];
const writeHoles: Write[] = [
  ['createQueryBuilder().update()', (em, b) => em.createQueryBuilder(Project).update({ name: 'hijacked' }).where({ id: b.projectId }).execute('run'), 'zero-rows'],
  ['createQueryBuilder().delete()', (em, b) => em.createQueryBuilder(Task).delete().where({ id: b.taskId }).execute('run'), 'zero-rows'],
  ['em.execute(raw UPDATE)', (em, b) => em.execute(`update tasks set done = true where id = ?`, [b.taskId], 'run'), 'zero-rows'],
  ['nativeUpdate with filters: false', (em, b) => em.nativeUpdate(Project, { id: b.projectId }, { name: 'hijacked' }, { filters: false }).then((n) => ({ affectedRows: n })), 'zero-rows'],
  ['nativeDelete with filters: false', (em, b) => em.nativeDelete(Task, { id: b.taskId }, { filters: false }).then((n) => ({ affectedRows: n })), 'zero-rows'],
  ['em.upsert over B’s row', (em, b) => em.upsert(Project, { orgId: b.orgId, id: b.projectId, name: 'hijacked', createdAt: new Date() }), 'with-check'],
  ['em.upsertMany over B’s row', (em, b) => em.upsertMany(Project, [{ orgId: b.orgId, id: b.projectId, name: 'hijacked', createdAt: new Date() }]), 'with-check'],
  ['em.insert with B’s orgId', (em, b) => em.insert(Project, newProjectOf(b)), 'with-check'],
  ['em.insertMany with B’s orgId', (em, b) => em.insertMany(Project, [newProjectOf(b)]), 'with-check'],
  ['em.create + flush with B’s orgId', (em, b) => em.persist(em.create(Project, newProjectOf(b))).flush(), 'with-check'],
  [
    'getReference + change + flush',
    async (em, b) => {
      em.getReference(Project, [b.orgId, b.projectId]).name = 'hijacked';
      await em.flush();
    },
    'no-op',
  ],
  ['em.remove(getReference) + flush', (em, b) => em.remove(em.getReference(Task, [b.orgId, b.taskId])).flush(), 'no-op'],
];

describe('holes: calls the tenant filter does not cover', () => {
  for (const [name, call, sees = seesB] of readHoles) {
    describe(name, () => {
      test('owner connection, filter = A: reads B’s row (the filter does not apply)', async () => {
        const b = await seedTenant(db, 'b');
        assert.equal(sees(await call(filteredFork(owner, a.orgId), b), b), true);
      });
      test('runtime role, tenant A set: RLS returns nothing of B', async () => {
        const b = await seedTenant(db, 'b');
        const result = await asTenantA((em) => call(em, b));
        assert.equal(sees(result, b), false, JSON.stringify(result));
      });
    });
  }

  for (const [name, call, outcome] of writeHoles) {
    describe(name, () => {
      test('owner connection, filter = A: changes B’s rows (the filter does not apply)', async () => {
        const b = await seedTenant(db, 'b');
        const before = await snapshotTenant(db, b.orgId);
        await call(filteredFork(owner, a.orgId), b);
        assert.notDeepEqual(await snapshotTenant(db, b.orgId), before);
      });
      test(`runtime role, tenant A set: RLS stops it (${outcome})`, async () => {
        const b = await seedTenant(db, 'b');
        const before = await snapshotTenant(db, b.orgId);
        const attempt = asTenantA((em) => call(em, b));
        if (outcome === 'with-check') {
          await assert.rejects(attempt, (err) => sqlState(err) === '42501' && /row-level security/.test(String(err)));
        } else {
          const result = await attempt;
          if (outcome === 'zero-rows') assert.equal(affected(result), 0);
        }
        assert.deepEqual(await snapshotTenant(db, b.orgId), before);
      });
    });
  }
});

describe('calls that apply the filter: owner connection, filter = A, nothing of B', () => {
  const reads: Read[] = [
    ['find', (em, b) => em.find(Project, { id: b.projectId })],
    ['findOne by id', (em, b) => em.findOne(Task, { id: b.taskId })],
    ['findOne by B’s full primary key', (em, b) => em.findOne(Project, { orgId: b.orgId, id: b.projectId })],
    ['findOneOrFail', (em, b) => em.findOneOrFail(Project, { id: b.projectId }).catch((e: unknown) => (e instanceof NotFoundError ? null : Promise.reject(e)))],
    ['findAll', (em, b) => em.findAll(Task, { where: { projectId: b.projectId } })],
    ['findAndCount', (em, b) => em.findAndCount(Project, { id: b.projectId }), (r) => (r as [unknown[], number])[1] > 0 || (r as unknown[][])[0]!.length > 0],
    ['findByCursor', async (em, b) => (await em.findByCursor(Project, { id: b.projectId }, { first: 10, orderBy: { id: 'asc' } })).items],
    ['count', (em, b) => em.count(Task, { projectId: b.projectId }), (n) => (n as number) > 0],
    // refresh() hydrates the reference without marking it initialised, so its JSON shows only the key.
    ['em.refresh(getReference)', async (em, b) => (await em.refresh(em.getReference(Project, [b.orgId, b.projectId])))?.name ?? null],
    ['wrap(getReference).init()', (em, b) => wrap(em.getReference(Project, [b.orgId, b.projectId])).init()],
    [
      'QueryBuilder after qb.applyFilters()',
      async (em, b) => {
        const qb = em.createQueryBuilder(Project).select('*').where({ id: b.projectId });
        await qb.applyFilters();
        return qb.getResult();
      },
    ],
  ];
  for (const [name, call, sees = seesB] of reads) {
    test(`${name} reads nothing of B`, async () => {
      const b = await seedTenant(db, 'b');
      const result = await call(filteredFork(owner, a.orgId), b);
      assert.equal(sees(result, b), false, JSON.stringify(result));
      // Control: the same call with the filter set to B does find B's row.
      assert.equal(sees(await call(filteredFork(owner, b.orgId), b), b), true);
    });
  }

  test('nativeUpdate and nativeDelete change nothing of B (0 rows)', async () => {
    const b = await seedTenant(db, 'b');
    const before = await snapshotTenant(db, b.orgId);
    const em = filteredFork(owner, a.orgId);
    assert.equal(await em.nativeUpdate(Project, { id: b.projectId }, { name: 'hijacked' }), 0);
    assert.equal(await em.nativeDelete(Task, { id: b.taskId }), 0);
    assert.deepEqual(await snapshotTenant(db, b.orgId), before);
    assert.equal(await filteredFork(owner, b.orgId).nativeUpdate(Task, { id: b.taskId }, { done: true }), 1); // control
  });

  test('no entity has relations, so there is no populate path to cover (add hole tests with the first one)', () => {
    const relations = Object.values(owner.getMetadata().getAll()).flatMap((meta) =>
      Object.values(meta.properties).filter((p) => p.kind !== 'scalar').map((p) => `${meta.className}.${p.name}`),
    );
    assert.deepEqual(relations, []);
  });
});

describe('identity map', () => {
  test('hole: a fork that loaded B’s project under filter B returns it to a lookup under filter A', async () => {
    const b = await seedTenant(db, 'b');
    const em = filteredFork(owner, b.orgId);
    assert.ok(await em.findOne(Project, { id: b.projectId }));
    em.setFilterParams(TENANT_FILTER, { orgId: a.orgId });
    assert.equal((await em.findOne(Project, { orgId: b.orgId, id: b.projectId }))?.name, `project ${b.marker}`);
    assert.equal(em.getReference(Project, [b.orgId, b.projectId]).name, `project ${b.marker}`);
    assert.deepEqual(await em.find(Project, { id: b.projectId }), []); // a query does go through the filter
  });

  test('RLS cannot stop it: the runtime role switching tenant inside one fork (setting and filter only) still gets B’s entity', async () => {
    const b = await seedTenant(db, 'b');
    const found = await inTenantTx(app, { orgId: b.orgId, userId: b.userId }, async (em) => {
      await em.findOneOrFail(Project, { id: b.projectId });
      await switchTenantBare(em, { orgId: a.orgId, userId: a.userId });
      return em.findOne(Project, { orgId: b.orgId, id: b.projectId });
    });
    // No query reaches the database. If MikroORM fixes #7084 this fails: then the door's detach is belt and braces.
    assert.equal(found?.orgId, b.orgId);
  });

  test('the one door, RequestTransaction.enterTenant, forgets B’s entity: the lookup reaches RLS and finds nothing', async () => {
    const b = await seedTenant(db, 'b');
    const found = await inTenantTx(app, { orgId: b.orgId, userId: b.userId }, async (em, tx) => {
      await em.findOneOrFail(Project, { id: b.projectId });
      await tx.enterTenant({ orgId: a.orgId, userId: a.userId });
      return em.findOne(Project, { orgId: b.orgId, id: b.projectId });
    });
    assert.equal(found, null);
  });

  test('a new RequestTransaction per request does not see what another request loaded', async () => {
    const b = await seedTenant(db, 'b');
    const forB = new RequestTransaction(app);
    await forB.begin({ orgId: b.orgId, userId: b.userId });
    assert.ok(await forB.em.findOne(Project, { id: b.projectId }));
    const forA = new RequestTransaction(app);
    await forA.begin({ orgId: a.orgId, userId: a.userId });
    try {
      assert.equal(await forA.em.findOne(Project, { orgId: b.orgId, id: b.projectId }), null);
    } finally {
      await forA.finish(false);
      await forB.finish(false);
    }
  });

  test('withTenant clears the identity map before restoring the previous tenant', async () => {
    const b = await seedTenant(db, 'b');
    const found = await asTenantA(async (em, tx) => {
      await withTenant(tx, { orgId: b.orgId, userId: b.userId }, { orgId: a.orgId, userId: a.userId }, () => em.findOneOrFail(Project, { id: b.projectId }));
      return em.findOne(Project, { orgId: b.orgId, id: b.projectId });
    });
    assert.equal(found, null);
  });
});

describe('the filter fails closed', () => {
  const calls: [string, (em: EntityManager) => Promise<unknown>][] = [
    ['find', (em) => em.find(Project, {})],
    ['findOne', (em) => em.findOne(Task, { id: a.taskId })],
    ['count', (em) => em.count(Project)],
    ['nativeUpdate', (em) => em.nativeUpdate(Project, { id: a.projectId }, { name: 'x' })],
    ['nativeDelete', (em) => em.nativeDelete(Task, { id: a.taskId })],
  ];
  for (const [name, call] of calls) {
    test(`${name} on a fork without tenant params throws, naming the filter`, async () => {
      await assert.rejects(call(owner.em.fork({ clear: true, useContext: false })), /No arguments provided for filter 'tenant'/);
    });
  }

  test('an empty orgId is refused', async () => {
    const em = owner.em.fork({ clear: true, useContext: false });
    em.setFilterParams(TENANT_FILTER, { orgId: '' });
    await assert.rejects(em.find(Project, {}), /Tenant filter used without a tenant \(fail closed\)/);
  });

  test('entering a tenant without an org removes the filter param set earlier in the same fork', async () => {
    await assert.rejects(
      asTenantA(async (em, tx) => {
        await tx.enterTenant({ orgId: null, userId: a.userId });
        return em.find(Project, {});
      }),
      /No arguments provided for filter 'tenant'/,
    );
  });

  test('hole: a QueryBuilder on a fork without a tenant does not throw; only RLS keeps it empty', async () => {
    const b = await seedTenant(db, 'b');
    const ownerRows = await owner.em.fork({ clear: true, useContext: false }).qb(Project).select('*').getResult();
    assert.ok(ownerRows.some((p) => p.orgId === a.orgId) && ownerRows.some((p) => p.orgId === b.orgId));
    const appRows = await inTenantTx(app, { orgId: null, userId: null }, (em) => em.qb(Project).select('*').getResult());
    assert.deepEqual(appRows, []);
  });
});
