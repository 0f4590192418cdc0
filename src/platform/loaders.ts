import type { EntityManager } from '@mikro-orm/postgresql';
import type { RequestTransaction } from '../db/request-transaction.ts';
import type { RequestScope } from './request-scope.ts';

interface Memo {
  epoch: number;
  readonly values: Map<object, unknown>;
}

const memos = new WeakMap<RequestScope, Memo>();

/**
 * Per-request, per-tenant values (DataLoaders) a module declares once:
 *
 *   const loaders = perRequest((em, orgId) => ({ projectById: new DataLoader(...) }));
 *   loaders(ctx).projectById.load(id);
 *
 * `make` runs at most once per request and tenant: when the request's transaction enters another
 * tenant (RequestTransaction.tenantEpoch), the next call makes a fresh set, so nothing cached for
 * one tenant is served under another. `orgId` is the transaction's tenant (null: none); `tx` the
 * transaction, for the plain-row reads of src/db/tenant-rows.ts.
 */
export function perRequest<T>(make: (em: EntityManager, orgId: string | null, tx: RequestTransaction) => T): (rs: RequestScope) => T {
  const key = {};
  return (rs) => {
    const epoch = rs.tx.tenantEpoch;
    let memo = memos.get(rs);
    if (!memo || memo.epoch !== epoch) {
      memo = { epoch, values: new Map() };
      memos.set(rs, memo);
    }
    if (!memo.values.has(key)) memo.values.set(key, make(rs.em, rs.tx.tenant?.orgId ?? null, rs.tx));
    return memo.values.get(key) as T;
  };
}
