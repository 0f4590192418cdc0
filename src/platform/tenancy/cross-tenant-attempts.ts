import { ownerInAnotherTenant, type CheckedObject } from './cross-tenant.queries.ts';
import { recordSecurityEventApart, type SecurityEvent } from '../security-log/security-events.queries.ts';
import type { RequestScope } from '../request-scope.ts';

/**
 * Called when a lookup by id in the active tenant found nothing. When the id belongs to another
 * tenant, this is a cross-tenant attempt: a CROSS_TENANT_ACCESS_DENIED event in the trail of the org
 * whose object was probed (detail: the object's type and id, and, for the operator's export only,
 * the prober's org and user) and orgbound_cross_tenant_denied_total. The prober's side observes
 * nothing of it (issue 15): the answer is the caller's "not found", the same as for an id that exists
 * nowhere (STYLE rule 6); the same existence check runs for both; the prober's own audit trail gains
 * nothing; and the victim's event is written after the response, so it adds no time to it.
 *
 * Raises nothing but what the existence check itself raises (a database failure).
 */
export async function noteLookupMiss(ctx: RequestScope, object: CheckedObject, id: string): Promise<void> {
  const scope = ctx.scope;
  if (!scope?.orgId) return;
  const owner = await ownerInAnotherTenant(ctx.em, object, id);
  if (!owner) return;
  const detail: Record<string, unknown> = { object, objectId: id, fromOrganizationId: scope.orgId, fromUserId: scope.userId, ...(scope.actor ? { actor_agent: scope.actor } : {}) };
  const event: SecurityEvent = { type: 'CROSS_TENANT_ACCESS_DENIED', userId: null, sessionId: null, orgId: owner, detail };
  const { orm, metrics, deferred } = ctx.app;
  const at = ctx.app.now();
  metrics.countCrossTenantDenied(object, scope.tier);
  // After the request's transaction has ended (one connection per request at a time), and not awaited:
  // the response goes out as fast as for a plain miss. The server's close waits for it.
  ctx.tx.afterFinish(async () => {
    deferred.run(async () => {
      await recordSecurityEventApart(orm, event, at);
      metrics.countSecurityEvent(event, null);
    });
  });
}
