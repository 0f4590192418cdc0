import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { isUnenforced } from './benchmark-unenforced.ts';
import { TENANT_FILTER } from './tenant-owned.ts';

export interface TenantSetting {
  readonly orgId: string | null;
  readonly userId: string | null;
}

/**
 * Sets the tenant for RLS for the rest of the transaction (`set_config(..., true)` is transaction
 * local, so nothing survives on a pooled connection). Kept in one place so the statement can be
 * swapped for `SET LOCAL` (Citus forwards that, not set_config).
 */
export async function setTenant(em: EntityManager, tenant: TenantSetting): Promise<void> {
  await em.execute(`select set_config('app.org_id', ?, true), set_config('app.user_id', ?, true)`, [tenant.orgId ?? '', tenant.userId ?? '']);
  if (tenant.orgId) em.setFilterParams(TENANT_FILTER, { orgId: tenant.orgId });
  else clearTenantFilter(em);
}

function clearTenantFilter(em: EntityManager): void {
  // Without params the tenant filter throws on the next tenant-owned load: fail closed.
  delete (em as unknown as { getContext(): { filterParams: Record<string, unknown> } }).getContext().filterParams[TENANT_FILTER];
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

/**
 * One GraphQL operation's unit of work: a fresh EntityManager fork (its identity map is never shared
 * with another request or tenant) and one database transaction that begins before the first query
 * and ends once, with commit or rollback, when the response is sent.
 */
export class RequestTransaction {
  readonly em: EntityManager;
  /** False only under `npm run bench`'s enforcement-off mode (src/db/benchmark-unenforced.ts). */
  private readonly enforced: boolean;
  private state: 'idle' | 'open' | 'done' = 'idle';
  /** Errors whose operation must still commit (see commitDespite). */
  private readonly committing = new WeakSet<Error>();
  private failed = false;
  private readonly committed: (() => void)[] = [];
  private readonly finished: (() => Promise<void>)[] = [];

  constructor(orm: MikroORM) {
    this.em = orm.em.fork({ clear: true, useContext: false });
    this.enforced = !isUnenforced(orm);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * BEGIN, then set the tenant. When BEGIN itself fails (no connection) there is nothing to roll
   * back: the transaction is done and `finish` does nothing. The error is the driver's (see
   * src/db/connection-errors.ts for the ones that mean the database is unreachable).
   */
  async begin(tenant: TenantSetting): Promise<void> {
    if (this.state !== 'idle') throw new Error('request transaction already begun');
    this.state = 'open';
    try {
      await this.em.begin();
      await assertBegun(this.em);
    } catch (err) {
      this.state = 'done';
      throw err;
    }
    if (this.enforced) await setTenant(this.em, tenant);
  }

  /**
   * Marks `err` as an outcome that must still commit what the operation wrote before raising it:
   * a security decision with a side effect (reuse detection revokes every session of the user, a
   * failed sign-in is logged). Returns `err` for `throw tx.commitDespite(...)`. Any other error in
   * the same operation still rolls everything back.
   */
  commitDespite<E extends Error>(err: E): E {
    this.committing.add(err);
    return err;
  }

  /** Called with each error the operation produced (Apollo's didEncounterErrors). */
  noteError(err: unknown): void {
    if (!(err instanceof Error) || !this.committing.has(err)) this.failed = true;
  }

  /** Whether an operation that produced errors may commit: only if every one was marked by commitDespite. */
  get commitsDespiteErrors(): boolean {
    return !this.failed;
  }

  /** Runs `fn` once the transaction has committed (never after a rollback): updates of in-process caches. */
  afterCommit(fn: () => void): void {
    this.committed.push(fn);
  }

  /**
   * Runs `fn` once the transaction has ended, committed or rolled back, and its connection is back in
   * the pool: work that must persist whatever the operation's outcome, in a transaction of its own
   * (a cross-tenant attempt's security event). `fn` handles its own errors: one that escapes is
   * dropped, so it can never change the response.
   */
  afterFinish(fn: () => Promise<void>): void {
    this.finished.push(fn);
  }

  /** Commits (flushing pending changes) or rolls back; idempotent. A failed commit rolls back and rethrows. */
  async finish(commit: boolean): Promise<void> {
    if (this.state !== 'open') {
      this.state = 'done';
      return;
    }
    this.state = 'done';
    try {
      await this.end(commit);
    } finally {
      await this.runFinished();
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
