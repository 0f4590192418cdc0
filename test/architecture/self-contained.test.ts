/**
 * A clean clone is self-contained: no file of the project refers to anything outside the repository
 * (the contract, the architecture and the data rules live in docs/), and the repository paths the
 * documentation names exist.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Every tracked or new (not ignored) file, as git lists it. */
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f && existsSync(join(ROOT, f)) && !/\.(png|jpe?g|gif|ico|woff2?)$/.test(f) && !f.endsWith('package-lock.json'));
const text = (f: string) => readFileSync(join(ROOT, f), 'utf8');

/** What points outside the repository: the sibling folder, a machine path, documents that only exist elsewhere. */
const OUTSIDE = [/\.\.\/shared\b/, /\/work\/(main|shared)\b/, /\bSTACK\.md\b/, /\bSTYLE\.md\b/];
const THIS_FILE = 'test/architecture/self-contained.test.ts';

test('no file refers to anything outside the repository', () => {
  assert.ok(files.length > 100 && files.includes('README.md'), 'the file list cannot be empty');
  const found = files.filter((f) => f !== THIS_FILE).flatMap((f) =>
    text(f)
      .split('\n')
      .flatMap((line, i) => (OUTSIDE.some((re) => re.test(line)) ? [`${f}:${i + 1}: ${line.trim().slice(0, 160)}`] : [])),
  );
  assert.deepEqual(found, []);
});

test('the checker itself would catch a reference outside the repository', () => {
  // Assembled at run time, so this file does not itself carry the references it tests for.
  const shared = ['..', 'shared'].join('/');
  for (const sample of [`see ${shared}/API.md`, `in /work/${['shared', 'STACK.md'].join('/')}`, `${'STYLE'}.md rule 6`]) assert.ok(OUTSIDE.some((re) => re.test(sample)), sample);
});

/** Paths in Markdown: relative links, and `src/...`-style paths in code spans. Examples of what a command writes are not expected to exist. */
const EXAMPLE = /invoices|scaffold-samples|<|\*|\.\.\.|…/;
const PATH = /`((?:src|test|scripts|migrations|bench|cluster|docs|schema|patches|examples)\/[A-Za-z0-9_./-]+)`/g;
const LINK = /\]\((?!https?:|#|mailto:)([^)\s#]+)(?:#[^)]*)?\)/g;

test('every repository path the Markdown documents name exists', () => {
  const missing: string[] = [];
  for (const f of files.filter((x) => x.endsWith('.md') && !x.startsWith('examples/web/node_modules'))) {
    const body = text(f);
    // A code-span path names a file of the repository, or of the folder the document is about (examples/web/README.md: src/...).
    const exists = (p: string) => [ROOT, join(ROOT, dirname(f))].some((base) => existsSync(join(base, p.replace(/[.,:;]+$/, ''))));
    for (const [, p] of body.matchAll(PATH)) if (!EXAMPLE.test(p!) && !exists(p!)) missing.push(`${f}: ${p}`);
    for (const [, p] of body.matchAll(LINK)) {
      const target = normalize(join(dirname(f), decodeURIComponent(p!)));
      if (!EXAMPLE.test(p!) && !existsSync(join(ROOT, target))) missing.push(`${f}: (${p})`);
    }
  }
  assert.deepEqual(missing, []);
});
