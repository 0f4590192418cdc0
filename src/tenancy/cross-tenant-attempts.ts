import { existsInAnotherTenant, type CheckedObject } from '../db/cross-tenant.ts';
import { recordSecurityEventApart, type SecurityEvent } from '../db/security-events.ts';
import type { RequestContext } from '../graphql/context.ts';

/**
 * Called when a lookup by id in the active tenant found nothing. When the id exists in another
 * tenant, this is a cross-tenant attempt: a CROSS_TENANT_ACCESS_DENIED event for the requesting org
 * (detail: the object type only, never the other org or anything of its row) and
 * orgbound_cross_tenant_denied_total. The client's answer is the caller's "not found", the same as
 * for an id that exists nowhere (STYLE rule 6): nothing here changes or fails the response.
 *
 * The event is written in a transaction of its own once the request's has ended, so it persists when
 * the operation fails and rolls back (a mutation's NOT_FOUND, or any other field's error), and a
 * request can neither undo nor hide its own attempt. Raises nothing but what the existence check
 * itself raises (a database failure).
 */
export async function noteLookupMiss(ctx: RequestContext, object: CheckedObject, id: string): Promise<void> {
  const scope = ctx.scope;
  if (!scope?.orgId) return;
  if (!(await existsInAnotherTenant(ctx.em, object, id))) return;
  const event: SecurityEvent = { type: 'CROSS_TENANT_ACCESS_DENIED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: scope.actor ? { object, actor_agent: scope.actor } : { object } };
  const { orm, metrics } = ctx.app;
  const at = ctx.app.now();
  ctx.tx.afterFinish(async () => {
    metrics.countCrossTenantDenied(object, scope.tier);
    await recordSecurityEventApart(orm, event, at);
    metrics.countSecurityEvent(event, scope.tier);
  });
}
