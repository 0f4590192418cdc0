import { fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { npmStartNodeFlags } from '../../bench/lib/processes.ts';

const ENTRY = fileURLToPath(new URL('../instance.ts', import.meta.url));

export interface InstanceOptions {
  readonly name: string;
  readonly port: number;
  /** Owner URL (DATABASE_URL; the instance does not migrate, the parent has). */
  readonly ownerUrl: string;
  /** APP_DATABASE_URL: through pgbouncer. */
  readonly appUrl: string;
  /** DIRECT_DATABASE_URL: straight to PostgreSQL. */
  readonly directUrl: string;
  /** DB_POOL_MAX: the ORM pool's size. */
  readonly poolMax: number;
  /** Shared by every instance, as behind one load balancer: a token from one must verify on the others. */
  readonly issuer: string;
  /** The instance's stdout and stderr (JSON log lines) go here. */
  readonly logFile: string;
}

export interface Instance {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts cluster/instance.ts as a child process with the node flags of `npm start` and waits until
 * it listens. Raises `Error` when it exits first (its log file says why).
 */
export async function startInstance(opts: InstanceOptions): Promise<Instance> {
  const log = openSync(opts.logFile, 'a');
  const child = fork(ENTRY, [], {
    execArgv: [...npmStartNodeFlags(), '--import', 'tsx'],
    env: {
      ...process.env,
      PORT: String(opts.port),
      DATABASE_URL: opts.ownerUrl,
      APP_DATABASE_URL: opts.appUrl,
      DIRECT_DATABASE_URL: opts.directUrl,
      JWT_ISSUER: opts.issuer,
      DB_POOL_MAX: String(opts.poolMax),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', log, log, 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { port?: number }) => (m?.port === opts.port ? resolve() : reject(new Error(`${opts.name} sent ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`${opts.name} exited with ${code} before listening: see ${opts.logFile}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: opts.name,
    pid: child.pid!,
    url: `http://127.0.0.1:${opts.port}/graphql`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
