/**
 * The only places allowed to use an API that skips the tenant filter (test/db/filter-holes.test.ts
 * lists them) are the db kernel (src/db/) and the `.queries.ts` files, where each statement carries
 * its own tenant predicate or says why it needs none. Everything else goes through
 * em.find/findOne/count, create + flush of entities it loaded, and the DataLoaders. This scans the
 * source text.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
const ALLOWED_DIRS = ['src/db/', 'src/generated/'];
/** A file whose name ends in `.queries.ts` holds a module's raw SQL, each statement with its own tenant predicate or a reason. */
const QUERY_FILE = /\.queries\.ts$/;

/** Each API that skips the tenant filter (or builds SQL the filter never sees). */
const BYPASSES: [name: string, pattern: RegExp][] = [
  ['createQueryBuilder', /\bcreateQueryBuilder\b/],
  ['.qb(', /\.qb\s*[(<]/],
  ['.execute(', /\.execute\s*[(<]/],
  ['getConnection', /\bgetConnection\b/],
  ['getKnex', /\bgetKnex\b/],
  ['getDriver', /\bgetDriver\b/],
  ['filters:', /\bfilters\s*:/],
  ['setFilterParams', /\bsetFilterParams\b/],
  // A filter registered on an EntityManager under the tenant filter's name shadows it (src/db/unenforced.ts).
  ['addFilter', /\baddFilter\b/],
  ['nativeUpdate', /\bnativeUpdate\b/],
  ['nativeDelete', /\bnativeDelete\b/],
  ['.upsert(', /\.upsert\s*[(<]/],
  ['upsertMany', /\bupsertMany\b/],
  ['.insert(', /\.insert\s*[(<]/],
  ['insertMany', /\binsertMany\b/],
  ['raw(', /\braw\s*[(<]/],
  ['sql`', /\bsql\s*`/],
];

export interface Offence {
  readonly file: string;
  readonly line: number;
  readonly api: string;
  readonly text: string;
}

/**
 * Blanks out comments, keeping every newline so line numbers stay right: prose may name an API
 * ("never use getConnection here"). `//` counts as a comment only at a line start or after
 * whitespace or punctuation, so URLs in strings (`http://`) survive.
 */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(^|[\s;{}(),])\/\/.*$/gm, (_m, lead: string) => lead);
}

/** Every use of a filter-bypassing API in `source`. */
export function findBypasses(file: string, source: string): Offence[] {
  const lines = stripComments(source).split('\n');
  return lines.flatMap((text, i) => BYPASSES.filter(([, re]) => re.test(text)).map(([api]) => ({ file, line: i + 1, api, text: text.trim() })));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const scanned = tsFiles(SRC)
  .map((f) => relative(ROOT, f))
  .filter((f) => !ALLOWED_DIRS.some((d) => f.startsWith(d)) && !QUERY_FILE.test(f))
  .sort();

test('the scan covers the services, resolvers and loaders of the modules, and skips src/db and the query files', () => {
  for (const f of ['src/modules/projects/project.service.ts', 'src/modules/organizations/members.ts', 'src/modules/identity/identity.service.ts', 'src/modules/projects/loaders.ts', 'src/api/graphql/context.ts']) {
    assert.ok(scanned.includes(f), `${f} is not scanned`);
  }
  assert.deepEqual(scanned.filter((f) => ALLOWED_DIRS.some((d) => f.startsWith(d)) || QUERY_FILE.test(f)), []);
});

test('no file outside src/db and the .queries.ts files uses an API that bypasses the tenant filter', () => {
  const offences = scanned.flatMap((f) => findBypasses(f, readFileSync(join(ROOT, f), 'utf8')));
  const report = offences.map((o) => `  ${o.file}:${o.line}  ${o.api}  ${o.text}`).join('\n');
  assert.equal(offences.length, 0, `filter bypass outside src/db and the .queries.ts files (move it into the module's .queries.ts with a comment saying why):\n${report}`);
});

test('the scanner catches each API in a planted sample, at the right line', () => {
  const samples: [api: string, code: string][] = [
    ['createQueryBuilder', `const qb = em.createQueryBuilder(Project);`],
    ['.qb(', `await em.qb(Task).update({ done: true });`],
    ['.qb(', `em.qb<Task>(Task)`],
    ['.execute(', `await em.execute('delete from tasks');`],
    ['getConnection', `const conn = em.getConnection();`],
    ['getKnex', `const knex = em.getKnex();`],
    ['getDriver', `em.getDriver().find('Project', {});`],
    ['filters:', `em.find(Project, {}, { filters: false });`],
    ['filters:', `em.find(Project, {}, { filters : { tenant: { orgId } } });`],
    ['setFilterParams', `em.setFilterParams('tenant', { orgId: other });`],
    ['nativeUpdate', `await em.nativeUpdate(Project, { id }, { name });`],
    ['nativeDelete', `await em.nativeDelete(Task, { id });`],
    ['.upsert(', `await em.upsert(Project, data);`],
    ['upsertMany', `await em.upsertMany(Project, rows);`],
    ['.insert(', `await em.insert(Project, data);`],
    ['insertMany', `await em.insertMany(Project, rows);`],
    ['raw(', `em.find(Project, { [raw('1 = 1')]: [] });`],
    ['sql`', 'const q = sql`select * from projects`;'],
  ];
  for (const [api, code] of samples) {
    const found = findBypasses('sample.ts', `import x from 'y';\n\n${code}\n`);
    assert.deepEqual(found.map((o) => [o.api, o.line]), [[api, 3]], code);
  }
});

test('the scanner ignores comments and the filter-respecting API', () => {
  const clean = [
    `// never call em.getConnection() here: it runs outside the transaction`,
    `/* createQueryBuilder skips the filter,\n   and so does nativeUpdate({ filters: false }) */`,
    `const rows = await em.find(Project, { id }, { orderBy: { createdAt: 'asc' } });`,
    `await em.persist(em.create(Task, data)).flush(); const n = await em.count(Task, {});`,
    `const url = 'http://example.test/raw'; // getKnex in a trailing comment`,
    `const inserted = rows.inserted; const qbName = 'x'; drawRect(1);`,
  ];
  for (const code of clean) assert.deepEqual(findBypasses('clean.ts', code), [], code);
});
