import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../../platform/services.ts';
import { verifyAccessToken } from '../../platform/tokens/verify-access-token.ts';
import { SERVICE_CLIENT_ID } from '../../platform/tokens/claims.ts';
import { loadLiveState, loadServiceLiveState } from '../../platform/tenancy/live-state.queries.ts';
import { RequestTransaction } from '../../db/request-transaction.ts';
import { tenantOf, type OpenOptions, type RequestScope } from '../../platform/request-scope.ts';
import { AppError, unauthenticated } from '../../core/errors.ts';
import type { RequestRecord } from '../http/request-log.ts';
import { decideScope, decideServiceScope, type ScopeDecision, type TenantScope, type VerifiedToken } from '../../core/decisions/decide-scope.ts';

/** The GraphQL context: the request scope services take, and this request's log record. */
export interface RequestContext extends RequestScope {
  /** This request's log line and metrics in the making (src/api/http/request-log.ts): its id, its inputs to scrub. */
  readonly request: RequestRecord;
}

class GraphqlRequestContext implements RequestContext {
  readonly tx: RequestTransaction;
  private decided: TenantScope | null = null;
  private opening: Promise<void> | null = null;

  constructor(
    readonly app: AppServices,
    private readonly verified: VerifiedToken | null,
    readonly clientAddress: string,
    readonly request: RequestRecord,
  ) {
    this.tx = new RequestTransaction(app.orm);
  }

  get scope(): TenantScope | null {
    return this.decided;
  }

  get em(): EntityManager {
    return this.tx.em;
  }

  open(options: OpenOptions): Promise<void> {
    return (this.opening ??= this.begin(options));
  }

  async enterOwnTenant(): Promise<void> {
    if (this.tx.isOpen) await this.tx.enterTenant(tenantOf(this.decided));
  }

  private async begin(options: OpenOptions): Promise<void> {
    const verified = this.verified;
    const claimedOrg = verified?.claims.org_id ?? null;
    // tenant: the verified token's claim, checked live at once below (decideScope; enterOwnTenant leaves it when the membership is gone).
    await this.tx.begin({ orgId: claimedOrg, userId: verified?.claims.sub ?? null }, { readOnly: options.readOnly });
    if (!verified) return;
    try {
      const decision = await this.decide(verified, claimedOrg);
      if (decision.kind === 'deny') {
        this.request.refusal = decision.reason;
        throw new AppError(decision.code, decision.message, decision.reason);
      }
      this.decided = decision.scope;
      // Membership gone: serve without a tenant, so RLS and the ORM filter both fail closed.
      await this.enterOwnTenant();
      this.request.scope = decision.scope;
    } catch (err) {
      // `err` is what the client must hear. A rollback that fails too has lost its connection, and
      // PostgreSQL rolls back the transaction of a connection that is gone.
      await this.tx.finish(false).catch(() => undefined);
      throw err;
    }
  }

  private async decide(verified: VerifiedToken, claimedOrg: string | null): Promise<ScopeDecision> {
    const { claims } = verified;
    // A service account's token (client_id `sa.<org>.<id>`): its account row is checked live instead of a device session.
    const service = SERVICE_CLIENT_ID.exec(claims.client_id);
    if (!service) return decideScope(verified, await loadLiveState(this.tx.em, claims.sid, claimedOrg), this.app.now());
    const client = { orgId: service[1]!, accountId: service[2]! };
    return decideServiceScope(verified, client, await loadServiceLiveState(this.tx.em, client.accountId, client.orgId));
  }
}

/**
 * Builds the request context from the `Authorization` header and nothing else: verifies the token
 * (docs/ARCHITECTURE.md step 1). Nothing touches the database yet: the transaction begins once the
 * operation is known (src/api/graphql/apollo.ts opens it, READ ONLY for a query), or, for a field that
 * must first wait without a connection (refreshSession), when that field opens it. `clientAddress`
 * (the connection's peer, or what a trusted proxy says it is) is carried along for rate limits and
 * takes no part in any of that. Raises AppError(UNAUTHENTICATED) for a bad token. The scope decided
 * at `open` is what `request` logs (org_id, sub, sid).
 */
export async function buildContext(app: AppServices, authorization: string | undefined, clientAddress: string, request: RequestRecord): Promise<RequestContext> {
  const token = parseBearer(authorization);
  const verified = token === null ? null : await verifyAccessToken(token, app.keys, { issuer: app.config.jwt.issuer, audience: app.config.jwt.audience, now: app.now() });
  return new GraphqlRequestContext(app, verified, clientAddress, request);
}

/** `Bearer <token>` → token; no header → null; anything else → UNAUTHENTICATED. */
export function parseBearer(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match?.[1]) throw unauthenticated('Malformed Authorization header');
  return match[1];
}
