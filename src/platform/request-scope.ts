import type { EntityManager } from '@mikro-orm/postgresql';
import type { TenantScope } from '../core/decisions/decide-scope.ts';
import type { RequestTransaction, TenantSetting } from '../db/request-transaction.ts';
import type { AppServices } from './services.ts';

export interface OpenOptions {
  /** A query: the transaction is READ ONLY, so nothing a query does can write. */
  readonly readOnly: boolean;
}

/**
 * What a module's service works with during one request: the services registry (its clock among
 * them), the TenantScope decided from the verified token and live state, the request transaction
 * with its hooks, and its EntityManager. The API layer's GraphQL context is one (it adds the
 * request's log record); a service never sees GraphQL, HTTP or Apollo.
 */
export interface RequestScope {
  readonly app: AppServices;
  /** Null for an anonymous request (signUp, signIn), and before `open`. */
  readonly scope: TenantScope | null;
  readonly tx: RequestTransaction;
  readonly em: EntityManager;
  /**
   * The client's address as a rate-limit subject. Used for rate limits only: it never selects or
   * widens a tenant, nor identifies anyone.
   */
  readonly clientAddress: string;
  /**
   * Begins the request transaction and, for a signed-in request, checks the session and membership
   * live and fixes the TenantScope (docs/ARCHITECTURE.md steps 2-4). Idempotent: the first call
   * decides. Raises AppError(UNAUTHENTICATED | SESSION_REVOKED | SESSION_EXPIRED) after rolling back,
   * or the driver's error when the database cannot be reached.
   */
  open(options: OpenOptions): Promise<void>;
  /** Puts the transaction back into the request's own tenant (each root field starts from it). */
  enterOwnTenant(): Promise<void>;
}

/** The tenant setting of a scope: its org (when the membership is live) and user; nothing when anonymous. */
export function tenantOf(scope: TenantScope | null): TenantSetting {
  return { orgId: scope?.orgId ?? null, userId: scope?.userId ?? null };
}
