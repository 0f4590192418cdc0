/**
 * The scaffold writes, never patches (issue 16). Two parts:
 *
 * - In a throwaway copy of src/, schema/ and migrations/: what `scaffold` writes (files only, one
 *   module folder, its SDL and its migration, each carrying what isolation rests on), and that every
 *   refusal of `scaffold` and `scaffold:field` leaves the files as they were.
 * - End to end in a git repository holding a copy of this one (node_modules linked): scaffold a type
 *   with an enum, a unique field, a reference and an order; `git status` shows new files only, and the
 *   regenerated codegen output after `npm run codegen`; it typechecks; the copy's own test runner
 *   migrates a database, starts the server and uses the type as two organizations
 *   (fixtures/invoice-flow.ts: cross-tenant reads and writes refused and audited, own scopes and roles);
 *   `scaffold:field` adds and drops fields and the copy's isolation prover is green with the result;
 *   `scaffold:remove` takes it all out again, leaving deletions and one migration.
 *
 * The in-process part uses type names no real module will take, so a repo with a scaffolded Invoice still passes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { scaffold, ScaffoldError, scaffoldField, type ScaffoldResult } from '../../scripts/scaffold.ts';
import type { SpecOptions } from '../../scripts/scaffold/spec.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const FIELDS = ['amount:int', 'dueDate:datetime', 'note:string?', 'paid:boolean', 'rate:float?', 'issuedOn:date', 'body:text?', 'code:string:unique', 'stage:enum:OPEN,DONE', 'project:ref:Project'];

describe('scaffold in a copy of src/, schema/ and migrations/', () => {
  let root: string;
  let result: ScaffoldResult;
  const read = (file: string) => readFileSync(join(root, file), 'utf8');
  const dir = 'src/modules/scaffold-samples';

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'orgbound-scaffold-'));
    for (const part of ['src', 'schema', 'migrations']) cpSync(join(REPO, part), join(root, part), { recursive: true });
    result = scaffold(root, 'ScaffoldSample', FIELDS, { writeRole: 'ADMIN', order: '-dueDate', now: new Date('2099-01-01T00:00:00Z') });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('creates one module folder, its SDL and one migration, and changes nothing', () => {
    assert.deepEqual(result.changed, []);
    assert.deepEqual(
      result.created.filter((f) => !f.startsWith('migrations/')).sort(),
      [
        'schema/scaffold-samples.graphql',
        ...['index.ts', 'loaders.ts', 'mappers.json', 'module.ts', 'resolvers.ts', 'scaffold-sample.entity.ts', 'scaffold-sample.service.ts', 'scaffold-samples.queries.ts', 'scaffold.json'].map((f) => `${dir}/${f}`),
      ].sort(),
    );
    assert.deepEqual(result.created.filter((f) => f.startsWith('migrations/')), ['migrations/Migration20990101000000_scaffold_samples.ts']);
  });

  test('every generated TypeScript file parses', () => {
    for (const file of result.created.filter((f) => f.endsWith('.ts'))) {
      const out = ts.transpileModule(read(file), { fileName: file, reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      assert.deepEqual(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], file);
    }
  });

  test('the entity extends the tenant base and maps every field', () => {
    const entity = read(`${dir}/scaffold-sample.entity.ts`);
    assert.match(entity, /export class ScaffoldSample extends TenantOwned \{/);
    assert.match(entity, /extends: TenantOwnedSchema,/);
    assert.match(entity, /tableName: 'scaffold_samples'/);
    assert.match(entity, /dueDate: \{ type: 'Date', fieldName: 'due_date' \}/);
    assert.match(entity, /note: \{ type: 'text', nullable: true \}/);
    assert.match(entity, /stage!: 'OPEN' \| 'DONE';/);
    assert.match(entity, /projectId: \{ type: 'uuid', fieldName: 'project_id' \}/);
  });

  test('the migration: org_id first in the key, every index and the foreign key; RLS forced with the skeleton policy; grants; registered for the cross-tenant check', () => {
    const sql = read(result.created.find((f) => f.startsWith('migrations/'))!);
    const skeleton = readFileSync(join(REPO, 'migrations/Migration20261128000000_skeleton.ts'), 'utf8');
    const currentOrg = /const CURRENT_ORG = `[^`]+`;/.exec(skeleton)![0];
    assert.ok(sql.includes(currentOrg), 'the same CURRENT_ORG expression as the skeleton');
    assert.match(sql, /create table scaffold_samples \(\n\s+org_id uuid not null references organizations \(id\) on delete cascade,\n\s+id uuid not null,/);
    for (const line of [
      'primary key (org_id, id)',
      'create index scaffold_samples_org_due_date_idx on scaffold_samples (org_id, due_date desc, id)',
      'create unique index scaffold_samples_org_code_key on scaffold_samples (org_id, code)',
      'foreign key (org_id, project_id) references projects (org_id, id) on delete cascade',
      'create index scaffold_samples_org_project_id_idx on scaffold_samples (org_id, project_id, due_date desc, id)',
      'create index scaffold_samples_id_idx on scaffold_samples (id)',
      "stage text not null check (stage in ('OPEN', 'DONE'))",
      'note text check (length(note) between 1 and 200)',
      'issued_on date not null',
      "insert into cross_tenant_kinds (kind, table_name) values ('ScaffoldSample', 'scaffold_samples')",
    ]) {
      assert.ok(sql.includes(line), `missing: ${line}`);
    }
    for (const line of [
      'alter table scaffold_samples enable row level security',
      'alter table scaffold_samples force row level security',
      'create policy tenant_isolation on scaffold_samples using (org_id = ${CURRENT_ORG}) with check (org_id = ${CURRENT_ORG})',
      'grant select, insert, update, delete on scaffold_samples to ${APP_ROLE}',
    ]) {
      assert.ok(sql.includes(line), `missing: ${line}`);
      assert.ok(skeleton.includes(line.replaceAll('scaffold_samples', '${table}')), `the skeleton's tenantPolicy no longer reads: ${line}`);
    }
  });

  test("the manifest: the type's own scopes and roles, a crossing rule for the reference, never the projects' rules", () => {
    const manifest = read(`${dir}/module.ts`);
    assert.match(manifest, /const read = tenantScope\('scaffold-samples:read'\);/);
    assert.match(manifest, /const write = tenantScope\('scaffold-samples:write'\);/);
    assert.match(manifest, /\{ name: 'scaffold-samples:read', minimumRole: 'MEMBER'/);
    assert.match(manifest, /\{ name: 'scaffold-samples:write', minimumRole: 'ADMIN'/);
    assert.match(manifest, /'Mutation\.deleteScaffoldSample': write,/);
    assert.match(manifest, /'ScaffoldSample\.project': and\(read, tenantScope\('projects:read'\)\),/);
    assert.match(manifest, /'Project\.scaffoldSamples': read,/);
    assert.match(manifest, /crossTenant: \{ ScaffoldSample: 'scaffold_samples' \}/);
    assert.doesNotMatch(manifest, /projects:write/);
  });

  test('the SDL: the enum, the reference as an object and its id argument, the list it adds to Project', () => {
    const sdl = read('schema/scaffold-samples.graphql');
    assert.match(sdl, /enum ScaffoldSampleStage \{\n {2}OPEN\n {2}DONE\n\}/);
    assert.match(sdl, /createScaffoldSample\(amount: Int!, dueDate: DateTime!, note: String, paid: Boolean!, rate: Float, issuedOn: String!, body: String, code: String!, stage: ScaffoldSampleStage!, projectId: ID!\): ScaffoldSample!/);
    assert.match(sdl, / {2}project: Project!\n/);
    assert.match(sdl, /extend type Project \{[\s\S]*scaffoldSamples\(first: Int = 20\): \[ScaffoldSample!\]!/);
  });

  /** Every file under the copy with its text: a refusal must leave them all as they were. */
  const snapshot = () => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else out[p] = read(p);
      }
    };
    for (const d of ['src', 'schema', 'migrations']) walk(d);
    return out;
  };

  const REFUSED: [args: [string | undefined, string[], SpecOptions?], message: string][] = [
    [['ScaffoldSample', ['amount:int']], 'clashes with the existing schema: ScaffoldSample'],
    [['Project', ['x:int']], 'clashes with the existing schema: Project'],
    [['Task', ['x:int'], { plural: 'Chores' }], 'clashes with the existing schema: Task'],
    [['Invitation', ['x:int'], { plural: 'Invites' }], 'clashes with the existing schema: Invitation'],
    [['Membership', ['x:int'], { plural: 'Members' }], 'clashes'],
    [['Widget', ['x:money']], 'unknown type "money"; supported: string, text, int, float, boolean, datetime, date, enum, ref'],
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
    [['Widget', ['x:enum']], 'an enum lists its values'],
    [['Widget', ['x:enum:open,done']], 'must be UPPER_CASE'],
    [['Widget', ['x:enum:A,A']], 'given twice'],
    [['Widget', ['x:boolean:unique']], 'cannot be unique'],
    [['Widget', ['x:int:sorted']], 'unknown part "sorted"'],
    [['Widget', ['owner:ref:User']], 'User is not tenant-owned'],
    [['Widget', ['thing:ref:Gadget']], 'no module maps the type Gadget'],
    [['Widget', ['org:ref:Organization']], 'contains "org"'],
    [['Widget', ['member:ref:Membership']], 'no id of its own'],
    [['Widget', ['projectId:ref:Project']], 'name the reference after the object'],
    [['Widget', ['x:int'], { writeRole: 'ROOT' }], '--write-role must be one of MEMBER, ADMIN, OWNER'],
    [['Widget', ['x:int'], { readRole: 'ADMIN', writeRole: 'MEMBER' }], 'is below --read-role'],
    [['Widget', ['x:int'], { order: 'y' }], 'no field "y"'],
    [['Widget', ['x:int?'], { order: 'x' }], 'order by a required'],
    [['Widget', ['x:boolean'], { order: '-x' }], 'order by a required'],
    [[undefined, []], 'usage:'],
  ];

  test('refuses clashes, unknown types, bad identifiers and bad options with a clear message, and writes nothing', () => {
    const before = snapshot();
    for (const [[name, fields, opts], message] of REFUSED) {
      assert.throws(() => scaffold(root, name, fields, opts), (err: unknown) => err instanceof ScaffoldError && err.message.includes(message), `${name} ${fields.join(' ')}: expected "${message}"`);
    }
    assert.deepEqual(snapshot(), before);
  });

  test('scaffold:field refuses what would break existing rows or lose edits, and writes nothing', () => {
    const before = snapshot();
    const refused: [string | undefined, { drop?: string; default?: string }, string][] = [
      ['customer:string', {}, 'pass --default <value>'],
      ['customer:string', { default: 'a`b' }, 'must not contain'],
      ['count:int', { default: 'many' }, 'is not a valid int'],
      ['kind:enum:A,B', { default: 'C' }, 'is not a valid value of A, B'],
      ['serial:string:unique', { default: 'x' }, 'a unique field added later must be optional'],
      ['task:ref:Task', {}, 'a reference added later must be optional'],
      ['amount:int?', {}, 'has a field "amount" already'],
      ['extra:int?', { default: '1' }, '--default is for a required field'],
      [undefined, { drop: 'nothing' }, 'has no field "nothing"'],
      [undefined, { drop: 'dueDate' }, 'is ordered by dueDate'],
    ];
    for (const [field, opts, message] of refused) {
      assert.throws(() => scaffoldField(root, 'ScaffoldSample', field, opts), (err: unknown) => err instanceof ScaffoldError && err.message.includes(message), `${field} ${JSON.stringify(opts)}: expected "${message}"`);
    }
    assert.throws(() => scaffoldField(root, 'Project', 'x:int?'), /was not written by the scaffold/);
    // A module file edited since: the scaffold will not regenerate it without --force.
    writeFileSync(join(root, `${dir}/module.ts`), `${read(`${dir}/module.ts`)}// mine\n`);
    const edited = snapshot();
    assert.throws(() => scaffoldField(root, 'ScaffoldSample', 'extra:int?'), /changed since the scaffold wrote them: src\/modules\/scaffold-samples\/module\.ts/);
    assert.deepEqual(snapshot(), edited);
    writeFileSync(join(root, `${dir}/module.ts`), before[`${dir}/module.ts`]!);
  });

  test('the command line: --help, and a refusal exits 1 with the message on stderr', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/scaffold.ts'), ...args], { cwd: REPO, encoding: 'utf8' });
    for (const args of [['--help'], ['field', '--help'], ['remove', '--help']]) {
      const r = cli(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: npm run scaffold/);
    }
    const refused = cli('ScaffoldSample', 'amount:int', '--root', root);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^scaffold: ScaffoldSample clashes/);
  });
});

describe('scaffold, use, change and remove a type in a git copy of the repository', () => {
  let copy: string;
  const inCopy = (cmd: string, args: string[], env: Record<string, string> = {}) => execFileSync(cmd, args, { cwd: copy, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, ...env } });
  const git = (...args: string[]) => inCopy('git', ['-c', 'user.email=scaffold@example.test', '-c', 'user.name=scaffold', ...args]);
  const npmRun = (script: string, ...args: string[]) => inCopy('npm', ['run', '--silent', script, '--', ...args]);
  /** `git status --porcelain` lines, as `XY path`. */
  const status = () => git('status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).sort();
  /** The copy's own test runner on `filters`, against this run's PostgreSQL, reporting TAP on every Node. Fails with its output. */
  const copyTests = (...filters: string[]) => {
    // Without NODE_TEST_CONTEXT: a node --test inside this one would report to it instead of running.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', ...filters], { cwd: copy, encoding: 'utf8', env: { ...env, DATABASE_URL: process.env.TEST_DATABASE_ADMIN_URL!, NODE_ENV: 'test', TEST_REPORTER: 'tap' }, maxBuffer: 64 * 1024 * 1024 });
    const failed = r.stdout.split('\n').filter((l) => /^not ok|^\s+not ok/.test(l));
    assert.equal(r.status, 0, `the copy's tests failed (${filters.join(' ')}):\n${failed.join('\n')}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /^# fail 0$/m);
    return r.stdout;
  };
  const typecheck = () => {
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], { cwd: copy, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  };

  before(() => {
    copy = mkdtempSync(join(tmpdir(), 'orgbound-scaffold-git-'));
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter((f) => f && existsSync(join(REPO, f)));
    for (const f of files) cpSync(join(REPO, f), join(copy, f), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'orgbound');
  });
  after(() => rmSync(copy, { recursive: true, force: true }));

  test('scaffold writes new files only; codegen regenerates its output; nothing else changes', () => {
    npmRun('scaffold', 'Invoice', 'amount:int', 'dueDate:datetime', 'number:string:unique', 'status:enum:DRAFT,SENT,PAID', 'project:ref:Project', 'note:text?', '--write-role', 'ADMIN', '--order', '-dueDate');
    const created = status();
    assert.ok(created.length >= 10, created.join('\n'));
    assert.deepEqual(created.filter((l) => !l.startsWith('?? ')), [], 'only new files');
    assert.ok(created.every((l) => /^\?\? (src\/modules\/invoices\/|schema\/invoices\.graphql$|migrations\/Migration\d{14}_invoices\.ts$)/.test(l)), created.join('\n'));
    npmRun('codegen');
    assert.deepEqual(status().filter((l) => !l.startsWith('?? ')), [' M src/generated/resolvers-types.ts']);
    typecheck();
  });

  test("the copy migrates, starts and serves the type to two organizations: isolation, audit, scopes and roles hold (its catalog checks too)", () => {
    cpSync(join(REPO, 'test/scaffold/fixtures/invoice-flow.ts'), join(copy, 'test/scaffold/fixtures/invoice-flow.test.ts'));
    const out = copyTests('test/scaffold/fixtures/invoice-flow', 'test/db/catalog');
    assert.match(out, /^# pass (\d+)$/m);
    assert.match(out, /^ok \d+ - unique within the organization/m, 'the flow ran');
    rmSync(join(copy, 'test/scaffold/fixtures/invoice-flow.test.ts'));
  });

  test("scaffold:field adds and drops fields with a migration each; the copy's isolation prover is green with the result", () => {
    npmRun('scaffold:field', 'Invoice', 'customerName:string', '--default', 'n/a');
    npmRun('scaffold:field', 'Invoice', 'paidAt:datetime?');
    npmRun('scaffold:field', 'Invoice', '--drop', 'note');
    const migrations = status().filter((l) => l.startsWith('?? migrations/'));
    assert.equal(migrations.length, 4, migrations.join('\n'));
    assert.ok(migrations.some((l) => /_invoices_add_customer_name\.ts$/.test(l)) && migrations.some((l) => /_invoices_drop_note\.ts$/.test(l)));
    npmRun('codegen');
    typecheck();
    const out = copyTests('test/isolation/prover', 'test/db/catalog');
    assert.match(out, /tenant-owned entities: .*Invoice.*seeded through their create mutation: Invoice \(invoices\)/);
    const sdl = readFileSync(join(copy, 'schema/invoices.graphql'), 'utf8');
    assert.match(sdl, /customerName: String!/);
    assert.doesNotMatch(sdl, /\bnote\b/);
  });

  test('scaffold:remove deletes the module and writes a migration dropping its table; the copy is whole again', () => {
    git('add', '-A');
    git('commit', '-qm', 'invoices');
    npmRun('scaffold:remove', 'Invoice');
    npmRun('codegen');
    const left = status();
    assert.ok(left.every((l) => /^ D (src\/modules\/invoices\/|schema\/invoices\.graphql$)|^\?\? migrations\/Migration\d{14}_drop_invoices\.ts$|^ M src\/generated\/resolvers-types\.ts$/.test(l)), left.join('\n'));
    assert.ok(!existsSync(join(copy, 'src/modules/invoices')));
    assert.doesNotMatch(readFileSync(join(copy, 'src/generated/resolvers-types.ts'), 'utf8'), /Invoice/);
    copyTests('test/db/catalog');
  });
});
