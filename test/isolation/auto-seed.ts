/**
 * Rows for tenant-owned entities that world.ts does not seed by hand (a type added with `npm run
 * scaffold`): for each such entity with no rows of the tenant, its `create<Entity>` mutation is called
 * as the tenant's OWNER with the prover's own argument values (arguments.ts), so text carries the
 * tenant's marker. A create that needs ids (a reference to a parent row) gets each of the tenant's own
 * ids in turn until one is accepted; entities are seeded in rounds, so a type referencing another
 * scaffolded type is seeded once its parent has rows. An entity without such a mutation, or whose
 * create accepts none of the tenant's ids, is left alone: the prover's "B has rows in every
 * tenant-owned entity" test then names it, and it needs seeding code in world.ts.
 */
import { isNonNullType, type GraphQLSchema } from 'graphql';
import { isTenantOwned } from '../../src/db/tenant-owned.ts';
import type { TestApi, TestDatabase } from '../support/harness.ts';
import { canonicalValue, idPositions, withValueAt, type GenContext } from './arguments.ts';
import { operationDocument, type RootField } from './operations.ts';
import type { TenantWorld } from './world.ts';

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Rows created per entity: enough for a page, an update and a delete to leave some behind. */
export const AUTO_SEEDED_ROWS = 3;

/** What seeding needs of a tenant: its org, its marker, and its OWNER's credentials. */
export type SeedTenant = Pick<TenantWorld, 'label' | 'orgId' | 'marker'> & { readonly owner: Pick<TenantWorld['owner'], 'email' | 'password' | 'token'> };

/** The table a column's foreign key points at, or null (from the catalog). */
async function referencedTable(db: TestDatabase, table: string, column: string): Promise<string | null> {
  const rows = await db.sql<{ target: string }>(
    `select c.confrelid::regclass::text as target from pg_constraint c
       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey)
      where c.contype = 'f' and c.conrelid = $1::regclass and a.attname = $2 and c.confrelid <> 'organizations'::regclass`,
    [table, column],
  );
  return rows[0]?.target ?? null;
}

/** The tenant's ids of `table` (at most 5). */
async function idsOf(db: TestDatabase, table: string, orgId: string): Promise<string[]> {
  return (await db.sql<{ id: string }>(`select id::text as id from "${table}" where org_id = $1 order by id limit 5`, [orgId])).map((r) => r.id);
}

/** Every id of the tenant's rows: each tenant table's `id` (the candidates for an ID argument no foreign key explains). */
async function tenantIds(db: TestDatabase, orgId: string): Promise<string[]> {
  const tables = await db.sql<{ table: string }>(
    `select c.table_name as table from information_schema.columns c
       join information_schema.columns o on o.table_schema = c.table_schema and o.table_name = c.table_name and o.column_name = 'org_id'
      where c.table_schema = current_schema() and c.column_name = 'id' order by 1`,
  );
  const ids: string[] = [];
  for (const { table } of tables) ids.push(...(await idsOf(db, table, orgId)));
  return ids;
}

/** Seeds `world`'s tenant; returns the entities it seeded, as `Class (table)`. */
export async function seedByCreateMutations(api: TestApi, schema: GraphQLSchema, world: SeedTenant): Promise<string[]> {
  const seeded: string[] = [];
  const metas = Object.values(api.server.services.orm.getMetadata().getAll()).filter(isTenantOwned);
  let counter = 0;
  const samples = () => [];
  const tenant = { ...world, samples } as unknown as TenantWorld;
  const ctx = { actor: world.owner, a: tenant, b: tenant, cursors: { a: [], b: [] }, unique: () => `s${++counter}` } as unknown as GenContext;
  const rowsOf = async (table: string) => ((await api.db.sql<{ n: number }>(`select count(*)::int as n from "${table}" where org_id = $1`, [world.orgId])) as [{ n: number }])[0].n;
  let pending = [];
  for (const meta of metas) {
    if ((await rowsOf(meta.tableName)) > 0) continue;
    const field = schema.getMutationType()?.getFields()[`create${meta.className}`];
    if (field) pending.push({ meta, root: { operation: 'mutation', coordinate: `Mutation.${field.name}`, field } as RootField });
  }
  // Rounds: a create whose ids name nothing seedable yet waits for the next round.
  while (pending.length > 0) {
    const waiting = [];
    for (const entry of pending) {
      const { root } = entry;
      // Required ID arguments only (optional ones stay out): each gets the tenant's ids of the table its
      // column's foreign key points at (createTask.projectId: projects), or any of the tenant's ids.
      const positions = idPositions(root.coordinate, root.field.args).filter((p) => p.path.length === 1 && isNonNullType(root.field.args.find((a) => a.name === p.path[0])!.type));
      const choices: string[][] = [];
      for (const position of positions) {
        const target = await referencedTable(api.db, entry.meta.tableName, snake(position.path[0]!));
        choices.push(target ? await idsOf(api.db, target, world.orgId) : await tenantIds(api.db, world.orgId));
      }
      const attempts = positions.length ? Math.max(...choices.map((c) => c.length)) : 1;
      let created = 0;
      for (let i = 0; i < AUTO_SEEDED_ROWS; i++) {
        for (let k = 0; k < attempts; k++) {
          let args = Object.fromEntries(root.field.args.map((arg) => [arg.name, canonicalValue(`${root.coordinate}.${arg.name}`, arg.type, ctx)]));
          positions.forEach((position, n) => {
            const ids = choices[n]!;
            if (ids.length) args = withValueAt(args, position, ids[(i + k) % ids.length]!);
          });
          const { query, variables } = operationDocument(root, args, 'id');
          const res = await api.gql(query, variables, world.owner.token);
          if (res.status >= 500) throw new Error(`seeding (${root.field.name} for ${world.label}): HTTP ${res.status} ${JSON.stringify(res.errors)}`);
          if (!res.errors) {
            created++;
            break;
          }
          if (positions.length === 0) throw new Error(`seeding (${root.field.name} for ${world.label}): ${JSON.stringify(res.errors)}`);
        }
      }
      if (created > 0) seeded.push(`${entry.meta.className} (${entry.meta.tableName})`);
      else waiting.push(entry);
    }
    if (waiting.length === pending.length) break; // no progress: what is left names no seedable parent
    pending = waiting;
  }
  return seeded;
}
