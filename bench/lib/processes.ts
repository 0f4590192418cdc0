import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from './database.ts';

export type Mode = 'enforced' | 'unenforced' | 'raw';

export interface BenchServer {
  readonly mode: Mode;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('../api-server.ts', import.meta.url));

/**
 * The node flags `npm start` runs the API with (package.json), so every mode runs as production
 * would: e.g. `--max-semi-space-size=32` (a larger young generation: +20 % on projectsWithTasks here,
 * BENCHMARKS.md).
 */
export function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`bench: npm start does not run node: ${pkg.scripts.start}`);
  return words.slice(1).filter((w, i, all) => w.startsWith('--') && w !== '--import' && all[i - 1] !== '--import');
}

/**
 * Starts bench/api-server.ts in `mode` as a child process on `db` and waits until it listens. Its
 * stdout (request logs) goes nowhere, as a production log shipper would take it; stderr is shown.
 * `nodeFlags` (e.g. `--cpu-prof`) go to the server's node.
 */
export async function startBenchServer(mode: Mode, db: BenchDatabase, env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<BenchServer> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: [...npmStartNodeFlags(), ...nodeFlags, '--import', 'tsx'],
    env: { ...process.env, ...env, BENCH_MODE: mode, BENCH_OWNER_URL: db.ownerUrl, BENCH_APP_URL: db.appUrl },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number }) => (typeof m?.port === 'number' ? resolve(m.port) : reject(new Error(`bench: ${mode} server sent ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`bench: ${mode} server exited with ${code} before listening`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    mode,
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    stop: async () => {
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
