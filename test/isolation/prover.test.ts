/**
 * The isolation prover (issue 5): from the executable schema, MikroORM's metadata and PostgreSQL's
 * catalog, it calls every root field as tenant A's OWNER and MEMBER with tenant B's ids wherever an
 * ID goes, scans every response for anything of B, checks B's rows are untouched, and fails on
 * anything it cannot cover. node:test runs the tests of a file in order: the phases depend on it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { EntityMetadata } from '@mikro-orm/core';
import { isTenantOwned } from '../../src/db/tenant-owned.ts';
import { rules } from '../support/modules.ts';
import { ENTITYLESS_TENANT_TABLES, FUZZ_EXCLUDED, LATE_MUTATIONS, NO_SUCCESS_EXPECTED, NOT_RETURNED_KINDS, ORG_REFERENCE_COLUMNS, PUBLIC_ROOT_FIELDS } from './allow-lists.ts';
import { missingGenerators } from './arguments.ts';
import { entityProblems, orgColumnProblems, readCatalog, rlsProblems, ruleProblems, staleEntries, type Catalog } from './checks.ts';
import { outputObjectTypes, rootFields, type RootField } from './operations.ts';
import { attackWithIdsOfB, callLate, callPlainAndHostile, callWithFailingSibling, callWithIdsOfA, isLate, positionsOf } from './phases.ts';
import { Prover, SELECTION_DEPTH } from './prover.ts';
import { startIsolationWorld, type IsolationWorld } from './setup.ts';

const started = performance.now();
let world: IsolationWorld;
let prover: Prover;
let catalog: Catalog;
let metas: EntityMetadata[];
let roots: RootField[];
const phaseTimes: string[] = [];

before(async () => {
  world = await startIsolationWorld();
  prover = new Prover(world);
  catalog = await readCatalog(world.api.db);
  metas = Object.values(world.api.server.services.orm.getMetadata().getAll());
  roots = rootFields(world.schema);
  phaseTimes.push(`seeding ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
after(async () => {
  await world?.api.close();
});

const queries = () => roots.filter((r) => r.operation === 'query');
const mutations = () => roots.filter((r) => r.operation === 'mutation' && !isLate(r));
const withIds = (list: RootField[]) => list.filter((r) => positionsOf(r).length > 0);
/** Fails with the problems as sentences (the first 40: one broken layer can fail hundreds of calls). */
function none(problems: string[], what: string): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 40).join('\n');
  assert.fail(`${what}: ${problems.length} problem(s)${problems.length > 40 ? ', the first 40' : ''}:\n${shown}`);
}

/** Runs one phase and returns its problems, each headed by the phase (a test runs all its phases before it fails). */
async function phase(name: string, work: () => Promise<string[]>): Promise<string[]> {
  const t0 = performance.now();
  const calls = prover.calls;
  const problems = await work();
  phaseTimes.push(`${name}: ${prover.calls - calls} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return problems.map((p) => `[${name}] ${p}`);
}

test('every root field and every object type has an explicit shield rule', () => {
  none(ruleProblems(world.schema, rules), 'shield rules');
});

test('every argument and input field has a value generator', () => {
  none(missingGenerators(world.schema), 'positions without a generator (test/isolation/arguments.ts)');
});

test('every entity whose table has org_id extends TenantOwned, and every tenant table has such an entity', () => {
  assert.ok(catalog.tenantTables.length > 0 && metas.some(isTenantOwned), 'the catalog and the metadata know tenant tables');
  none(entityProblems(metas, catalog), 'entities');
});

test('every table with org_id (and the tenant root) has row-level security ENABLEd and FORCEd, with policies on app.org_id', () => {
  none([...rlsProblems(catalog), ...orgColumnProblems(catalog)], 'row-level security');
});

test('the allow-lists name only what exists', () => {
  const coordinates = new Set(roots.map((r) => r.coordinate));
  const isRoot = (k: string) => coordinates.has(k);
  none(
    [
      ...staleEntries(ENTITYLESS_TENANT_TABLES, (t) => catalog.tenantTables.includes(t), 'ENTITYLESS_TENANT_TABLES'),
      ...staleEntries(ORG_REFERENCE_COLUMNS, (c) => catalog.columns.get(c.split('.')[0]!)?.has(c.split('.')[1]!) ?? false, 'ORG_REFERENCE_COLUMNS'),
      ...staleEntries(PUBLIC_ROOT_FIELDS, isRoot, 'PUBLIC_ROOT_FIELDS'),
      ...staleEntries(LATE_MUTATIONS, isRoot, 'LATE_MUTATIONS'),
      ...staleEntries(NO_SUCCESS_EXPECTED, isRoot, 'NO_SUCCESS_EXPECTED'),
      ...staleEntries(FUZZ_EXCLUDED, isRoot, 'FUZZ_EXCLUDED'),
      ...staleEntries(NOT_RETURNED_KINDS, (k) => world.aFacts.ids.has(k), 'NOT_RETURNED_KINDS'),
    ],
    'allow-lists',
  );
});

test('B has rows in every tenant-owned entity, every tenant table, and in its accounts, sessions and keys', () => {
  const problems: string[] = [];
  for (const meta of metas.filter(isTenantOwned)) if (!world.bBefore[meta.tableName]?.length) problems.push(`entity ${meta.className} (${meta.tableName}): no rows of B seeded`);
  for (const [table, rows] of Object.entries(world.bBefore)) if (rows.length === 0) problems.push(`${table}: no rows of B seeded`);
  for (const table of catalog.tenantTables) if (!(table in world.bBefore)) problems.push(`${table}: not in B's snapshot`);
  none(problems, 'seeding (test/isolation/world.ts)');
});

test("every kind registered for the cross-tenant check knows B's objects as B's from A, and as nobody's from B", async () => {
  const kinds = await world.api.db.sql<{ kind: string; table: string }>(`select kind, table_name::text as table from cross_tenant_kinds`);
  const problems: string[] = [];
  const app = new pg.Client({ connectionString: world.api.db.appUrl });
  await app.connect();
  try {
    for (const { kind, table } of kinds) {
      const ids = world.bFacts.ids.get(`${table}.id`) ?? [];
      if (ids.length === 0) problems.push(`${kind} (${table}): B has no ids of it`);
      for (const id of ids.slice(0, 3)) {
        const owner = async (orgId: string) => {
          await app.query('begin read only');
          await app.query(`select set_config('app.org_id', $1, true)`, [orgId]);
          const row = (await app.query<{ owner: string | null }>(`select cross_tenant_owner($1, $2::uuid) as owner`, [kind, id])).rows[0];
          await app.query('commit');
          return row?.owner ?? null;
        };
        if ((await owner(world.aFacts.orgId)) !== world.bFacts.orgId) problems.push(`${kind} ${id} of B: not recognised as B's from A`);
        if ((await owner(world.bFacts.orgId)) !== null) problems.push(`${kind} ${id} of B: reported as another tenant's from B itself`);
      }
    }
  } finally {
    await app.end();
  }
  assert.ok(kinds.some((k) => k.kind === 'Project'), 'the check cannot pass on nothing');
  none(problems, 'cross-tenant kinds');
});

test("queries as A: B's ids read nothing, A's ids read A's data, hostile values and plain calls leak nothing", async () => {
  const problems = [
    ...(await phase('queries with B ids', () => attackWithIdsOfB(prover, world.actors, withIds(queries())))),
    ...(await phase("queries with A's ids", () => callWithIdsOfA(prover, world.actors, withIds(queries())))),
    ...(await phase('queries, plain and hostile', () => callPlainAndHostile(prover, world.actors, queries()))),
  ];
  none(problems, 'queries');
});

test("mutations as A with B's ids fail exactly as for an id that exists nowhere, and leak nothing", async () => {
  none(await phase('mutations with B ids', () => attackWithIdsOfB(prover, world.actors, withIds(mutations()))), 'problems');
});

test('every mutation as A, with valid and hostile arguments, leaks nothing', async () => {
  none(await phase('mutations, plain and hostile', () => callPlainAndHostile(prover, world.actors, mutations())), 'problems');
});

test("mutations with A's own ids succeed (positive control) and leak nothing", async () => {
  none(await phase("mutations with A's ids", () => callWithIdsOfA(prover, world.actors, withIds(mutations()))), 'problems');
});

test('every mutation followed by a field that fails commits nothing and answers no data (issue 15)', async () => {
  const everyMutation = roots.filter((r) => r.operation === 'mutation');
  none(await phase('mutations followed by a failing field', () => callWithFailingSibling(prover, world.actors, everyMutation, world.snapshotA)), 'problems');
});

test('every query again, after all the mutations, leaks nothing', async () => {
  none(await phase('queries again', () => callPlainAndHostile(prover, world.actors, queries())), 'problems');
});

test('the mutations that end sessions or change A for good, last, on sessions of their own', async () => {
  none(await phase('late mutations', () => callLate(prover, world.actors, roots.filter(isLate))), 'problems');
});

test("every root field was called and answered, every field selected, and A's responses showed A's data", () => {
  const problems: string[] = [];
  for (const { coordinate } of roots) {
    if (!prover.called.has(coordinate)) problems.push(`${coordinate} was never called`);
    else if (!prover.answered.has(coordinate) && !(coordinate in NO_SUCCESS_EXPECTED)) problems.push(`${coordinate} never answered with data: the prover cannot tell a refused attack from a broken call (last: ${prover.lastError.get(coordinate)})`);
    else if (prover.answered.has(coordinate) && coordinate in NO_SUCCESS_EXPECTED) problems.push(`${coordinate} answered with data: remove it from NO_SUCCESS_EXPECTED`);
  }
  for (const type of outputObjectTypes(world.schema)) {
    for (const f of Object.keys(type.getFields())) if (!prover.selected.has(`${type.name}.${f}`)) problems.push(`${type.name}.${f} was never selected (within depth ${SELECTION_DEPTH})`);
  }
  for (const kind of ['marker', ...world.aFacts.ids.keys()]) {
    if (!prover.aSeen.has(kind) && !(kind in NOT_RETURNED_KINDS)) problems.push(`no response to A contained A's ${kind}: the scan may be looking at nothing`);
  }
  none(problems, 'coverage');
});

test("B's rows, accounts and sessions are byte-identical after everything A sent", async () => {
  assert.deepEqual(await world.snapshotB(), world.bBefore);
});

test('coverage', (t) => {
  const objectTypes = outputObjectTypes(world.schema);
  const fields = objectTypes.reduce((n, type) => n + Object.keys(type.getFields()).length, 0);
  const lines = [
    `isolation prover: ${queries().length} query fields, ${roots.length - queries().length} mutation fields, all called as OWNER and MEMBER`,
    `  ${objectTypes.length} object types, ${prover.selected.size}/${fields} of their fields selected (depth ${SELECTION_DEPTH})`,
    `  ${metas.filter(isTenantOwned).length} tenant-owned entities of ${metas.filter((m) => !m.abstract).length}; ${catalog.tenantTables.length} tables with org_id + the tenant root under forced RLS (${catalog.columns.size} tables checked)`,
    `  tenant-owned entities: ${metas.filter(isTenantOwned).map((m) => m.className).sort().join(', ')}${world.autoSeeded.length ? `; seeded through their create mutation: ${world.autoSeeded.join(', ')}` : ''}`,
    `  B: ${[...world.bFacts.ids.values()].flat().length} ids of ${world.bFacts.ids.size} kinds, ${world.bFacts.secrets.length} secrets scanned for; ${Object.values(world.bBefore).flat().length} rows snapshotted`,
    `  ${prover.calls} operations in ${((performance.now() - started) / 1000).toFixed(1)} s (${phaseTimes.join('; ')})`,
  ];
  for (const line of lines) t.diagnostic(line);
  process.stdout.write(`${lines.map((l) => `# ${l}`).join('\n')}\n`);
});
