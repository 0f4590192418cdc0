import type { EntityMetadata, EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestTransaction } from './request-transaction.ts';
import { transactionQuery } from './sql.ts';
import { isTenantOwned } from './tenant-owned.ts';

/**
 * The fast read path (issue 17): tenant-owned rows read as plain objects, without the unit of work.
 * A list of 20 projects with 100 tasks hydrated into entities and the identity map cost more than
 * half of the request's CPU; a read-only request has nothing to flush, so it needs neither.
 *
 * What the ORM's tenant filter guaranteed still holds, by construction: every statement this file
 * writes starts its WHERE with `org_id = ?`, bound to the request transaction's own tenant (never an
 * argument), and there is no way to leave it out; without a tenant it raises, as the filter does
 * (fail closed). The statement runs on the request's transaction, so RLS applies as well. The
 * caller supplies only the rest of the predicate and its parameters, from code, never from a client.
 *
 * The objects have the entity's property names and types (timestamps as Date), so resolvers and
 * codegen mappers take them as the entity; they are not managed: changing one changes nothing. A
 * mutation that loads to change uses the EntityManager.
 */
export interface RowQuery {
  /** More of the WHERE, after `org_id = ? and`: column names and `?` placeholders (never the jsonb `?` operator). */
  readonly where?: string;
  readonly params?: readonly unknown[];
  /** `created_at, id`: columns. */
  readonly orderBy?: string;
  readonly limit?: number;
}

interface Shape {
  readonly table: string;
  /** `"org_id" as "orgId", "id" as "id", ...` */
  readonly columns: string;
  /** Properties read back as Date (timestamptz arrives as text from MikroORM's driver settings). */
  readonly dates: readonly string[];
}

const shapes = new WeakMap<object, Map<string, Shape>>();

/** The entity's table and columns, from the ORM's discovered metadata (once per ORM and entity). */
function shapeOf(em: EntityManager, entity: EntityName<object>): Shape {
  const storage = em.getMetadata();
  let byName = shapes.get(storage);
  if (!byName) shapes.set(storage, (byName = new Map()));
  const meta: EntityMetadata = storage.get(typeof entity === 'string' ? entity : (entity as { name: string }).name);
  let shape = byName.get(meta.className);
  if (!shape) {
    if (!isTenantOwned(meta)) throw new Error(`tenant-rows: ${meta.className} is not tenant-owned`);
    const props = Object.values(meta.properties).filter((p) => p.persist !== false && p.fieldNames?.length === 1 && !p.embedded);
    shape = {
      table: meta.tableName,
      columns: props.map((p) => `"${p.fieldNames[0]}" as "${p.name}"`).join(', '),
      dates: props.filter((p) => p.runtimeType === 'Date' || p.type === 'Date' || p.type === 'datetime').map((p) => p.name),
    };
    byName.set(meta.className, shape);
  }
  return shape;
}

/** PostgreSQL's ISO text of a timestamptz (`2026-03-01 12:00:00.123+00`) as a Date. */
export function parseTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}

function hydrate<T>(shape: Shape, rows: Record<string, unknown>[]): T[] {
  if (shape.dates.length > 0) for (const row of rows) for (const p of shape.dates) row[p] = parseTimestamp(row[p]);
  return rows as T[];
}

/** The transaction's tenant, or an error (fail closed). Null under the benchmark's enforcement-off mode. */
function tenantOf(tx: RequestTransaction): string | null {
  if (!tx.enforcesTenant) return null;
  const orgId = tx.tenant?.orgId;
  if (!orgId) throw new Error('Tenant filter used without a tenant (fail closed)');
  return orgId;
}

/** `?` placeholders as `$n`, numbered from `first`. */
function numbered(sql: string, first: number): string {
  let n = first;
  return sql.replace(/\?/g, () => `$${n++}`);
}

/** `where org_id = $1 and (...)`: the tenant first, always (under enforcement). */
function whereClause(orgId: string | null, where: string | undefined, alias = ''): { sql: string; params: unknown[] } {
  const parts = [...(orgId !== null ? [`${alias}org_id = ?`] : []), ...(where ? [`(${where})`] : [])];
  return { sql: parts.length ? ` where ${parts.join(' and ')}` : '', params: orgId !== null ? [orgId] : [] };
}

/**
 * Rows of `entity` in the transaction's tenant. `where` uses `?` placeholders for `params`; an array
 * parameter goes in as one value (`id = any(?)`).
 */
export async function tenantRows<T extends object>(tx: RequestTransaction, entity: EntityName<T>, query: RowQuery = {}): Promise<T[]> {
  const shape = shapeOf(tx.em, entity as EntityName<object>);
  const where = whereClause(tenantOf(tx), query.where);
  const sql = `select ${shape.columns} from "${shape.table}"${where.sql}${query.orderBy ? ` order by ${query.orderBy}` : ''}${query.limit !== undefined ? ' limit ?' : ''}`;
  const params = [...where.params, ...(query.params ?? []), ...(query.limit !== undefined ? [query.limit] : [])];
  return hydrate<T>(shape, await transactionQuery<Record<string, unknown>>(tx.em, numbered(sql, 1), params));
}

/**
 * The first `limit` rows of `entity` for each parent in `parentIds` (by `parentColumn`), in one
 * statement: a LATERAL join runs one index range scan per parent, so a parent with a million rows
 * costs `limit`. Bounded lists (Project.tasks) read through here.
 */
export async function firstRowsPerParent<T extends object>(tx: RequestTransaction, entity: EntityName<T>, parentColumn: string, parentIds: readonly string[], query: { readonly orderBy: string; readonly limit: number }): Promise<T[]> {
  if (parentIds.length === 0) return [];
  const shape = shapeOf(tx.em, entity as EntityName<object>);
  const where = whereClause(tenantOf(tx), `"${parentColumn}" = p.id`);
  const sql = `select x.* from unnest(?::uuid[]) as p(id) cross join lateral (select ${shape.columns} from "${shape.table}"${where.sql} order by ${query.orderBy} limit ?) x`;
  return hydrate<T>(shape, await transactionQuery<Record<string, unknown>>(tx.em, numbered(sql, 1), [parentIds, ...where.params, query.limit]));
}
