/**
 * Rows for tenant-owned entities that world.ts does not seed by hand (a type added with `npm run
 * scaffold`): for each such entity with no rows of the tenant, its `create<Entity>` mutation is called
 * as the tenant's OWNER with the prover's own argument values (arguments.ts), so text carries the
 * tenant's marker. An entity without such a mutation, or whose mutation needs an id (a parent row),
 * is left alone: the prover's "B has rows in every tenant-owned entity" test then names it, and it
 * needs seeding code in world.ts.
 */
import assert from 'node:assert/strict';
import type { GraphQLSchema } from 'graphql';
import { isTenantOwned } from '../../src/db/tenant-owned.ts';
import type { TestApi } from '../support/harness.ts';
import { canonicalValue, idPositions, type GenContext } from './arguments.ts';
import { operationDocument, type RootField } from './operations.ts';
import type { TenantWorld } from './world.ts';

/** Rows created per entity: enough for a page, an update and a delete to leave some behind. */
export const AUTO_SEEDED_ROWS = 3;

/** Seeds `world`'s tenant; returns the entities it seeded, as `Class (table)`. */
export async function seedByCreateMutations(api: TestApi, schema: GraphQLSchema, world: TenantWorld): Promise<string[]> {
  const seeded: string[] = [];
  const metas = Object.values(api.server.services.orm.getMetadata().getAll()).filter(isTenantOwned);
  let counter = 0;
  const ctx: GenContext = { actor: world.owner, a: world, b: world, cursors: { a: [], b: [] }, unique: () => `s${++counter}` };
  for (const meta of metas) {
    const [{ n }] = (await api.db.sql<{ n: number }>(`select count(*)::int as n from "${meta.tableName}" where org_id = $1`, [world.orgId])) as [{ n: number }];
    if (n > 0) continue;
    const field = schema.getMutationType()?.getFields()[`create${meta.className}`];
    if (!field || idPositions(`Mutation.${field.name}`, field.args).length > 0) continue;
    const root: RootField = { operation: 'mutation', coordinate: `Mutation.${field.name}`, field };
    for (let i = 0; i < AUTO_SEEDED_ROWS; i++) {
      const args = Object.fromEntries(field.args.map((arg) => [arg.name, canonicalValue(`${root.coordinate}.${arg.name}`, arg.type, ctx)]));
      const { query, variables } = operationDocument(root, args, 'id');
      const res = await api.gql(query, variables, world.owner.token);
      assert.ok(res.status < 500 && !res.errors, `seeding (${field.name} for ${world.label}): HTTP ${res.status} ${JSON.stringify(res.errors)}`);
    }
    seeded.push(`${meta.className} (${meta.tableName})`);
  }
  return seeded;
}
