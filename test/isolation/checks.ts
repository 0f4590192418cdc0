/**
 * What the prover checks without calling the API: that every field has an explicit shield rule, every
 * tenant-owned entity and tenant table is covered by the tenant base and forced RLS, and every
 * allow-list entry still names something. Each function returns the problems it found, as sentences.
 */
import type { EntityMetadata } from '@mikro-orm/core';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { allow } from 'graphql-shield';
import { isTenantOwned } from '../../src/db/tenant-owned.ts';
import type { TestDatabase } from '../support/harness.ts';
import { ENTITYLESS_TENANT_TABLES, ORG_REFERENCE_COLUMNS, PUBLIC_ROOT_FIELDS } from './allow-lists.ts';
import { outputObjectTypes, rootFields } from './operations.ts';

/** The tenant root: its own id is the tenant, so it has no org_id but is guarded like a tenant table. */
export const TENANT_ROOT = 'organizations';

export interface Catalog {
  /** Base tables of the current schema and their columns. */
  readonly columns: ReadonlyMap<string, ReadonlySet<string>>;
  /** Tables with an org_id column. */
  readonly tenantTables: readonly string[];
  readonly rls: ReadonlyMap<string, { readonly enabled: boolean; readonly forced: boolean }>;
  readonly policies: readonly { tablename: string; policyname: string; cmd: string; qual: string | null; with_check: string | null }[];
}

export async function readCatalog(db: TestDatabase): Promise<Catalog> {
  const cols = await db.sql<{ table: string; column: string }>(
    `select c.table_name as table, c.column_name as column from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'`,
  );
  const columns = new Map<string, Set<string>>();
  for (const { table, column } of cols) columns.set(table, (columns.get(table) ?? new Set()).add(column));
  const rls = await db.sql<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
    `select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = current_schema()::regnamespace and relkind = 'r'`,
  );
  const policies = await db.sql(`select tablename, policyname, cmd, qual, with_check from pg_policies where schemaname = current_schema()`);
  return {
    columns,
    tenantTables: [...columns].filter(([, c]) => c.has('org_id')).map(([t]) => t).sort(),
    rls: new Map(rls.map((r) => [r.relname, { enabled: r.relrowsecurity, forced: r.relforcerowsecurity }])),
    policies: policies as Catalog['policies'],
  };
}

/** Every root field and every object type has an explicit rule (the fallback `deny` does not count). */
export function ruleProblems(schema: GraphQLSchema, rules: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const { coordinate, field } of rootFields(schema)) {
    const typeRules = rules[coordinate.split('.')[0]!] as Record<string, unknown> | undefined;
    const rule = typeRules?.[field.name];
    if (!typeRules || !Object.hasOwn(typeRules, field.name)) problems.push(`${coordinate} has no explicit rule in its module's rules (src/modules/<name>/module.ts; only the fallback)`);
    else if (rule === allow && !(coordinate in PUBLIC_ROOT_FIELDS)) problems.push(`${coordinate} is ruled \`allow\` but is not in PUBLIC_ROOT_FIELDS`);
  }
  for (const type of outputObjectTypes(schema)) {
    const rule = rules[type.name];
    if (rule === undefined) {
      problems.push(`object type ${type.name} has no entry in its module's rules (src/modules/<name>/module.ts)`);
      continue;
    }
    if (typeof rule !== 'object' || rule === null || 'resolve' in rule || '*' in rule) continue; // one rule, or a '*' for the type
    for (const f of Object.keys(type.getFields())) if (!Object.hasOwn(rule, f)) problems.push(`${type.name}.${f} has no rule and its type no '*'`);
  }
  for (const [typeName, typeRules] of Object.entries(rules)) {
    const type = schema.getType(typeName);
    if (!type) problems.push(`rules name a type that does not exist: ${typeName}`);
    else if (isObjectType(type) && typeof typeRules === 'object' && typeRules !== null && !('resolve' in typeRules)) {
      for (const f of Object.keys(typeRules)) if (f !== '*' && !type.getFields()[f]) problems.push(`rules name a field that does not exist: ${typeName}.${f}`);
    }
  }
  return problems;
}

/** Entities with org_id are tenant-owned and vice versa; every tenant table has a tenant-owned entity or an allow-list entry. */
export function entityProblems(metas: readonly EntityMetadata[], catalog: Catalog): string[] {
  const problems: string[] = [];
  const concrete = metas.filter((m) => !m.abstract);
  for (const meta of concrete) {
    const tableHasOrgId = catalog.columns.get(meta.tableName)?.has('org_id') ?? false;
    const propertyHasOrgId = Object.values(meta.properties).some((p) => p.fieldNames?.includes('org_id'));
    if ((tableHasOrgId || propertyHasOrgId) && !isTenantOwned(meta)) {
      problems.push(`entity ${meta.className} (table ${meta.tableName}) has an org_id column but does not extend TenantOwned with its default tenant filter`);
    }
    if (isTenantOwned(meta) && !tableHasOrgId) problems.push(`entity ${meta.className} is tenant-owned but its table ${meta.tableName} has no org_id column`);
    if (!catalog.columns.has(meta.tableName)) problems.push(`entity ${meta.className}: table ${meta.tableName} does not exist`);
  }
  for (const table of catalog.tenantTables) {
    const entity = concrete.find((m) => m.tableName === table);
    if (!entity && !(table in ENTITYLESS_TENANT_TABLES)) problems.push(`table ${table} has an org_id column but no entity (and is not in ENTITYLESS_TENANT_TABLES)`);
  }
  return problems;
}

const readsSetting = (expr: string | null) => expr !== null && expr.includes(`current_setting('app.org_id'`);

/** RLS enabled and forced on every tenant table and the root, every policy on app.org_id. */
export function rlsProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const table of [...catalog.tenantTables, TENANT_ROOT]) {
    const rls = catalog.rls.get(table);
    if (!rls?.enabled) problems.push(`table ${table} has no ROW LEVEL SECURITY enabled`);
    if (!rls?.forced) problems.push(`table ${table} has row level security but not FORCEd (its owner would bypass it)`);
    const mine = catalog.policies.filter((p) => p.tablename === table);
    if (!mine.some((p) => readsSetting(p.qual) || readsSetting(p.with_check))) problems.push(`table ${table} has no policy on app.org_id`);
    for (const p of mine) {
      // What PostgreSQL applies: USING for reads and deletes, WITH CHECK (else USING) for writes.
      const reads = ['SELECT', 'DELETE', 'ALL'].includes(p.cmd) ? [p.qual] : [];
      const writes = p.cmd === 'INSERT' ? [p.with_check] : ['UPDATE', 'ALL'].includes(p.cmd) ? [p.with_check ?? p.qual] : [];
      for (const expr of [...reads, ...writes]) if (!readsSetting(expr)) problems.push(`policy ${table}.${p.policyname} (${p.cmd}) does not check app.org_id: ${expr}`);
    }
  }
  return problems;
}

/** A column naming an organization outside org_id (a tenant column in disguise) must be explained. */
export function orgColumnProblems(catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const [table, cols] of catalog.columns) {
    if (table === TENANT_ROOT) continue;
    for (const col of cols) {
      if (/org/i.test(col) && col !== 'org_id' && !(`${table}.${col}` in ORG_REFERENCE_COLUMNS)) {
        problems.push(`column ${table}.${col} names an organization outside org_id: make the table tenant-owned, or explain it in ORG_REFERENCE_COLUMNS`);
      }
    }
  }
  return problems;
}

/** Allow-list keys that name nothing any more. */
export function staleEntries(list: Readonly<Record<string, string>>, exists: (key: string) => boolean, name: string): string[] {
  return Object.keys(list)
    .filter((k) => !exists(k))
    .map((k) => `${name} names ${k}, which no longer exists: remove the entry`);
}
