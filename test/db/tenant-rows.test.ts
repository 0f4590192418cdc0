/**
 * The fast read path (src/db/tenant-rows.ts) keeps the tenant filter's guarantee on its own: the ORM
 * here connects as the owner, a superuser RLS does not apply to, so the statement's own
 * `org_id = <tenant>` is all that stands between the tenants. It holds whatever the caller adds to the
 * predicate, fails closed without a tenant, and follows the transaction's tenant when it moves.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { initModulesORM } from '../../src/app/modules.ts';
import { firstRowsPerParent, parseTimestamp, tenantRows } from '../../src/db/tenant-rows.ts';
import { Project } from '../../src/modules/projects/project.entity.ts';
import { Task } from '../../src/modules/projects/task.entity.ts';
import { User } from '../../src/modules/identity/user.entity.ts';
import { createTestDatabase, type TestDatabase } from '../support/harness.ts';
import { inTenantTx, seedTenant, type SeededTenant } from '../support/orm.ts';

let db: TestDatabase;
let owner: MikroORM;
let a: SeededTenant;
let b: SeededTenant;

before(async () => {
  db = await createTestDatabase();
  owner = await initModulesORM(db.ownerUrl, 2);
  a = await seedTenant(db, 'a');
  b = await seedTenant(db, 'b');
});
after(async () => {
  await owner?.close(true);
  await db?.drop();
});

const inA = <T>(work: Parameters<typeof inTenantTx<T>>[2]) => inTenantTx(owner, { orgId: a.orgId, userId: a.userId }, work);

test("rows of the transaction's tenant only, as plain objects with the entity's names and types", async () => {
  const rows = await inA((_em, tx) => tenantRows(tx, Project));
  assert.deepEqual(rows.map((r) => r.id), [a.projectId]);
  assert.equal(rows[0]!.orgId, a.orgId);
  assert.ok(rows[0]!.createdAt instanceof Date && !Number.isNaN(rows[0]!.createdAt.getTime()));
  assert.ok(rows[0]!.name.includes(a.marker));
});

test("B's id, asked for by id, is not there; nor through a predicate that tries to widen the statement", async () => {
  assert.deepEqual(await inA((_em, tx) => tenantRows(tx, Project, { where: 'id = ?', params: [b.projectId] })), []);
  assert.deepEqual(await inA((_em, tx) => tenantRows(tx, Task, { where: 'true or true' })).then((r) => r.map((t) => t.id)), [a.taskId]);
  assert.deepEqual(await inA((_em, tx) => firstRowsPerParent(tx, Task, 'project_id', [b.projectId, a.projectId], { orderBy: 'created_at, id', limit: 10 })).then((r) => r.map((t) => t.id)), [a.taskId]);
});

test('without a tenant it raises (fail closed), like the tenant filter', async () => {
  await assert.rejects(inTenantTx(owner, { orgId: null, userId: a.userId }, (_em, tx) => tenantRows(tx, Project)), /without a tenant/);
  await assert.rejects(inTenantTx(owner, { orgId: null, userId: a.userId }, (_em, tx) => firstRowsPerParent(tx, Task, 'project_id', [a.projectId], { orderBy: 'id', limit: 1 })), /without a tenant/);
});

test('it follows the one door: after enterTenant, the next read is the new tenant\'s', async () => {
  const ids = await inA(async (_em, tx) => {
    const first = await tenantRows(tx, Project);
    // tenant: a test moving between two seeded tenants.
    await tx.enterTenant({ orgId: b.orgId, userId: b.userId });
    return [...first, ...(await tenantRows(tx, Project))].map((p) => p.id);
  });
  assert.deepEqual(ids, [a.projectId, b.projectId]);
});

test('an entity that is not tenant-owned is refused', async () => {
  await assert.rejects(inA((_em, tx) => tenantRows(tx, User as never)), /not tenant-owned/);
});

test('PostgreSQL timestamptz text becomes the same instant', () => {
  const rows: [string, string][] = [
    ['2026-03-01 12:00:00.123+00', '2026-03-01T12:00:00.123Z'],
    ['2026-03-01 12:00:00.123456+00', '2026-03-01T12:00:00.123Z'],
    ['2026-03-01 12:00:00+05:30', '2026-03-01T06:30:00.000Z'],
    ['2026-03-01 12:00:00.5-03', '2026-03-01T15:00:00.500Z'],
  ];
  for (const [text, iso] of rows) assert.equal((parseTimestamp(text) as Date).toISOString(), iso, text);
});
