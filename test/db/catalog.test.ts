/**
 * The isolation rules of docs/ARCHITECTURE.md ("Data rules"), read from PostgreSQL's catalog as the owner
 * and from MikroORM's metadata, so a table or entity added later is checked without new tests.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { discoverModules, initModulesORM } from '../../src/app/modules.ts';
import { APP_ROLE } from '../../src/app/operations/provision.ts';
import { isTenantOwned } from '../../src/db/tenant-owned.ts';
import { createTestDatabase, type TestDatabase } from '../support/harness.ts';
import { tenantTables } from '../support/snapshot.ts';

let db: TestDatabase;
let orm: MikroORM;
/** Tables with an org_id column. */
let owned: string[];
/** Those plus the tenant root. */
let guarded: string[];

before(async () => {
  db = await createTestDatabase();
  orm = await initModulesORM(db.ownerUrl, 1);
  owned = await tenantTables(db);
  guarded = [...owned, 'organizations'];
});
after(async () => {
  await orm?.close(true);
  await db?.drop();
});

const references = (expr: string | null, setting: string) => expr !== null && expr.includes(`current_setting('${setting}'`);

test('the catalog lists the tenant tables (so the checks below cannot pass on nothing)', () => {
  for (const t of ['memberships', 'invitations', 'projects', 'tasks']) assert.ok(owned.includes(t), `${t} has no org_id column`);
});

test('every tenant table has row-level security ENABLEd and FORCEd', async () => {
  const rows = await db.sql<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
    `select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = current_schema()::regnamespace and relname = any($1)`,
    [guarded],
  );
  assert.equal(rows.length, guarded.length);
  for (const r of rows) assert.deepEqual(r, { relname: r.relname, relrowsecurity: true, relforcerowsecurity: true });
});

test('every tenant table has a policy on app.org_id, and every policy there checks app.org_id', async () => {
  const policies = await db.sql<{ tablename: string; policyname: string; cmd: string; qual: string | null; with_check: string | null }>(
    `select tablename, policyname, cmd, qual, with_check from pg_policies where schemaname = current_schema() and tablename = any($1)`,
    [guarded],
  );
  for (const table of guarded) {
    const mine = policies.filter((p) => p.tablename === table);
    assert.ok(mine.some((p) => references(p.qual, 'app.org_id') || references(p.with_check, 'app.org_id')), `${table}: no policy on app.org_id`);
  }
  for (const p of policies) {
    // What PostgreSQL enforces for the command: USING for reads and deletes, WITH CHECK (else USING) for writes.
    const reads = p.cmd === 'SELECT' || p.cmd === 'DELETE' || p.cmd === 'ALL' ? [p.qual] : [];
    const writes = p.cmd === 'INSERT' ? [p.with_check] : p.cmd === 'UPDATE' || p.cmd === 'ALL' ? [p.with_check ?? p.qual] : [];
    for (const expr of [...reads, ...writes]) assert.ok(references(expr, 'app.org_id'), `${p.tablename}.${p.policyname} (${p.cmd}): ${expr}`);
  }
});

test(`the runtime role ${APP_ROLE} can neither bypass RLS nor switch it off`, async () => {
  const [role] = await db.sql(`select rolsuper, rolbypassrls from pg_roles where rolname = $1`, [APP_ROLE]);
  assert.deepEqual(role, { rolsuper: false, rolbypassrls: false });
  // A table's owner may ALTER it (DISABLE ROW LEVEL SECURITY); a granted role may be assumed with SET ROLE.
  const ownedByApp = await db.sql(`select relname from pg_class where relnamespace = current_schema()::regnamespace and relowner = $1::regrole`, [APP_ROLE]);
  assert.deepEqual(ownedByApp, []);
  const granted = await db.sql(
    `select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid
      where m.member = $1::regrole and (r.rolsuper or r.rolbypassrls)`,
    [APP_ROLE],
  );
  assert.deepEqual(granted, []);
});

/**
 * Indexes that deliberately do not lead with org_id, each with the reason. Anything not listed here
 * must lead with org_id.
 */
const INDEX_EXEMPT: Record<string, string> = {
  // viewer.memberships lists the user's own memberships across orgs; RLS (member_read) limits the rows.
  memberships_user_idx: 'identity lookup by user_id across orgs',
  // The security log also holds events with no org (a failed sign-in), so org_id is nullable and
  // cannot be in the key; reads go through security_events_org_idx (org_id, at) and RLS event_read.
  security_events_pkey: 'org_id is nullable: events without an org',
  security_events_user_idx: "a user's own events across orgs (viewer); RLS event_read limits the rows",
};

/**
 * cross_tenant_owner (cross-tenant attempt detection) looks an id up under any other org; the
 * function is SECURITY DEFINER, returns the owner org to the server only, and the API role cannot
 * read these rows itself. So every table of cross_tenant_kinds has one index on (id) alone, exempt
 * from the org_id-first rule.
 */
async function crossTenantIdIndexes(): Promise<Set<string>> {
  const rows = await db.sql<{ index: string }>(
    `select i.relname as index
       from cross_tenant_kinds k
       join pg_index x on x.indrelid = k.table_name
       join pg_class i on i.oid = x.indexrelid
       join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
      where x.indnatts = 1 and a.attname = 'id'`,
  );
  return new Set(rows.map((r) => r.index));
}

test('every index on a tenant table leads with org_id (or is an explained exemption)', async () => {
  const indexes = await db.sql<{ table: string; index: string; first: string | null }>(
    `select t.relname as table, i.relname as index, a.attname as first
       from pg_index x
       join pg_class i on i.oid = x.indexrelid
       join pg_class t on t.oid = x.indrelid
       left join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
      where t.relnamespace = current_schema()::regnamespace and t.relname = any($1)`,
    [owned],
  );
  assert.ok(indexes.length >= owned.length, 'every tenant table has at least its primary key');
  for (const name of Object.keys(INDEX_EXEMPT)) assert.ok(indexes.some((i) => i.index === name), `exempt index ${name} no longer exists: drop it from INDEX_EXEMPT`);
  const idIndexes = await crossTenantIdIndexes();
  assert.deepEqual(indexes.filter((i) => i.first !== 'org_id' && !(i.index in INDEX_EXEMPT) && !idIndexes.has(i.index)).map((i) => `${i.table}.${i.index} leads with ${i.first ?? 'an expression'}`), []);
});

test('every foreign key between tenant tables starts with org_id on both sides', async () => {
  const fks = await db.sql<{ name: string; from: string; to: string; cols: string[]; refs: string[] }>(
    `select c.conname as name, t.relname as from, f.relname as to,
            array(select a.attname from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i)::text[] as cols,
            array(select a.attname from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i)::text[] as refs
       from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_class f on f.oid = c.confrelid
      where c.contype = 'f' and t.relnamespace = current_schema()::regnamespace and t.relname = any($1)`,
    [owned],
  );
  const between = fks.filter((fk) => owned.includes(fk.to));
  assert.ok(between.some((fk) => fk.from === 'tasks' && fk.to === 'projects'), JSON.stringify(fks));
  for (const fk of between) {
    assert.equal(fk.cols[0], 'org_id', `${fk.from}.${fk.name}`);
    assert.equal(fk.refs[0], 'org_id', `${fk.from}.${fk.name}`);
  }
  // The tenant root is referenced through org_id alone.
  for (const fk of fks.filter((f) => f.to === 'organizations')) assert.deepEqual([fk.cols, fk.refs], [['org_id'], ['id']], `${fk.from}.${fk.name}`);
});

test('every entity with an org_id is tenant-owned, keyed by org_id first, on a table under forced RLS', async () => {
  const metas = Object.values(orm.getMetadata().getAll()).filter((m) => !m.abstract);
  const hasOrgId = metas.filter((m) => Object.values(m.properties).some((p) => p.name === 'orgId' || p.fieldNames?.includes('org_id')));
  const tenantOwned = metas.filter(isTenantOwned);
  assert.deepEqual(hasOrgId.filter((m) => !isTenantOwned(m)).map((m) => m.className), []);
  assert.deepEqual(tenantOwned.map((m) => m.tableName).sort(), hasOrgId.map((m) => m.tableName).sort());
  assert.ok(metas.some((m) => m.tableName === 'users' && !isTenantOwned(m)), 'isTenantOwned cannot tell an identity table apart');
  for (const t of ['memberships', 'invitations', 'projects', 'tasks']) assert.ok(tenantOwned.some((m) => m.tableName === t), `${t} is not a tenant-owned entity`);

  const forced = (await db.sql<{ relname: string }>(`select relname from pg_class where relrowsecurity and relforcerowsecurity and relnamespace = current_schema()::regnamespace`)).map((r) => r.relname);
  for (const meta of tenantOwned) {
    assert.ok(forced.includes(meta.tableName), `${meta.tableName} (${meta.className}) has no forced RLS`);
    assert.equal(meta.primaryKeys[0], 'orgId', `${meta.className}'s primary key does not start with orgId`);
  }
});

test('every tenant-owned type with an id of its own is registered for the cross-tenant check, by its module and in cross_tenant_kinds, with its id index', async () => {
  const registered = Object.fromEntries((await discoverModules()).flatMap((m) => Object.entries(m.crossTenant ?? {})));
  const withOwnId = Object.values(orm.getMetadata().getAll()).filter((m) => !m.abstract && isTenantOwned(m) && m.primaryKeys.includes('id'));
  assert.ok(withOwnId.some((m) => m.className === 'Project'), 'the check cannot pass on nothing');
  assert.deepEqual(
    withOwnId.filter((m) => registered[m.className] !== m.tableName).map((m) => `${m.className} (${m.tableName}) is not in its module's crossTenant`),
    [],
  );
  const kinds = await db.sql<{ kind: string; table: string }>(`select kind, table_name::text as table from cross_tenant_kinds order by kind`);
  assert.deepEqual(Object.fromEntries(kinds.map((k) => [k.kind, k.table])), registered, 'cross_tenant_kinds (the migrations) and the modules disagree');
  const idIndexes = await crossTenantIdIndexes();
  for (const { table } of kinds) {
    const has = await db.sql<{ n: number }>(`select count(*)::int as n from pg_index x where x.indrelid = $1::regclass and x.indnatts = 1 and (select attname from pg_attribute where attrelid = x.indrelid and attnum = x.indkey[0]) = 'id'`, [table]);
    assert.ok(has[0]!.n >= 1 && [...idIndexes].some((i) => i.startsWith(table)), `${table} has no index on (id) for cross_tenant_owner`);
  }
  // What is left out has no id of its own: a membership is addressed by its user's id, which no tenant owns.
  const left = Object.values(orm.getMetadata().getAll()).filter((m) => !m.abstract && isTenantOwned(m) && !m.primaryKeys.includes('id'));
  assert.deepEqual(left.map((m) => m.className).sort(), ['Membership']);
});
