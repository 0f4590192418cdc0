import { recordSecurityEvent, recordSecurityEventApart, type SecurityEvent } from './security-events.queries.ts';
import type { RequestScope } from '../request-scope.ts';
import type { RefreshOutcome } from '../observability/metrics.ts';
import { type Tier } from '../../core/vocabulary.ts';

/**
 * Records a security event in the request transaction (src/platform/security-log/security-events.queries.ts) and counts it in
 * the metrics (Metrics.countSecurityEvent) once that transaction commits, so the counters agree
 * with `security_events`: an operation that rolls back leaves neither a row nor a count. An event
 * that must persist although the operation fails (a failed sign-in, a wrong MFA code) goes through
 * recordApart instead. `tier` is that of the org the event is about (the one signed into, switched
 * to, or acted in), null when there is none.
 */
export async function recordAndCountEvent(ctx: RequestScope, event: SecurityEvent, at: Date, tier: Tier | null): Promise<void> {
  // An agent's action is audited with both identities: the user (user_id, session_id) and the agent.
  if (ctx.scope?.actor) event = { ...event, detail: { ...event.detail, actor_agent: ctx.scope.actor } };
  await recordSecurityEvent(ctx.em, event, at);
  const metrics = ctx.app.metrics;
  ctx.tx.afterCommit(() => metrics.countSecurityEvent(event, tier));
}

/**
 * Records a security event apart from the request: in a transaction of its own, once the request's
 * has ended (committed or rolled back) and before the response is sent, so it persists whatever the
 * operation's outcome and whatever else the operation does (issue 15). Counted in the metrics when
 * it is written (`counted: false` for an org's copy of an event counted already). `event.orgId`
 * becomes that transaction's tenant (RLS `event_insert`).
 */
export function recordApart(ctx: RequestScope, event: SecurityEvent, at: Date, tier: Tier | null, opts: { readonly counted?: boolean } = {}): void {
  if (ctx.scope?.actor) event = { ...event, detail: { ...event.detail, actor_agent: ctx.scope.actor } };
  const { orm, metrics } = ctx.app;
  const written = event;
  ctx.tx.afterFinish(async () => {
    await recordSecurityEventApart(orm, written, at);
    if (opts.counted !== false) metrics.countSecurityEvent(written, tier);
  });
}

/**
 * The org's copy of a user-level event (MFA checked for entering the org, a refresh-token reuse that
 * revoked a session which had entered it), so the org's admins see it in auditEvents. Not counted
 * again in the metrics: the user-level event is. `event.orgId` must be the transaction's tenant.
 */
export async function recordForOrganization(ctx: RequestScope, event: SecurityEvent & { readonly orgId: string }, at: Date): Promise<void> {
  await recordSecurityEvent(ctx.em, event, at);
}

/**
 * A refreshSession outcome that writes no security event. A refresh that issues tokens counts when
 * it commits (a failed commit issued nothing); a refusal counts at once (its transaction rolls back,
 * but the refusal happened).
 */
export function countRefreshOutcome(ctx: RequestScope, outcome: Exclude<RefreshOutcome, 'reuse_detected'>, tier: Tier | null): void {
  const metrics = ctx.app.metrics;
  if (outcome === 'rotated' || outcome === 'retried') ctx.tx.afterCommit(() => metrics.countRefresh(outcome, tier));
  else metrics.countRefresh(outcome, tier);
}
