/**
 * `npm run scaffold` on a throwaway copy of the files it reads and edits (src/, schema/, migrations/,
 * codegen.yml, test/isolation/ and test/support/, with node_modules linked): the generated slice
 * parses, carries what isolation rests on (TenantOwned, org_id first in the key, forced RLS with the
 * skeleton's policy text, explicit shield rules, prover generators), the copy's schema builds with
 * it and passes the prover's static checks, and every refusal leaves the files as they were. The
 * end-to-end run (codegen, then the whole suite with the new type) is README.md, "Add your own type".
 * The type names are ones no real module will take, so a repo with a scaffolded Invoice still passes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { getNamedType, isNonNullType, isObjectType, type GraphQLSchema } from 'graphql';
import ts from 'typescript';
import { scaffold, ScaffoldError, type ScaffoldResult } from '../../scripts/scaffold.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const COPIED = ['src', 'schema', 'migrations', 'codegen.yml', 'test/isolation', 'test/support', 'test/db/layers.test.ts', 'package.json', 'tsconfig.json'];
const FIELDS = ['amount:int', 'dueDate:datetime', 'note:string?', 'paid:boolean', 'rate:float?', 'issuedOn:date', 'body:text?'];

let root: string;
let result: ScaffoldResult;
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const generated = (suffix: string) => result.created.find((f) => f.endsWith(suffix))!;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'orgbound-scaffold-'));
  for (const part of COPIED) cpSync(join(REPO, part), join(root, part), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  result = scaffold(root, 'ScaffoldSample', FIELDS);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('writes the five files of the slice and registers it in six places', () => {
  assert.deepEqual(result.created.filter((f) => !f.startsWith('migrations/')), ['src/scaffold-samples/scaffold-sample.entity.ts', 'src/scaffold-samples/scaffold-sample.service.ts', 'src/scaffold-samples/resolvers.ts', 'schema/scaffold-samples.graphql']);
  assert.match(generated('_scaffold_samples.ts'), /^migrations\/Migration\d{14}_scaffold_samples\.ts$/);
  assert.deepEqual(result.changed, ['src/app/entities.ts', 'src/api/graphql/schema.ts', 'src/platform/authorization/rules.ts', 'codegen.yml', 'test/isolation/arguments.ts', 'test/db/layers.test.ts']);
  assert.match(read('test/db/layers.test.ts'), /insert into scaffold_samples \(org_id, id, amount, due_date, paid, issued_on, created_at\) values \(\$1, \$2, 1, now\(\), true, current_date, now\(\)\)`, \[t\.orgId, randomUUID\(\)\]\);/);
});

test('every generated and edited TypeScript file parses', () => {
  for (const file of [...result.created, ...result.changed].filter((f) => f.endsWith('.ts'))) {
    const out = ts.transpileModule(read(file), { fileName: file, reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    assert.deepEqual(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], file);
  }
});

test('the entity extends the tenant base; its properties map every field', () => {
  const entity = read('src/scaffold-samples/scaffold-sample.entity.ts');
  assert.match(entity, /export class ScaffoldSample extends TenantOwned \{/);
  assert.match(entity, /extends: TenantOwnedSchema,/);
  assert.match(entity, /tableName: 'scaffold_samples'/);
  assert.match(entity, /dueDate: \{ type: 'Date', fieldName: 'due_date' \}/);
  assert.match(entity, /note: \{ type: 'text', nullable: true \}/);
  assert.match(entity, /note!: string \| null;/);
});

test('the migration: org_id first in the key and the index, RLS enabled and forced with the skeleton policy, grants', () => {
  const file = generated('_scaffold_samples.ts');
  const newest = readdirSync(join(REPO, 'migrations')).sort().at(-1)!;
  assert.ok(file.slice('migrations/'.length) > newest, `${file} sorts after ${newest}`);
  const sql = read(file);
  const skeleton = readFileSync(join(REPO, 'migrations/Migration20261128000000_skeleton.ts'), 'utf8');
  const currentOrg = /const CURRENT_ORG = `[^`]+`;/.exec(skeleton)![0];
  assert.ok(sql.includes(currentOrg), 'the same CURRENT_ORG expression as the skeleton');
  assert.match(sql, /create table scaffold_samples \(\n\s+org_id uuid not null references organizations \(id\) on delete cascade,\n\s+id uuid not null,/);
  assert.match(sql, /primary key \(org_id, id\)/);
  assert.match(sql, /create index scaffold_samples_org_created_idx on scaffold_samples \(org_id, created_at, id\)/);
  for (const line of [
    'alter table scaffold_samples enable row level security',
    'alter table scaffold_samples force row level security',
    'create policy tenant_isolation on scaffold_samples using (org_id = ${CURRENT_ORG}) with check (org_id = ${CURRENT_ORG})',
    'grant select, insert, update, delete on scaffold_samples to ${APP_ROLE}',
  ]) {
    assert.ok(sql.includes(line), `missing: ${line}`);
    assert.ok(skeleton.includes(line.replaceAll('scaffold_samples', '${table}')), `the skeleton's tenantPolicy no longer reads: ${line}`);
  }
  assert.match(sql, /amount integer not null,/);
  assert.match(sql, /note text check \(length\(note\) between 1 and 200\),/);
  assert.match(sql, /rate double precision,/);
  assert.match(sql, /issued_on date not null,/);
});

test("the copy's schema builds with the slice, and passes the prover's rule and generator checks", async () => {
  const load = (file: string) => import(pathToFileURL(join(root, file)).href);
  const { buildSchema } = await load('src/api/graphql/schema.ts');
  const { rules } = await load('src/platform/authorization/rules.ts');
  const { ruleProblems } = await load('test/isolation/checks.ts');
  const { missingGenerators } = await load('test/isolation/arguments.ts');
  const schema: GraphQLSchema = buildSchema({ shield: false });
  assert.deepEqual(ruleProblems(schema, rules), []);
  assert.deepEqual(missingGenerators(schema), []);
  const query = schema.getQueryType()!.getFields();
  assert.equal(String(query.scaffoldSamples!.type), 'ScaffoldSampleConnection!');
  assert.deepEqual(query.scaffoldSamples!.args.map((a) => `${a.name}: ${String(a.type)}`), ['first: Int', 'after: String']);
  assert.equal(String(query.scaffoldSample!.type), 'ScaffoldSample');
  const create = schema.getMutationType()!.getFields().createScaffoldSample!;
  assert.deepEqual(Object.fromEntries(create.args.map((a) => [a.name, String(a.type)])), { amount: 'Int!', dueDate: 'DateTime!', note: 'String', paid: 'Boolean!', rate: 'Float', issuedOn: 'String!', body: 'String' });
  assert.ok(schema.getMutationType()!.getFields().updateScaffoldSample!.args.slice(1).every((a) => !isNonNullType(a.type)), 'update arguments are all optional');
  const edge = schema.getType('ScaffoldSampleEdge');
  assert.ok(isObjectType(edge) && getNamedType(edge.getFields().node!.type).name === 'ScaffoldSample');
  // The scaffold's scope decision: the projects scopes, never `allow`.
  assert.equal(rules.Query.scaffoldSamples, rules.Query.projects);
  assert.equal(rules.Mutation.createScaffoldSample, rules.Mutation.createProject);
});

test('codegen maps the new types to the entity and the service', () => {
  const yml = read('codegen.yml');
  assert.match(yml, /^ {8}ScaffoldSample: \.\.\/\.\.\/scaffold-samples\/scaffold-sample\.entity\.ts#ScaffoldSample$/m);
  assert.match(yml, /^ {8}ScaffoldSampleConnection: \.\.\/\.\.\/scaffold-samples\/scaffold-sample\.service\.ts#ScaffoldSampleConnection$/m);
});

/** Files whose text must not change when the scaffold refuses. */
const snapshot = () => Object.fromEntries([...result.changed, ...result.created].map((f) => [f, read(f)]));

const REFUSED: [args: [string | undefined, string[], { plural?: string }?], message: string][] = [
  [['ScaffoldSample', ['amount:int']], 'clashes with the existing schema: ScaffoldSample'],
  [['Project', ['x:int']], 'clashes with the existing schema: Project'],
  [['Task', ['x:int'], { plural: 'Chores' }], 'clashes with the existing schema: Task'],
  [['Invitation', ['x:int'], { plural: 'Invites' }], 'clashes with the existing schema: Invitation'],
  [['Membership', ['x:int'], { plural: 'Members' }], 'clashes'],
  [['Widget', ['x:money']], 'unknown type "money"; supported: string, text, int, float, boolean, datetime, date'],
  [['Widget', ['x']], 'is not a field'],
  [['Widget', ['X:int']], 'field name "X" must be camelCase'],
  [['Widget', ['my-field:int']], 'must be camelCase'],
  [['Widget', ['id:string']], 'reserved'],
  [['Widget', ['createdAt:datetime']], 'reserved'],
  [['Widget', ['orgName:string']], 'contains "org"'],
  [['Widget', ['a:int', 'a:string']], 'given twice'],
  [['Widget', []], 'at least one field'],
  [['widget', ['x:int']], 'must be PascalCase'],
  [['Drop Table', ['x:int']], 'must be PascalCase'],
  [['Query', ['x:int']], 'reserved'],
  [['WidgetConnection', ['x:int']], 'reserved'],
  [['Class', ['x:int']], 'reserved word'],
  [['Sheep', ['x:int'], { plural: 'Sheep' }], 'must be PascalCase and differ'],
  [[undefined, []], 'usage:'],
];

test('refuses clashes, unknown types and bad identifiers with a clear message, and writes nothing', () => {
  const before = snapshot();
  const dirs = readdirSync(join(root, 'src')).sort();
  for (const [[name, fields, opts], message] of REFUSED) {
    assert.throws(() => scaffold(root, name, fields, opts), (err: unknown) => err instanceof ScaffoldError && err.message.includes(message), `${name} ${fields.join(' ')}: expected "${message}"`);
  }
  assert.deepEqual(snapshot(), before);
  assert.deepEqual(readdirSync(join(root, 'src')).sort(), dirs);
});

test('the command line: --root and --plural, a refusal exits 1 with the message on stderr', () => {
  const cli = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/scaffold.ts'), '--root', root, ...args], { cwd: REPO, encoding: 'utf8', stdio: 'pipe' });
  const out = cli('ScaffoldPerson', 'nickname:string', '--plural', 'ScaffoldPeople');
  assert.match(out, /src\/scaffold-people\/scaffold-person\.entity\.ts/);
  assert.ok(existsSync(join(root, 'schema/scaffold-people.graphql')));
  assert.match(read('src/platform/authorization/rules.ts'), /scaffoldPeople: projectsRead,\n {4}scaffoldPerson: projectsRead,/);
  assert.throws(() => cli('ScaffoldPerson', 'nickname:string', '--plural', 'ScaffoldPeople'), (err: { status?: number; stderr?: string }) => err.status === 1 && /scaffold: ScaffoldPerson clashes/.test(err.stderr ?? ''));
});
