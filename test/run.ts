/**
 * `npm test`: provides PostgreSQL, then runs node's test runner over every test/**\/*.test.ts.
 * With DATABASE_URL set, that server is used; otherwise an embedded PostgreSQL is started for this
 * run alone: data in a fresh temporary directory, on a free port, removed afterwards, so runs side by
 * side (another clone, CI next to a developer) never share or stop each other's server
 * (TEST_EMBEDDED_PG_DIR and TEST_EMBEDDED_PG_PORT pin them). Each test file creates and drops its own
 * database, so files run in parallel. TEST_REPORTER picks node's reporter (tap, spec, dot); unset, node
 * picks (TAP to a pipe on Node 20, spec on 22 and later).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from '../src/app/operations/embedded.ts';
import { freePort } from './support/ports.ts';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = findTests(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no test files match ${filters.join(' ')}\n`);
  process.exit(1);
}

const started = Date.now();
const scratchDir = process.env.DATABASE_URL || process.env.TEST_EMBEDDED_PG_DIR ? null : mkdtempSync(join(tmpdir(), 'orgbound-test-pg-'));
if (scratchDir) chmodSync(scratchDir, 0o755); // the cluster runs as the `postgres` user (PostgreSQL refuses root)
const embedded = process.env.DATABASE_URL
  ? null
  : await startEmbeddedPostgres({
      dir: process.env.TEST_EMBEDDED_PG_DIR ?? join(scratchDir!, 'data'),
      port: process.env.TEST_EMBEDDED_PG_PORT ? Number(process.env.TEST_EMBEDDED_PG_PORT) : await freePort(),
      database: 'postgres',
    });
const adminUrl = process.env.DATABASE_URL ?? embedded!.url;
process.stdout.write(`# PostgreSQL: ${embedded ? 'embedded' : 'DATABASE_URL'} (ready in ${Date.now() - started} ms), node ${process.version}\n`);

const reporter = process.env.TEST_REPORTER ? [`--test-reporter=${process.env.TEST_REPORTER}`] : [];
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporter, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_ADMIN_URL: adminUrl, NODE_ENV: 'test' },
});
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await embedded?.stop();
if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
process.stdout.write(`# npm test finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(code);
