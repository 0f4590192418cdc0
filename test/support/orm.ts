import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { RequestTransaction } from '../../src/db/request-transaction.ts';
import { TENANT_FILTER } from '../../src/db/tenant-owned.ts';
import type { TestDatabase } from './harness.ts';

/** One tenant seeded straight into the database: an org, its OWNER, one project and one task. */
export interface SeededTenant {
  readonly orgId: string;
  readonly userId: string;
  readonly projectId: string;
  readonly taskId: string;
  /** Appears in this tenant's project name and task title only. */
  readonly marker: string;
}

/**
 * Seeds a tenant as the owner (RLS does not apply to a superuser). Far cheaper than the API, so a
 * test that lets a hole change a tenant's rows can use tenants of its own.
 */
export async function seedTenant(db: TestDatabase, label: string): Promise<SeededTenant> {
  const t = { orgId: randomUUID(), userId: randomUUID(), projectId: randomUUID(), taskId: randomUUID(), marker: `marker-${label}-${randomUUID().slice(0, 8)}` };
  await db.sql(
    `with u as (insert into users (id, email, password_hash) values ($2, $6, 'x')),
          o as (insert into organizations (id, name, tier) values ($1, 'org ' || $5, 'STANDARD')),
          m as (insert into memberships (org_id, user_id, role) values ($1, $2, 'OWNER')),
          p as (insert into projects (org_id, id, name, created_at) values ($1, $3, 'project ' || $5, now()))
     insert into tasks (org_id, id, project_id, title, created_at) values ($1, $4, $3, 'task ' || $5, now())`,
    [t.orgId, t.userId, t.projectId, t.taskId, t.marker, `${t.marker}@example.test`],
  );
  return t;
}

/** A fork whose `tenant` filter names `orgId`, without any database setting (for the owner ORM). */
export function filteredFork(orm: MikroORM, orgId: string): EntityManager {
  const em = orm.em.fork({ clear: true, useContext: false });
  em.setFilterParams(TENANT_FILTER, { orgId });
  return em;
}

/**
 * Runs `work` the way a request does: a RequestTransaction (a fresh fork, BEGIN, the tenant's RLS
 * setting and filter param), then COMMIT, so whatever RLS let through is really stored for the owner
 * to see. Rolls back and rethrows when `work` fails.
 */
export async function inTenantTx<T>(orm: MikroORM, tenant: { orgId: string | null; userId: string | null }, work: (em: EntityManager, tx: RequestTransaction) => Promise<T>): Promise<T> {
  const tx = new RequestTransaction(orm);
  await tx.begin(tenant);
  let ok = false;
  try {
    const result = await work(tx.em, tx);
    ok = true;
    return result;
  } finally {
    await tx.finish(ok);
  }
}

/**
 * What switching tenant looked like before the one door (RequestTransaction.enterTenant): the RLS
 * setting and the filter param changed, the identity map left alone. For the tests that show why
 * that is not enough.
 */
export async function switchTenantBare(em: EntityManager, tenant: { orgId: string | null; userId: string | null }): Promise<void> {
  await em.execute(`select set_config('app.org_id', ?, true), set_config('app.user_id', ?, true)`, [tenant.orgId ?? '', tenant.userId ?? '']);
  if (tenant.orgId) em.setFilterParams(TENANT_FILTER, { orgId: tenant.orgId });
}

/** The PostgreSQL SQLSTATE of a driver error MikroORM wrapped (or of the error itself). */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: string; sqlState?: string; cause?: { code?: string } };
  return e.sqlState ?? e.code ?? e.cause?.code;
}
