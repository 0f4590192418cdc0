/**
 * `npm run bench` keeps working: a one-second round of every scenario in every mode on the test
 * server. It fails when the three modes stop agreeing on what a read returns (the raw server's SQL
 * drifted from the real server's), when any benchmarked request fails, or when results.json loses
 * the shape docs/API.md gives it. The numbers themselves are not judged here (BENCHMARKS.md).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCENARIOS } from '../../bench/lib/operations.ts';

test('npm run bench: one short round of every scenario in all three modes, no failed request', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'orgbound-bench-'));
  const out = join(dir, 'results.json');
  try {
    const root = new URL('../..', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--duration', '1', '--rounds', '1', '--warmup', '0', '--connections', '2', '--burst-seconds', '1', '--soak-seconds', '2', '--out', out], {
      cwd: root,
      // The bench makes its own database (orgbound_bench_smoke_<random>) on the test server.
      env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_ADMIN_URL, NODE_ENV: 'development', BENCH_DATABASE_SUFFIX: `smoke_${Math.random().toString(36).slice(2, 10)}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /all modes agree/);
    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      machine: string;
      scenarios: Record<string, Record<string, unknown>>;
      burst: { bursts: number; presentations: number; refusedPresentations: number; readersAloneP99Ms: number; readersDuringBurstsP99Ms: number; ratio: number };
      memory: { enforcedRssMiB: { peakMiB: number } | null; soak: { requests: number; rss: { firstMinuteMiB: number | null; lastMinuteMiB: number | null } } };
    };
    // The burst: every presentation of one token answered (one rotation, the rest retries of it), the readers measured beside it.
    assert.ok(results.burst.bursts >= 1 && results.burst.presentations === results.burst.bursts * 100, JSON.stringify(results.burst));
    assert.equal(results.burst.refusedPresentations, 0, JSON.stringify(results.burst));
    assert.ok(results.burst.readersAloneP99Ms > 0 && results.burst.readersDuringBurstsP99Ms > 0 && results.burst.ratio > 0, JSON.stringify(results.burst));
    assert.ok(results.memory.soak.requests > 0 && results.memory.soak.rss.firstMinuteMiB! > 0 && results.memory.soak.rss.lastMinuteMiB! > 0, JSON.stringify(results.memory));
    assert.match(results.machine, /Node v\d+/);
    assert.deepEqual(Object.keys(results.scenarios).sort(), [...SCENARIOS].sort());
    for (const [name, r] of Object.entries(results.scenarios)) {
      for (const mode of ['enforced', 'unenforced', 'raw']) {
        const m = r[mode] as { rps: number; p50Ms: number; p99Ms: number };
        assert.ok(m.rps > 0 && m.p50Ms >= 0 && m.p99Ms >= m.p50Ms, `${name} ${mode}: ${JSON.stringify(m)}`);
      }
      assert.equal(typeof r.ratioVsUnenforced, 'number', name);
      assert.equal(typeof r.ratioVsRaw, 'number', name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
