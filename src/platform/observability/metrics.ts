import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SecurityEventType } from '../../core/vocabulary.ts';
import type { PoolStats } from '../../db/pool-stats.ts';
import type { SecurityEvent } from '../security-log/security-events.queries.ts';
import { ErrorCode } from '../../core/errors.ts';
import type { RateLimitRule } from '../../core/decisions/decide-rate-limit.ts';
import { type Tier } from '../../core/vocabulary.ts';

/*
 * Prometheus metrics of one API server (README "Operating orgbound"). Every label value comes from a
 * fixed set: root field names of the schema, contract error codes, tiers, rule and limit names. No
 * label ever carries a user id, email, token or org id, so a scrape cannot identify anyone and the
 * number of series stays bounded whatever clients send.
 */

/** The sensitivity tier an outcome belongs to; `none` when there is no org (or none was read). */
export type TierLabel = Tier | 'none';
/** Which operation limit refused an operation (src/api/graphql/query-limits.ts). */
export type QueryLimitKind = 'depth' | 'cost' | 'alias' | 'directive' | 'token';
export type RefreshOutcome = 'rotated' | 'retried' | 'reuse_detected' | 'expired' | 'revoked' | 'superseded' | 'invalid';
/** The rate limits of src/platform/limits plus the per-user limit on wrong TOTP codes (src/modules/mfa). */
export type RateLimitLabel = RateLimitRule | 'mfaPerUser';
/**
 * What a cross-tenant lookup named: the GraphQL type of the object that exists in another tenant, a
 * kind its module registered (cross_tenant_kinds refuses any other, so the label set is bounded by
 * the installed modules). Anything not shaped like a type name is counted as `other`.
 */
const TYPE_NAME = /^[A-Z][A-Za-z0-9]{0,63}$/;

export type { PoolStats } from '../../db/pool-stats.ts';
export type PoolName = 'orm' | 'rate_limit';

const RATE_LIMIT_LABELS: readonly RateLimitLabel[] = ['signInPerEmail', 'signInPerAddress', 'mfaPerAddress', 'mfaPerUser', 'refreshPerSession', 'refreshPerAddress', 'tokenPerClient'];
const QUERY_LIMIT_KINDS: readonly QueryLimitKind[] = ['depth', 'cost', 'alias', 'directive', 'token'];
/** Codes a request outcome may be labelled with: the contract's and Apollo's own. Anything else is `other`. */
const OUTCOME_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  'INTERNAL_SERVER_ERROR',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);
/** `SIGN_IN_FAILED` reasons (src/modules/identity/identity.service.ts): the password check, or the entry decision's code in lower case. */
const SIGN_IN_REASONS: ReadonlySet<string> = new Set(['bad_credentials', 'forbidden', 'mfa_required', 'mfa_enrollment_required', 'reauthentication_required']);
/** Events that end sessions, and the detail field that says how many. */
const REVOCATIONS: Partial<Record<SecurityEventType, readonly [kind: string, countField: string]>> = {
  SESSION_SIGNED_OUT: ['sign_out', 'count'],
  SESSION_REVOKED: ['session', 'count'],
  SESSIONS_REVOKED_ALL: ['all', 'count'],
  MEMBER_SESSIONS_REVOKED: ['by_admin', 'count'],
  REFRESH_TOKEN_REUSED: ['reuse_detected', 'sessionsRevoked'],
  MEMBER_REMOVED: ['member_removed', 'boundSessionsEnded'],
};
/** Seconds; a sign-in spends ~50 ms in argon2 alone. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const tierOf = (tier: Tier | null | undefined): TierLabel => tier ?? 'none';

/** The request-outcome label: `ok`, or the first error's code when it is a known one, else `other`. */
export function outcomeLabel(codes: readonly string[]): string {
  const first = codes[0];
  if (first === undefined) return 'ok';
  return OUTCOME_CODES.has(first) ? first : 'other';
}

/**
 * The metrics of one server, in a registry of its own (tests run several servers in one process;
 * the global registry would mix them, and registering a name twice throws).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly latency: Histogram<'operation' | 'outcome'>;
  private readonly signIns: Counter<'outcome' | 'reason' | 'tier'>;
  private readonly refreshes: Counter<'outcome' | 'tier'>;
  private readonly revocations: Counter<'kind' | 'tier'>;
  private readonly mfa: Counter<'outcome' | 'tier'>;
  private readonly switches: Counter<'tier'>;
  private readonly events: Counter<'type' | 'tier'>;
  private readonly rateLimited: Counter<'rule'>;
  private readonly tooComplex: Counter<'limit'>;
  private readonly crossTenant: Counter<'object' | 'tier'>;
  private readonly pools = new Map<PoolName, () => PoolStats | null>();
  private inFlight: () => number = () => 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'orgbound_graphql_requests_total', help: 'GraphQL requests by root field (operation) and outcome (ok or the first error code)', labelNames: ['operation', 'outcome'], registers });
    this.latency = new Histogram({ name: 'orgbound_graphql_request_duration_seconds', help: 'GraphQL request duration, from the request to the end of the response', labelNames: ['operation', 'outcome'], buckets: LATENCY_BUCKETS, registers });
    this.signIns = new Counter({ name: 'orgbound_sign_ins_total', help: 'Sign-ins by outcome (success, failure), failure reason and the tier of the org signed into', labelNames: ['outcome', 'reason', 'tier'], registers });
    this.refreshes = new Counter({ name: 'orgbound_refreshes_total', help: 'refreshSession outcomes by the tier of the session\'s active org', labelNames: ['outcome', 'tier'], registers });
    this.revocations = new Counter({ name: 'orgbound_sessions_revoked_total', help: 'Device sessions ended, by kind of revocation and the tier of the org it was done in', labelNames: ['kind', 'tier'], registers });
    this.mfa = new Counter({ name: 'orgbound_mfa_checks_total', help: 'TOTP codes checked, by outcome (passed, failed) and the tier of the org being entered', labelNames: ['outcome', 'tier'], registers });
    this.switches = new Counter({ name: 'orgbound_org_switches_total', help: 'Successful switchOrganization calls by the tier of the target org', labelNames: ['tier'], registers });
    this.events = new Counter({ name: 'orgbound_security_events_total', help: 'Security events committed, by type and tier', labelNames: ['type', 'tier'], registers });
    this.rateLimited = new Counter({ name: 'orgbound_rate_limited_total', help: 'Attempts refused with RATE_LIMITED, by rule', labelNames: ['rule'], registers });
    this.tooComplex = new Counter({ name: 'orgbound_query_too_complex_total', help: 'Operations refused with QUERY_TOO_COMPLEX, by the first limit exceeded', labelNames: ['limit'], registers });
    this.crossTenant = new Counter({ name: 'orgbound_cross_tenant_denied_total', help: 'Lookups of an object that exists in another tenant, answered as not found', labelNames: ['object', 'tier'], registers });
    for (const rule of RATE_LIMIT_LABELS) this.rateLimited.inc({ rule }, 0);
    for (const limit of QUERY_LIMIT_KINDS) this.tooComplex.inc({ limit }, 0);
    this.registerCollectedGauges();
  }

  /**
   * One GraphQL request: `operation` must already be a bounded label (src/api/graphql/operation-label.ts);
   * the outcome is `aborted` when the connection closed before the response was complete.
   */
  observeRequest(operation: string, codes: readonly string[], seconds: number, finished = true): void {
    const labels = { operation, outcome: finished ? outcomeLabel(codes) : 'aborted' };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** A committed security event (src/platform/security-log/record-event.ts), counted by what it says about sessions and sign-ins. */
  countSecurityEvent(event: Pick<SecurityEvent, 'type' | 'detail'>, tier: Tier | null): void {
    const t = tierOf(tier);
    this.events.inc({ type: event.type, tier: t });
    const detail = event.detail ?? {};
    const revocation = REVOCATIONS[event.type];
    if (revocation) {
      const count = detail[revocation[1]];
      if (typeof count === 'number' && count > 0) this.revocations.inc({ kind: revocation[0], tier: t }, count);
    }
    switch (event.type) {
      case 'SIGN_IN_SUCCEEDED':
        return this.signIns.inc({ outcome: 'success', tier: t });
      case 'SIGN_IN_FAILED': {
        const reason = typeof detail.reason === 'string' && SIGN_IN_REASONS.has(detail.reason) ? detail.reason : 'other';
        return this.signIns.inc({ outcome: 'failure', reason, tier: t });
      }
      case 'REFRESH_TOKEN_REUSED':
        return this.refreshes.inc({ outcome: 'reuse_detected', tier: t });
      case 'MFA_PASSED':
        return this.mfa.inc({ outcome: 'passed', tier: t });
      case 'MFA_FAILED':
        return this.mfa.inc({ outcome: 'failed', tier: t });
      case 'ORGANIZATION_SWITCHED':
        return this.switches.inc({ tier: t });
      default:
        return;
    }
  }

  /** A refresh outcome that is not a security event (reuse is: countSecurityEvent counts it). */
  countRefresh(outcome: Exclude<RefreshOutcome, 'reuse_detected'>, tier: Tier | null): void {
    this.refreshes.inc({ outcome, tier: tierOf(tier) });
  }

  countRateLimited(rule: RateLimitLabel): void {
    this.rateLimited.inc({ rule });
  }

  countQueryTooComplex(limit: QueryLimitKind): void {
    this.tooComplex.inc({ limit });
  }

  /**
   * A request named an object that exists in another tenant (the tenant layers answered "not
   * found"). `tier` is the requesting org's; the other tenant is never a label.
   */
  countCrossTenantDenied(object: string, tier: Tier | null): void {
    this.crossTenant.inc({ object: TYPE_NAME.test(object) ? object : 'other', tier: tierOf(tier) });
  }

  /** A connection pool whose state is read at each scrape (null once it is closed). */
  watchPool(name: PoolName, read: () => PoolStats | null): void {
    this.pools.set(name, read);
  }

  /** The HTTP requests being served, read at each scrape. */
  watchInFlight(read: () => number): void {
    this.inFlight = read;
  }

  /** The Prometheus text exposition of everything above. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerCollectedGauges(): void {
    const pools = this.pools;
    const registers = [this.registry];
    new Gauge({
      name: 'orgbound_db_pool_connections',
      help: 'Database pool connections by pool (orm: MikroORM/knex, rate_limit: the rate-limit counters) and state (used, free, pending: requests waiting for one)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [pool, read] of pools) {
          const stats = read();
          if (!stats) continue;
          this.set({ pool, state: 'used' }, stats.used);
          this.set({ pool, state: 'free' }, stats.free);
          this.set({ pool, state: 'pending' }, stats.pending);
        }
      },
    });
    new Gauge({
      name: 'orgbound_db_pool_max_connections',
      help: 'Largest size of each database pool',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const [pool, read] of pools) {
          const stats = read();
          if (stats) this.set({ pool }, stats.max);
        }
      },
    });
    const inFlight = () => this.inFlight();
    new Gauge({
      name: 'orgbound_http_requests_in_flight',
      help: 'HTTP requests being served (a draining server waits for these)',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
  }
}
