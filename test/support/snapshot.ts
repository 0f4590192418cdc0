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
 * `organizations` row itself plus the rows of every table with an `org_id` column. The row text
 * (`t::text`) covers every column, so any change to any value shows up as a difference.
 */
export async function snapshotTenant(db: TestDatabase, orgId: string): Promise<TenantSnapshot> {
  const snapshot: TenantSnapshot = {};
  snapshot.organizations = await rowTexts(db, 'organizations', 'id', orgId);
  for (const table of await tenantTables(db)) snapshot[table] = await rowTexts(db, table, 'org_id', orgId);
  return snapshot;
}

async function rowTexts(db: TestDatabase, table: string, column: string, orgId: string): Promise<string[]> {
  const rows = await db.sql<{ row: string }>(`select t::text as row from ${quoteIdent(table)} t where t.${quoteIdent(column)} = $1 order by 1`, [orgId]);
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
