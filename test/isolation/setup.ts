/**
 * The world both the prover and the fuzz run in: an API on a fresh database, tenants A and B seeded
 * through it, B's ids and secrets read back, and B's rows (accounts included) snapshotted.
 */
import { buildSchema } from '../../src/api/graphql/schema.ts';
import { modules } from '../support/modules.ts';
import { encodeCursor } from '../../src/core/relay.ts';
import { startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';
import { snapshotTenant, type TenantSnapshot } from '../support/snapshot.ts';
import { seedByCreateMutations } from './auto-seed.ts';
import { readTenantFacts } from './pools.ts';
import type { Actor, ProverSetup } from './prover.ts';
import { seedTenant } from './world.ts';

/**
 * The abuse limits (graphql-armor) are tested in test/api/limits.test.ts; here they would refuse the
 * generated operations, which select every field to a depth, before they reach a resolver.
 */
export const UNLIMITED_QUERIES: Readonly<Record<string, string>> = {
  GRAPHQL_MAX_DEPTH: '100',
  GRAPHQL_MAX_COST: '10000000',
  GRAPHQL_MAX_ALIASES: '1000',
  GRAPHQL_MAX_DIRECTIVES: '1000',
  GRAPHQL_MAX_TOKENS: '100000',
};

export async function projectCursors(db: TestDatabase, orgId: string): Promise<string[]> {
  const rows = await db.sql<{ created_at: Date; id: string }>(`select created_at, id from projects where org_id = $1 order by created_at, id`, [orgId]);
  return rows.map((r) => encodeCursor({ createdAt: r.created_at, id: r.id }));
}

export interface IsolationWorld extends ProverSetup {
  /** A's OWNER and A's MEMBER, the principals every operation is sent as. */
  readonly actors: readonly Actor[];
  /** B's rows before anything is sent as A. */
  readonly bBefore: TenantSnapshot;
  /** Entities seeded through their create mutation (auto-seed.ts), not by world.ts: scaffolded types. */
  readonly autoSeeded: readonly string[];
  snapshotB(): Promise<TenantSnapshot>;
  /** A's rows and A's accounts, sessions and refresh tokens now. */
  snapshotA(): Promise<TenantSnapshot>;
}

export async function startIsolationWorld(): Promise<IsolationWorld> {
  const api = await startTestApi({ env: { ...UNLIMITED_QUERIES } });
  try {
    return await seedWorld(api);
  } catch (err) {
    await api.close();
    throw err;
  }
}

async function seedWorld(api: TestApi): Promise<IsolationWorld> {
  const a = await seedTenant(api, 'a');
  const b = await seedTenant(api, 'b');
  const schema = buildSchema(modules);
  const autoSeeded = await seedByCreateMutations(api, schema, a);
  await seedByCreateMutations(api, schema, b);
  const aFacts = await readTenantFacts(api.db, a);
  const bFacts = await readTenantFacts(api.db, b);
  const overlap = aFacts.secrets.filter((s) => bFacts.secrets.includes(s));
  if (overlap.length) throw new Error(`tenants A and B share identifying strings: ${overlap.join(', ')}`);
  const cursors = { a: await projectCursors(api.db, a.orgId), b: await projectCursors(api.db, b.orgId) };
  const snapshotB = () => snapshotTenant(api.db, b.orgId, { userIds: bFacts.userIds });
  const snapshotA = () => snapshotTenant(api.db, a.orgId, { userIds: aFacts.userIds });
  return {
    api,
    schema,
    a,
    b,
    aFacts,
    bFacts,
    cursors,
    actors: [
      { name: 'OWNER', principal: a.owner },
      { name: 'MEMBER', principal: a.member },
    ],
    bBefore: await snapshotB(),
    autoSeeded,
    snapshotB,
    snapshotA,
  };
}
