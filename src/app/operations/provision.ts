import pg from 'pg';
import { DB_CONNECT_TIMEOUT_MS } from '../../db/orm.ts';
import { initModulesORM } from '../modules.ts';

/** The API's runtime role: NOSUPERUSER, NOBYPASSRLS, so forced RLS applies to every query it runs. */
export const APP_ROLE = 'orgbound_app';

export interface ProvisionResult {
  /** URL the API connects with at runtime (as APP_ROLE). */
  readonly appUrl: string;
  readonly migrationsApplied: string[];
}

/**
 * Prepares a database for the API: ensures the runtime role, runs pending migrations as the owner
 * (serialised across instances by an advisory lock), and checks the runtime role cannot bypass RLS.
 * Raises `Error` when the runtime role is a superuser or has BYPASSRLS (refuse to start).
 */
export async function provisionDatabase(opts: { ownerUrl: string; appUrl?: string; appPassword: string }): Promise<ProvisionResult> {
  const appUrl = opts.appUrl ?? withCredentials(opts.ownerUrl, APP_ROLE, opts.appPassword);
  const owner = connectionOf(opts.ownerUrl);
  await owner.connect();
  try {
    await owner.query(`select pg_advisory_lock(hashtext('orgbound:migrations'))`);
    if (!opts.appUrl) await ensureAppRole(owner, opts.appPassword);
    const migrationsApplied = await runMigrations(opts.ownerUrl);
    await owner.query(`select pg_advisory_unlock(hashtext('orgbound:migrations'))`);
    await assertRuntimeRoleIsConfined(appUrl);
    return { appUrl, migrationsApplied };
  } finally {
    await owner.end();
  }
}

async function runMigrations(ownerUrl: string): Promise<string[]> {
  const orm = await initModulesORM(ownerUrl, 1);
  try {
    const done = await orm.getMigrator().up();
    return done.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

async function ensureAppRole(owner: pg.Client, password: string): Promise<void> {
  const role = pg.escapeIdentifier(APP_ROLE);
  const exists = await owner.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
  if (exists.rowCount === 0) {
    // Roles are cluster-wide: parallel test databases may race to create it.
    await owner.query(`create role ${role}`).catch((err: { code?: string }) => {
      if (err.code !== '42710' && err.code !== '23505') throw err;
    });
  }
  const alter = `alter role ${role} with login nosuperuser nobypassrls nocreatedb nocreaterole noinherit password ${pg.escapeLiteral(password)}`;
  // The role is cluster-wide while the advisory lock is per database: instances provisioning other
  // databases of the same server (parallel test files) can collide ("tuple concurrently updated").
  for (let attempt = 1; ; attempt++) {
    try {
      await owner.query(alter);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'XX000' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function assertRuntimeRoleIsConfined(appUrl: string): Promise<void> {
  const app = connectionOf(appUrl);
  await app.connect();
  try {
    const { rows } = await app.query<{ rolsuper: boolean; rolbypassrls: boolean; rolname: string }>(
      'select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user',
    );
    const role = rows[0];
    if (!role || role.rolsuper || role.rolbypassrls) {
      throw new Error(`orgbound: the runtime database role ${role?.rolname ?? '?'} must be NOSUPERUSER NOBYPASSRLS`);
    }
  } finally {
    await app.end();
  }
}

/**
 * A single connection that gives up connecting after DB_CONNECT_TIMEOUT_MS, and whose loss while idle
 * (the server restarting during provisioning) fails its next query instead of crashing the process
 * with an unhandled 'error' event: src/app/main.ts then provisions again.
 */
function connectionOf(url: string): pg.Client {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  return client;
}

export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}
