/**
 * The dependency rule (docs/ARCHITECTURE.md), enforced by dependency-cruiser with
 * .dependency-cruiser.cjs: arrows point down only (app -> api -> modules -> platform -> db -> core),
 * a module reaches another only through its index.ts, and src/ has no circle. The real tree must pass;
 * a planted tree with one offence of each kind must fail, each for its own rule (a rule that cannot
 * fail proves nothing).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

/** Cruises `src` of `cwd` with the project's rules; returns the violations. */
async function violations(cwd: string): Promise<Violation[]> {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, [CLI, 'src', '--config', join(cwd, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    // depcruise exits non-zero when it finds violations; its report is still on stdout.
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('src/ obeys the dependency rule: no violation, no circle', async () => {
  const found = await violations(ROOT);
  assert.deepEqual(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
});

test('a planted tree breaking each rule once fails, each for its own rule', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgbound-depcruise-'));
  try {
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));
    const files: Record<string, string> = {
      'src/core/vocabulary.ts': `export const TIERS = ['STANDARD'];`,
      'src/core/impure.ts': `import { readFileSync } from 'node:fs';\nexport const x = readFileSync;`,
      'src/db/orm.ts': `import { TIERS } from '../core/vocabulary.ts';\nexport const orm = TIERS;`,
      'src/platform/tenancy.ts': `import { orm } from '../db/orm.ts';\nexport const tenancy = orm;`,
      'src/api/context.ts': `import { tenancy } from '../platform/tenancy.ts';\nexport const context = tenancy;`,
      // A module importing the API layer.
      'src/modules/invoices/service.ts': `import { context } from '../../api/context.ts';\nimport { internal } from '../projects/internal.ts';\nexport const service = context + internal;`,
      'src/modules/invoices/index.ts': `export { service } from './service.ts';`,
      // Another module's internals (not its index.ts).
      'src/modules/projects/internal.ts': `export const internal = 1;`,
      'src/modules/projects/index.ts': `export { internal } from './internal.ts';`,
      // A circle between two modules, through their index files.
      'src/modules/billing/index.ts': `import { b } from '../ledger/index.ts';\nexport const a = b;`,
      'src/modules/ledger/index.ts': `import { a } from '../billing/index.ts';\nexport const b = a;`,
      // A layer importing one above it.
      'src/platform/upward.ts': `import { service } from '../modules/invoices/index.ts';\nexport const upward = service;`,
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const found = await violations(dir);
    const saw = (rule: string, from: string, to: string) =>
      assert.ok(
        found.some((v) => v.rule.name === rule && v.from === from && v.to === to),
        `expected ${rule}: ${from} -> ${to}, got:\n${found.map((v) => `  ${v.rule.name}: ${v.from} -> ${v.to}`).join('\n')}`,
      );
    saw('modules-imports-only-below', 'src/modules/invoices/service.ts', 'src/api/context.ts');
    saw('module-through-its-index', 'src/modules/invoices/service.ts', 'src/modules/projects/internal.ts');
    saw('platform-imports-only-below', 'src/platform/upward.ts', 'src/modules/invoices/index.ts');
    saw('core-is-pure', 'src/core/impure.ts', 'fs');
    assert.ok(found.some((v) => v.rule.name === 'no-circular' && v.from.startsWith('src/modules/billing/')), `no circle reported:\n${JSON.stringify(found)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
