/**
 * One door into a tenant (issue 16): the RLS setting and the ORM's tenant filter are set in one
 * place, RequestTransaction (src/db/request-transaction.ts), which flushes and forgets tenant data
 * from the identity map whenever the tenant moves. Everywhere else enters a tenant through its
 * begin / enterTenant (or withTenant, runApart, which call them), with the request's own scope
 * (`tenantOf(...)`), no org at all (`{ orgId: null, ... }`), or an org a verified decision names,
 * said in a `// tenant:` comment at the call. This scans the source text.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../..', import.meta.url).pathname;
const DOOR = 'src/db/request-transaction.ts';
/** The door's own helpers: they pass a tenant their caller chose (and the caller is scanned). */
const PASS_THROUGH = new Set(['src/platform/tenancy/with-tenant.ts']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Block comments blanked (line numbers kept): prose may name what it must not call. */
const withoutBlockComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '));
const sources = tsFiles(join(ROOT, 'src')).map((f) => ({ file: relative(ROOT, f), text: withoutBlockComments(readFileSync(f, 'utf8')) }));

export interface Entry {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Calls that set a tenant: begin, enterTenant, withTenant, runApart (with the text of their call). */
export function tenantEntries(file: string, source: string): Entry[] {
  const lines = source.split('\n');
  return lines.flatMap((text, i) => (/\b(enterTenant|withTenant|runApart)\s*\(|\btx\.begin\s*\(/.test(text) && !/^\s*(\*|\/\/)/.test(text) && !/\bfunction\s/.test(text) ? [{ file, line: i + 1, text }] : []));
}

/** Whether an entry takes its tenant from the request's scope, from no org, or says which verified decision names it. */
export function justified(entry: Entry, lines: readonly string[]): boolean {
  if (/tenantOf\(/.test(entry.text) && !/\{\s*orgId:\s*(?!null)/.test(entry.text)) return true;
  if (/\{\s*orgId:\s*null\b/.test(entry.text)) return true;
  // The call's own line, or the line just before it.
  const around = lines.slice(Math.max(0, entry.line - 2), entry.line).join('\n');
  return /\/\/ tenant: \S/.test(around);
}

test('only the door sets RLS and the tenant filter', () => {
  const setters = sources.filter((s) => s.file !== DOOR && (/set_config\(\s*'app\.(org|user)_id'/.test(s.text) || /setFilterParams\s*\(/.test(s.text))).map((s) => s.file);
  assert.deepEqual(setters, []);
  assert.match(sources.find((s) => s.file === DOOR)!.text, /async enterTenant\(/);
});

test('every entry into a tenant names where the tenant comes from', () => {
  const unexplained = sources
    .filter((s) => s.file !== DOOR && !PASS_THROUGH.has(s.file))
    .flatMap((s) => tenantEntries(s.file, s.text).filter((e) => !justified(e, s.text.split('\n'))))
    .map((e) => `  ${e.file}:${e.line}  ${e.text.trim()}`);
  assert.equal(unexplained.length, 0, `tenant entered without its source (tenantOf(scope), { orgId: null }, or a // tenant: comment on the decision):\n${unexplained.join('\n')}`);
});

test('the scan finds entries and tells justified ones from the rest', () => {
  const source = [
    `await ctx.tx.enterTenant(tenantOf(ctx.scope));`,
    `await ctx.tx.enterTenant({ orgId: null, userId });`,
    `// tenant: the user's live membership of it`,
    `await ctx.tx.enterTenant({ orgId, userId });`,
    `await ctx.tx.enterTenant({ orgId: args.organizationId, userId });`,
    `await tx.begin({ orgId: header, userId: null });`,
  ].join('\n');
  const lines = source.split('\n');
  const entries = tenantEntries('sample.ts', source);
  assert.deepEqual(entries.map((e) => e.line), [1, 2, 4, 5, 6]);
  assert.deepEqual(entries.map((e) => justified(e, lines)), [true, true, true, false, false]);
});
