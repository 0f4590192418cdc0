/**
 * The prover's own checks, shown to fail when a layer is missing: a check that cannot fail proves
 * nothing. Each case takes one layer away (in a scratch database, or in a copy of the rules, the
 * metadata or the schema) and expects the sentence the prover would fail the build with.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EntityMetadata } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildASTSchema, parse } from 'graphql';
import { deny } from 'graphql-shield';
import { initModulesORM } from '../../src/app/modules.ts';
import { encodeCursor } from '../../src/core/relay.ts';
import { buildSchema, loadTypeDefs } from '../../src/api/graphql/schema.ts';
import { modules, rules } from '../support/modules.ts';
import { createTestDatabase, type TestDatabase } from '../support/harness.ts';
import { missingGenerators } from './arguments.ts';
import { entityProblems, orgColumnProblems, readCatalog, rlsProblems, ruleProblems, type Catalog } from './checks.ts';
import { secretsIn } from './scan.ts';

let db: TestDatabase;
let orm: MikroORM;
let catalog: Catalog;
let metas: EntityMetadata[];
const schema = buildSchema(modules);

before(async () => {
  db = await createTestDatabase();
  orm = await initModulesORM(db.ownerUrl, 1);
  catalog = await readCatalog(db);
  metas = Object.values(orm.getMetadata().getAll());
});
after(async () => {
  await orm?.close(true);
  await db?.drop();
});

const has = (problems: string[], fragment: string) => assert.ok(problems.some((p) => p.includes(fragment)), `expected a problem mentioning "${fragment}", got:\n${problems.join('\n')}`);

test('the real schema, rules, entities and catalog pass every check', () => {
  assert.deepEqual([...ruleProblems(schema, rules), ...entityProblems(metas, catalog), ...rlsProblems(catalog), ...orgColumnProblems(catalog), ...missingGenerators(schema)], []);
});

test('a root field without its own rule (only the fallback) fails', () => {
  const { project: _dropped, ...query } = rules.Query!;
  has(ruleProblems(schema, { ...rules, Query: query }), 'Query.project has no explicit rule');
});

test('an object type without an entry, and a root field ruled allow without a reason, fail', () => {
  const { Task: _dropped, ...rest } = rules;
  has(ruleProblems(schema, rest), 'object type Task has no entry');
  has(ruleProblems(schema, { ...rules, Query: { ...rules.Query!, projects: rules.Mutation!.signUp } }), 'Query.projects is ruled `allow`');
  has(ruleProblems(schema, { ...rules, Query: { ...rules.Query!, gone: deny } }), 'Query.gone');
});

test('an entity on a table with org_id that does not extend TenantOwned fails', () => {
  const task = metas.find((m) => m.className === 'Task')!;
  class Task {} // the same entity, declared without the tenant base (and so without its filter)
  const detached = Object.assign(Object.create(Object.getPrototypeOf(task)), task, { class: Task, filters: {} });
  has(entityProblems([...metas.filter((m) => m !== task), detached], catalog), 'entity Task (table tasks) has an org_id column but does not extend TenantOwned');
});

test('a table with org_id and no entity fails unless it is explained', () => {
  const columns = new Map(catalog.columns).set('widgets', new Set(['org_id', 'id']));
  has(entityProblems(metas, { ...catalog, columns, tenantTables: [...catalog.tenantTables, 'widgets'] }), 'table widgets has an org_id column but no entity');
});

test('a tenant table without FORCE, without RLS, or without its policy fails (in a scratch database)', async () => {
  await db.sql(`alter table tasks no force row level security`);
  has(rlsProblems(await readCatalog(db)), 'table tasks has row level security but not FORCEd');
  await db.sql(`alter table tasks disable row level security`);
  await db.sql(`drop policy if exists tenant_isolation on tasks`);
  const problems = rlsProblems(await readCatalog(db));
  has(problems, 'table tasks has no ROW LEVEL SECURITY enabled');
  has(problems, 'table tasks has no policy on app.org_id');
});

test('a new table with org_id, and a column naming an org outside org_id, fail', async () => {
  await db.sql(`create table widgets (org_id uuid not null, id uuid not null, primary key (org_id, id))`);
  await db.sql(`alter table users add column home_org_id uuid`);
  const changed = await readCatalog(db);
  has(rlsProblems(changed), 'table widgets has no ROW LEVEL SECURITY enabled');
  has(entityProblems(metas, changed), 'table widgets has an org_id column but no entity');
  has(orgColumnProblems(changed), 'column users.home_org_id');
});

test('an argument nothing can fill fails', () => {
  const grown = buildASTSchema(parse([...loadTypeDefs(modules), 'extend type Query { widget(color: String!, id: ID): String }'].join('\n')));
  assert.deepEqual(missingGenerators(grown), ['Query.widget.color: String!']);
});

test('the scan finds a secret in plain text, in errors, in a cursor and in a JWT claim, in any case', () => {
  const id = '0b9d3c0e-8f7e-4c5a-9d51-2f0e6f1b7a10';
  const jwt = (claims: object) => ['{"alg":"ES256"}', JSON.stringify(claims)].map((s) => Buffer.from(s).toString('base64url')).join('.') + '.c2ln';
  assert.deepEqual(secretsIn(JSON.stringify({ data: { project: { id } } }), [id]), [id]);
  assert.deepEqual(secretsIn(JSON.stringify({ errors: [{ message: `x ${id.toUpperCase()}` }] }), [id]), [id]);
  assert.deepEqual(secretsIn(JSON.stringify({ data: { c: encodeCursor({ createdAt: new Date(), id }) } }), [id]), [id]);
  assert.deepEqual(secretsIn(JSON.stringify({ data: { t: jwt({ org_id: id }) } }), [id]), [id]);
  assert.deepEqual(secretsIn(JSON.stringify({ data: { project: null } }), [id]), []);
});
