import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/**
 * Server connections pgbouncer may open for the API's (database, role) pair: well under 3 instances x
 * DB_POOL_MAX, to show the pooling. Not enough for a burst of sign-ins, though: a sign-in holds a server
 * connection in its request transaction while its rate-limit counter waits for another one from this
 * same pool (src/platform/limits/rate-limit-buckets.queries.ts), so more concurrent sign-ins than this starve each other
 * until a timeout. The checks sign in at most 5 at a time.
 */
export const SERVER_POOL_SIZE = 12;
const STATS_USER = 'orgbound_stats';

export interface PgbouncerOptions {
  /** Private directory for the ini, the userlist and the log (made readable by the user pgbouncer runs as). */
  readonly dir: string;
  readonly listenPort: number;
  readonly server: { readonly host: string; readonly port: number; readonly database: string };
  readonly role: string;
  readonly password: string;
}

/** One row of SHOW POOLS, SHOW SERVERS, SHOW CLIENTS or SHOW STATS (the admin console answers in text). */
export type ConsoleRow = Record<string, string | null>;

export interface Pgbouncer {
  /** The runtime role's URL through pgbouncer (APP_DATABASE_URL of every instance). */
  readonly appUrl: string;
  /** Runs a SHOW command on the admin console as a stats user. */
  show(what: 'POOLS' | 'SERVERS' | 'CLIENTS' | 'STATS'): Promise<ConsoleRow[]>;
  stop(): Promise<void>;
}

/**
 * Starts pgbouncer in transaction pooling mode on 127.0.0.1:`listenPort`, in front of `server`:
 * clients log in with SCRAM against a userlist, pgbouncer logs in to PostgreSQL with the password in
 * its [databases] entry. Raises `Error` when the binary is missing (`apt-get install pgbouncer`) or
 * it does not accept a connection within 10 s.
 */
export async function startPgbouncer(opts: PgbouncerOptions): Promise<Pgbouncer> {
  const statsPassword = randomBytes(12).toString('hex');
  const ini = join(opts.dir, 'pgbouncer.ini');
  writeFileSync(join(opts.dir, 'userlist.txt'), `"${opts.role}" "${opts.password}"\n"${STATS_USER}" "${statsPassword}"\n`, { mode: 0o600 });
  writeFileSync(ini, iniText(opts), { mode: 0o600 });
  // pgbouncer refuses to run as root: `-u` drops to an unprivileged user, who must read the files.
  const runAs = process.getuid?.() === 0 ? 'nobody' : null;
  if (runAs) for (const path of [opts.dir, ini, join(opts.dir, 'userlist.txt')]) chownSync(path, idOf(runAs, '-u'), idOf(runAs, '-g'));

  const log = createWriteStream(join(opts.dir, 'pgbouncer.log'));
  const child: ChildProcess = spawn(findBinary(), [...(runAs ? ['-u', runAs] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const base = `postgres://${encodeURIComponent(opts.role)}:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.listenPort}/${opts.server.database}`;
  const admin = `postgres://${STATS_USER}:${statsPassword}@127.0.0.1:${opts.listenPort}/pgbouncer`;
  const failedToStart = exited.then((code) => {
    throw new Error(`pgbouncer exited with ${code} at start: see ${join(opts.dir, 'pgbouncer.log')}`);
  });
  await Promise.race([waitUntilServing(base), failedToStart]).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    appUrl: base,
    show: async (what) => {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        return (await client.query<ConsoleRow>(`SHOW ${what}`)).rows;
      } finally {
        await client.end();
      }
    },
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      child.kill('SIGTERM'); // immediate shutdown; the instances have closed their connections already
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function iniText(opts: PgbouncerOptions): string {
  const { host, port, database } = opts.server;
  return `[databases]
${database} = host=${host} port=${port} dbname=${database} user=${opts.role} password=${opts.password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${opts.listenPort}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${join(opts.dir, 'userlist.txt')}
stats_users = ${STATS_USER}
pool_mode = transaction
default_pool_size = ${SERVER_POOL_SIZE}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 300
; The rate-limit counters, which send statement_timeout at startup, go straight to PostgreSQL.
ignore_startup_parameters = extra_float_digits
`;
}

/** The pgbouncer binary: PGBOUNCER_BIN, else PATH, else /usr/sbin (not on a non-root user's PATH on Debian). */
function findBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  const found = process.env.PGBOUNCER_BIN ?? dirs.map((d) => join(d, 'pgbouncer')).find((p) => existsSync(p));
  if (!found) throw new Error('pgbouncer is not installed: apt-get install -y pgbouncer (or set PGBOUNCER_BIN)');
  return found;
}

function idOf(user: string, flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not serve within 10 s: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
