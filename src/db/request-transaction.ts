import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { transactionQuery } from './sql.ts';
import { isUnenforced } from './unenforced.ts';
import { isTenantData, TENANT_FILTER } from './tenant-owned.ts';

export interface TenantSetting {
  readonly orgId: string | null;
  readonly userId: string | null;
}

const sameTenant = (a: TenantSetting | null, b: TenantSetting): boolean => a !== null && a.orgId === b.orgId && a.userId === b.userId;

/**
 * Sets the tenant for RLS for the rest of the transaction (`set_config(..., true)` is transaction
 * local, so nothing survives on a pooled connection) and for the ORM's tenant filter. Kept in one
 * place so the statement can be swapped for `SET LOCAL` (Citus forwards that, not set_config).
 * Private to the kernel: everything else enters a tenant through RequestTransaction.enterTenant.
 */
async function applyTenant(em: EntityManager, tenant: TenantSetting): Promise<void> {
  await transactionQuery(em, `select ${tenantSettingSql('$1', '$2')}`, tenantSettingValues(tenant));
  applyTenantFilter(em, tenant);
}

function applyTenantFilter(em: EntityManager, tenant: TenantSetting): void {
  if (tenant.orgId) em.setFilterParams(TENANT_FILTER, { orgId: tenant.orgId });
  else clearTenantFilter(em);
}

/** The select-list fragment that sets the tenant for RLS, its two values bound at `orgParam` and `userParam`. */
export function tenantSettingSql(orgParam: string, userParam: string): string {
  return `set_config('app.org_id', ${orgParam}, true), set_config('app.user_id', ${userParam}, true)`;
}

/** The values tenantSettingSql binds, in its order. */
export function tenantSettingValues(tenant: TenantSetting): [string, string] {
  return [tenant.orgId ?? '', tenant.userId ?? ''];
}

function clearTenantFilter(em: EntityManager): void {
  // Without params the tenant filter throws on the next tenant-owned load: fail closed.
  delete (em as unknown as { getContext(): { filterParams: Record<string, unknown> } }).getContext().filterParams[TENANT_FILTER];
}

/**
 * Drops every tenant-owned entity and every organization from the identity map: MikroORM's identity
 * map is not tenant-aware (MikroORM #7084), so an entity loaded under one tenant would otherwise be
 * served to a later lookup under another without any query reaching RLS. Identity data (users,
 * device sessions, refresh tokens) stays managed: it is the same whatever the tenant.
 */
function detachTenantData(em: EntityManager): void {
  const uow = em.getUnitOfWork();
  for (const entity of uow.getIdentityMap().values()) {
    if (isTenantData(em.getMetadata().find(entity.constructor.name))) uow.unsetIdentity(entity);
  }
}

/** What MikroORM's transaction context is under the hood: a knex transactor. */
interface KnexTransactor {
  isCompleted(): boolean;
  readonly executionPromise?: Promise<unknown>;
}

/**
 * knex resolves a transaction whose BEGIN failed (the server closed the pooled connection under it):
 * the transaction is then already complete and its `executionPromise` holds the real error, while
 * the next statement would fail with "Transaction query already complete". Raises that real error.
 */
async function assertBegun(em: EntityManager): Promise<void> {
  const trx = em.getTransactionContext<KnexTransactor>();
  if (!trx?.isCompleted()) return;
  const failure = await (trx.executionPromise ?? Promise.resolve()).then(
    () => undefined,
    (err: unknown) => err,
  );
  throw failure ?? new Error('the transaction ended as soon as it began');
}

export interface BeginOptions {
  /** A query operation: PostgreSQL refuses any write in it (`BEGIN READ ONLY`). */
  readonly readOnly?: boolean;
}

/**
 * One GraphQL operation's unit of work: a fresh EntityManager fork (its identity map is never shared
 * with another request) and one database transaction that begins before the first query and ends
 * once, with commit or rollback, before the response is sent. The operation commits all or nothing
 * (src/api/graphql/apollo.ts decides); work that must persist whatever the outcome runs apart
 * (`afterFinish`), never in this transaction.
 *
 * The resolvers of one operation run concurrently (a query's root fields, DataLoader batches) and
 * share this transaction's one connection: pg queues their statements in the order they are sent.
 * pg 8 warns about that queueing ("client.query() when the client is already executing a query",
 * emitted through knex) and pg 9 will refuse it; moving to pg 9 needs a per-connection queue here.
 */
export class RequestTransaction {
  readonly em: EntityManager;
  /** False only under `npm run bench`'s enforcement-off mode (src/db/unenforced.ts). */
  private readonly enforced: boolean;
  private state: 'idle' | 'open' | 'done' = 'idle';
  private current: TenantSetting | null = null;
  private entered = 0;
  private readOnly = false;
  private readonly committed: (() => void)[] = [];
  private readonly finished: (() => Promise<void>)[] = [];
  private readonly ended: (() => void)[] = [];
  private over = false;

  constructor(orm: MikroORM) {
    this.em = orm.em.fork({ clear: true, useContext: false });
    this.enforced = !isUnenforced(orm);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isIdle(): boolean {
    return this.state === 'idle';
  }

  /** The tenant the transaction is in now (null before begin). */
  get tenant(): TenantSetting | null {
    return this.current;
  }

  /** False only under `npm run bench`'s enforcement-off mode: the hand-written reads (tenant-rows.ts) then leave the tenant predicate out, as the filter is off. */
  get enforcesTenant(): boolean {
    return this.enforced;
  }

  /** Counts tenant changes: per-request caches keyed on the tenant (DataLoaders) start afresh when it moves. */
  get tenantEpoch(): number {
    return this.entered;
  }

  /**
   * BEGIN, then set the tenant. When BEGIN itself fails (no connection) there is nothing to roll
   * back: the transaction is done and `finish` does nothing. The error is the driver's (see
   * src/db/connection-errors.ts for the ones that mean the database is unreachable).
   */
  async begin(tenant: TenantSetting, options: BeginOptions = {}): Promise<void> {
    if (this.state !== 'idle') throw new Error(this.state === 'open' ? 'request transaction already begun' : 'request transaction already finished');
    this.state = 'open';
    this.readOnly = options.readOnly === true;
    try {
      await this.em.begin({ readOnly: this.readOnly });
      await assertBegun(this.em);
    } catch (err) {
      this.state = 'done';
      throw err;
    }
    await this.setTenant(tenant);
  }

  /**
   * The one door into a tenant (issue 16): pending changes are flushed under the tenant they were made
   * in, the identity map forgets every tenant-owned entity, and RLS and the ORM filter move to
   * `tenant`. A no-op when the transaction is already there. Callers take `tenant` from the
   * request's TenantScope or from a decision that verified it (a live membership, a new org).
   */
  async enterTenant(tenant: TenantSetting): Promise<void> {
    if (this.state !== 'open') throw new Error('enterTenant outside an open request transaction');
    if (sameTenant(this.current, tenant)) return;
    if (!this.readOnly) await this.em.flush();
    detachTenantData(this.em);
    await this.setTenant(tenant);
  }

  /**
   * The one door, entered by the statement that makes the decision: `write` sends one statement whose
   * RETURNING (or select list) carries tenantSettingSql with tenantSettingValues(tenant), evaluated
   * only for the row it writes, and answers whether that row was written. Written: the transaction
   * is in `tenant` (RLS by that statement, the ORM filter here). Not written: nothing moved. Pending
   * changes are flushed and tenant data forgotten first, as enterTenant does. Saves the statement
   * enterTenant would send after a write that already decided the tenant (refreshSession).
   * Only for a statement whose tables are not under RLS (device_sessions, refresh_tokens):
   * PostgreSQL does not order a target-list set_config before a policy's InitPlan, so the setting may
   * not be relied on within the statement itself, only after it.
   */
  async enterTenantWith(tenant: TenantSetting, write: () => Promise<boolean>): Promise<boolean> {
    if (this.state !== 'open') throw new Error('enterTenantWith outside an open request transaction');
    if (!this.readOnly) await this.em.flush();
    detachTenantData(this.em);
    if (!(await write())) return false;
    if (this.enforced) applyTenantFilter(this.em, tenant);
    this.current = { orgId: tenant.orgId, userId: tenant.userId };
    this.entered++;
    return true;
  }

  private async setTenant(tenant: TenantSetting): Promise<void> {
    // A transaction that has just begun has no tenant: set_config(..., true) is transaction-local and
    // nothing sets the settings for a session, so on a pooled connection they read as unset or ''
    // (closed for every policy). Beginning without one needs no statement; the filter is cleared.
    const nothingToSet = this.entered === 0 && tenant.orgId === null && tenant.userId === null;
    if (nothingToSet) clearTenantFilter(this.em);
    else if (this.enforced) await applyTenant(this.em, tenant);
    this.current = { orgId: tenant.orgId, userId: tenant.userId };
    this.entered++;
  }

  /** Runs `fn` once the transaction has committed (never after a rollback): updates of in-process caches, metrics. */
  afterCommit(fn: () => void): void {
    this.committed.push(fn);
  }

  /**
   * Runs `fn` once the transaction has ended, committed or rolled back, and its connection is back in
   * the pool, before the response is sent: a security write that must persist whatever the
   * operation's outcome (a failed sign-in, a wrong MFA code, reuse revocation), in a transaction of
   * its own. `fn` handles its own errors: one that escapes is dropped, so it can never change the
   * response.
   */
  afterFinish(fn: () => Promise<void>): void {
    this.finished.push(fn);
  }

  /** Runs `fn` when everything above is done (at once when it already is): releases of in-process gates. */
  onEnd(fn: () => void): void {
    if (this.over) fn();
    else this.ended.push(fn);
  }

  /** Commits (flushing pending changes) or rolls back; idempotent. A failed commit rolls back and rethrows. */
  async finish(commit: boolean): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'done';
    try {
      if (wasOpen) await this.end(commit);
    } finally {
      await this.runFinished();
      this.over = true;
      for (const fn of this.ended.splice(0)) fn();
    }
  }

  private async end(commit: boolean): Promise<void> {
    if (!commit) {
      await this.em.rollback();
      return;
    }
    try {
      await this.em.commit();
    } catch (err) {
      await this.em.rollback().catch(() => undefined);
      throw err;
    }
    for (const fn of this.committed) fn();
  }

  private async runFinished(): Promise<void> {
    const hooks = this.finished.splice(0);
    for (const fn of hooks) await fn().catch(() => undefined);
  }
}

/**
 * Runs `work` in a short transaction of its own on `orm`'s pool, starting in `tenant`, and commits:
 * the apart writes of RequestTransaction.afterFinish (the request's connection is back in the pool
 * by then, so a request never holds two). Raises what `work` or the commit raises, after rolling back.
 */
export async function runApart<T>(orm: MikroORM, tenant: TenantSetting, work: (tx: RequestTransaction) => Promise<T>): Promise<T> {
  const tx = new RequestTransaction(orm);
  await tx.begin(tenant);
  let ok = false;
  try {
    const result = await work(tx);
    ok = true;
    return result;
  } finally {
    await tx.finish(ok);
  }
}
