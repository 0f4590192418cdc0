import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.ts';
import { verifyAccessToken } from '../auth/tokens/verify-access-token.ts';
import { loadLiveState, loadServiceLiveState } from '../db/live-state.ts';
import { SERVICE_CLIENT_ID } from '../auth/tokens/claims.ts';
import { RequestTransaction, setTenant } from '../db/request-transaction.ts';
import { AppError, unauthenticated } from '../errors.ts';
import type { RequestRecord } from '../observability/request-log.ts';
import { decideScope, decideServiceScope, type TenantScope } from '../tenancy/tenant-scope.ts';
import { createLoaders, type Loaders } from './loaders.ts';

export interface RequestContext {
  readonly app: AppServices;
  /** Null for an anonymous request (signUp, signIn). */
  readonly scope: TenantScope | null;
  readonly tx: RequestTransaction;
  readonly em: EntityManager;
  readonly loaders: Loaders;
  /**
   * The client's address as a rate-limit subject (src/limits/client-address.ts). Used for rate
   * limits only: it never selects or widens a tenant, nor identifies anyone.
   */
  readonly clientAddress: string;
  /** This request's log line and metrics in the making (src/observability/request-log.ts): its id, its inputs to scrub. */
  readonly request: RequestRecord;
}

/**
 * Builds the request context from the `Authorization` header and nothing else (ARCHITECTURE.md
 * steps 1-4): verify the token, begin the request transaction with the claimed tenant, check the
 * session and membership live, and fix the TenantScope. `clientAddress` (the connection's peer, or
 * what a trusted proxy says it is) is carried along for rate limits and takes no part in any of
 * that. Raises AppError(UNAUTHENTICATED | SESSION_REVOKED | SESSION_EXPIRED); the transaction is
 * rolled back before it does. A database it cannot reach raises the driver's error
 * (src/db/connection-errors.ts), which the HTTP layer answers with SERVICE_UNAVAILABLE. The scope
 * decided here is what `request` logs (org_id, sub, sid).
 */
export async function buildContext(app: AppServices, authorization: string | undefined, clientAddress: string, request: RequestRecord): Promise<RequestContext> {
  const token = parseBearer(authorization);
  const verified = token === null ? null : await verifyAccessToken(token, app.keys, { issuer: app.config.jwt.issuer, audience: app.config.jwt.audience, now: app.now() });
  const tx = new RequestTransaction(app.orm);
  try {
    if (!verified) {
      await tx.begin({ orgId: null, userId: null });
      return { app, scope: null, tx, em: tx.em, loaders: createLoaders(tx.em), clientAddress, request };
    }
    const { claims } = verified;
    const claimedOrg = claims.org_id ?? null;
    await tx.begin({ orgId: claimedOrg, userId: claims.sub });
    // A service account's token (client_id `sa.<org>.<id>`): its account row is checked live instead of a device session.
    const service = SERVICE_CLIENT_ID.exec(claims.client_id);
    const decision = service
      ? claimedOrg === service[1] && claims.sid === service[2]
        ? decideServiceScope(verified, service[1]!, await loadServiceLiveState(tx.em, claims.sid, claimedOrg))
        : ({ kind: 'deny', code: 'UNAUTHENTICATED', message: 'Invalid access token' } as const)
      : decideScope(verified, await loadLiveState(tx.em, claims.sid, claimedOrg), app.now());
    if (decision.kind === 'deny') throw new AppError(decision.code, decision.message);
    const scope = decision.scope;
    // Membership gone: serve without a tenant, so RLS and the ORM filter both fail closed.
    if (scope.orgId !== claimedOrg) await setTenant(tx.em, { orgId: scope.orgId, userId: scope.userId });
    request.scope = scope;
    return { app, scope, tx, em: tx.em, loaders: createLoaders(tx.em), clientAddress, request };
  } catch (err) {
    // `err` is what the client must hear. A rollback that fails too has lost its connection, and
    // PostgreSQL rolls back the transaction of a connection that is gone.
    await tx.finish(false).catch(() => undefined);
    throw err;
  }
}

/** `Bearer <token>` → token; no header → null; anything else → UNAUTHENTICATED. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match?.[1]) throw unauthenticated('Malformed Authorization header');
  return match[1];
}
