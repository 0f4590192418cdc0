/**
 * `npm run fuzz -- --runs 10000 [--seed N] [--path P]`: the isolation fuzz (test/isolation/fuzz.test.ts)
 * with more runs, or a failing run replayed from the seed (and path) it printed. Runs through
 * test/run.ts, so PostgreSQL is provided as for `npm test` (DATABASE_URL, or the embedded server).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' }, path: { type: 'string' } } });
const integer = (name: string, value: string, min: number) => {
  if (!/^-?\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return value;
};
const env: NodeJS.ProcessEnv = { ...process.env, FUZZ_RUNS: integer('runs', values.runs, 1) };
if (values.seed !== undefined) env.FUZZ_SEED = integer('seed', values.seed, -(2 ** 31));
if (values.path !== undefined) env.FUZZ_PATH = values.path;

const root = new URL('..', import.meta.url).pathname;
const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/isolation/fuzz.test.ts'], { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
