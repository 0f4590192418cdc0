import type { TestDatabase } from './harness.ts';

/**
 * Every base table with an `org_id` column, read from the catalog so a tenant table added by a later
 * migration is covered without touching the tests that use it.
 */
export async function tenantTables(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ table_name: string }>(
    `select c.table_name
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and c.column_name = 'org_id' and t.table_type = 'BASE TABLE'
      order by c.table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Table name → the tenant's rows as PostgreSQL's own text form, in a stable order. */
export type TenantSnapshot = Record<string, string[]>;

/**
 * Every row an organization owns, read as the owner (bypassing RLS, so nothing is hidden): the
 * `organizations` row itself, the rows of every table with an `org_id` column, and the rows of any
 * other table whose foreign key names the org (a dedicated signing key). The row text (`t::text`)
 * covers every column, so any change to any value shows up as a difference. With `userIds`, the
 * tenant's accounts as well (see snapshotAccounts).
 */
export async function snapshotTenant(db: TestDatabase, orgId: string, opts: { readonly userIds?: readonly string[] } = {}): Promise<TenantSnapshot> {
  const snapshot: TenantSnapshot = {};
  snapshot.organizations = await rowTexts(db, 'organizations', 'id', orgId);
  for (const table of await tenantTables(db)) snapshot[table] = await rowTexts(db, table, 'org_id', orgId);
  for (const { table, column } of await orgReferences(db)) snapshot[`${table} by ${column}`] = await rowTexts(db, table, column, orgId);
  if (opts.userIds) Object.assign(snapshot, await snapshotAccounts(db, opts.userIds));
  return snapshot;
}

/** Single-column foreign keys to organizations(id) from tables without org_id (those are covered by org_id). */
async function orgReferences(db: TestDatabase): Promise<{ table: string; column: string }[]> {
  return db.sql<{ table: string; column: string }>(
    `select t.relname as table, a.attname as column
       from pg_constraint c
       join pg_class t on t.oid = c.conrelid
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      where c.contype = 'f' and c.confrelid = 'organizations'::regclass and cardinality(c.conkey) = 1 and a.attname <> 'org_id'
        and t.relnamespace = current_schema()::regnamespace
      order by 1, 2`,
  );
}

/**
 * The identity rows of `userIds`, which have no org_id: the users, their device sessions, those
 * sessions' refresh tokens, and the users' security events (those without an org included).
 */
export async function snapshotAccounts(db: TestDatabase, userIds: readonly string[]): Promise<TenantSnapshot> {
  const texts = async (sql: string) => (await db.sql<{ row: string }>(sql, [userIds])).map((r) => r.row);
  return {
    users: await texts(`select t::text as row from users t where t.id = any($1::uuid[]) order by 1`),
    device_sessions: await texts(`select t::text as row from device_sessions t where t.user_id = any($1::uuid[]) order by 1`),
    refresh_tokens: await texts(
      `select t::text as row from refresh_tokens t join device_sessions s on s.id = t.session_id where s.user_id = any($1::uuid[]) order by 1`,
    ),
    'security_events by user_id': await texts(`select t::text as row from security_events t where t.user_id = any($1::uuid[]) order by 1`),
  };
}

/**
 * The one write another tenant's requests may cause in an org by design: the record of their
 * cross-tenant attempt in the probed org's own audit trail (src/platform/tenancy/cross-tenant-attempts.ts).
 * Left out of snapshots, which compare everything else byte for byte.
 */
const ATTEMPTS_RECORDED_FOR_THE_VICTIM = `not (t::text like '%,CROSS_TENANT_ACCESS_DENIED,%')`;

async function rowTexts(db: TestDatabase, table: string, column: string, orgId: string): Promise<string[]> {
  const exempt = table === 'security_events' ? ` and ${ATTEMPTS_RECORDED_FOR_THE_VICTIM}` : '';
  const rows = await db.sql<{ row: string }>(`select t::text as row from ${quoteIdent(table)} t where t.${quoteIdent(column)} = $1${exempt} order by 1`, [orgId]);
  return rows.map((r) => r.row);
}

/** Every row of `table` as text: for checking what is really stored (secrets in clear, ids). */
export async function allRowTexts(db: TestDatabase, table: string): Promise<string[]> {
  const rows = await db.sql<{ row: string }>(`select t::text as row from ${quoteIdent(table)} t order by 1`);
  return rows.map((r) => r.row);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
