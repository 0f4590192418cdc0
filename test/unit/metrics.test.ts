/**
 * src/platform/observability/metrics.ts without a server: one registry per Metrics, the mapping of security
 * events to auth-outcome counters, bounded labels, the cross-tenant counter's helper, collected
 * gauges, and who may read GET /metrics.
 */
import assert from 'node:assert/strict';
import express from 'express';
import { parse, buildSchema } from 'graphql';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { loadConfig } from '../../src/app/config.ts';
import type { SecurityEvent } from '../../src/platform/security-log/security-events.queries.ts';
import { metricsEndpoint } from '../../src/api/http/metrics-endpoint.ts';
import { Metrics, outcomeLabel } from '../../src/platform/observability/metrics.ts';
import { operationLabel } from '../../src/api/graphql/operation-label.ts';
import { metricNames, parseSamples, valueOf } from '../support/prometheus.ts';

async function samples(metrics: Metrics) {
  return parseSamples((await metrics.scrape()).body);
}

describe('the cross-tenant denial counter', () => {
  test('orgbound_cross_tenant_denied_total is exposed before anything is counted', async () => {
    const { body } = await new Metrics().scrape();
    assert.ok(metricNames(body).has('orgbound_cross_tenant_denied_total'));
    assert.match(body, /^# TYPE orgbound_cross_tenant_denied_total counter$/m);
  });

  test('countCrossTenantDenied counts by object type and the requesting org\'s tier, nothing else', async () => {
    const metrics = new Metrics();
    metrics.countCrossTenantDenied('Project', 'CONFIDENTIAL');
    metrics.countCrossTenantDenied('Project', 'CONFIDENTIAL');
    metrics.countCrossTenantDenied('Task', null);
    metrics.countCrossTenantDenied('a4f0c1d2-0000-4000-8000-000000000000', 'STANDARD'); // never a free-text label
    const s = await samples(metrics);
    assert.equal(valueOf(s, 'orgbound_cross_tenant_denied_total', { object: 'Project', tier: 'CONFIDENTIAL' }), 2);
    assert.equal(valueOf(s, 'orgbound_cross_tenant_denied_total', { object: 'Task', tier: 'none' }), 1);
    assert.equal(valueOf(s, 'orgbound_cross_tenant_denied_total', { object: 'other', tier: 'STANDARD' }), 1);
    assert.deepEqual(new Set(s.filter((x) => x.name === 'orgbound_cross_tenant_denied_total').flatMap((x) => Object.keys(x.labels))), new Set(['object', 'tier']));
  });
});

describe('a registry per server', () => {
  test('two Metrics count separately, and neither touches prom-client\'s global registry', async () => {
    const one = new Metrics();
    const two = new Metrics();
    one.countRateLimited('signInPerEmail');
    assert.equal(valueOf(await samples(one), 'orgbound_rate_limited_total', { rule: 'signInPerEmail' }), 1);
    assert.equal(valueOf(await samples(two), 'orgbound_rate_limited_total', { rule: 'signInPerEmail' }), 0);
    assert.ok(![...metricNames(await globalRegistry.metrics())].some((n) => n.startsWith('orgbound_')));
  });

  test('default process metrics are collected', async () => {
    const names = metricNames((await new Metrics().scrape()).body);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) assert.ok(names.has(name), name);
  });
});

describe('security events as auth outcomes', () => {
  const event = (type: SecurityEvent['type'], detail: Record<string, unknown> = {}) => ({ type, detail });
  const cases: [string, ReturnType<typeof event>, Parameters<Metrics['countSecurityEvent']>[1], string, Record<string, string>, number][] = [
    ['sign-in success', event('SIGN_IN_SUCCEEDED', { amr: ['pwd'] }), 'STANDARD', 'orgbound_sign_ins_total', { outcome: 'success', tier: 'STANDARD' }, 1],
    ['sign-in failure', event('SIGN_IN_FAILED', { reason: 'bad_credentials' }), null, 'orgbound_sign_ins_total', { outcome: 'failure', reason: 'bad_credentials', tier: 'none' }, 1],
    ['sign-in failure, MFA', event('SIGN_IN_FAILED', { reason: 'mfa_required' }), 'REGULATED', 'orgbound_sign_ins_total', { outcome: 'failure', reason: 'mfa_required', tier: 'REGULATED' }, 1],
    ['sign-in failure, unknown reason', event('SIGN_IN_FAILED', { reason: 'ada@example.com' }), null, 'orgbound_sign_ins_total', { outcome: 'failure', reason: 'other' }, 1],
    ['reuse detected', event('REFRESH_TOKEN_REUSED', { sessionsRevoked: 3 }), 'CONFIDENTIAL', 'orgbound_refreshes_total', { outcome: 'reuse_detected', tier: 'CONFIDENTIAL' }, 1],
    ['reuse revokes', event('REFRESH_TOKEN_REUSED', { sessionsRevoked: 3 }), 'CONFIDENTIAL', 'orgbound_sessions_revoked_total', { kind: 'reuse_detected', tier: 'CONFIDENTIAL' }, 3],
    ['sign-out', event('SESSION_SIGNED_OUT', { count: 1 }), 'STANDARD', 'orgbound_sessions_revoked_total', { kind: 'sign_out', tier: 'STANDARD' }, 1],
    ['revoke one', event('SESSION_REVOKED', { count: 1 }), null, 'orgbound_sessions_revoked_total', { kind: 'session', tier: 'none' }, 1],
    ['revoke all', event('SESSIONS_REVOKED_ALL', { count: 4 }), null, 'orgbound_sessions_revoked_total', { kind: 'all' }, 4],
    ['admin revokes', event('MEMBER_SESSIONS_REVOKED', { count: 2 }), 'STANDARD', 'orgbound_sessions_revoked_total', { kind: 'by_admin' }, 2],
    ['member removed', event('MEMBER_REMOVED', { boundSessionsEnded: 1 }), 'REGULATED', 'orgbound_sessions_revoked_total', { kind: 'member_removed', tier: 'REGULATED' }, 1],
    ['member removed, nothing bound', event('MEMBER_REMOVED', { boundSessionsEnded: 0 }), 'STANDARD', 'orgbound_sessions_revoked_total', {}, 0],
    ['MFA passed', event('MFA_PASSED'), 'CONFIDENTIAL', 'orgbound_mfa_checks_total', { outcome: 'passed', tier: 'CONFIDENTIAL' }, 1],
    ['MFA failed', event('MFA_FAILED'), null, 'orgbound_mfa_checks_total', { outcome: 'failed', tier: 'none' }, 1],
    ['switch', event('ORGANIZATION_SWITCHED', { from: null, mfa: true }), 'CONFIDENTIAL', 'orgbound_org_switches_total', { tier: 'CONFIDENTIAL' }, 1],
    ['any event by type', event('SIGNING_KEY_ROTATED'), 'REGULATED', 'orgbound_security_events_total', { type: 'SIGNING_KEY_ROTATED', tier: 'REGULATED' }, 1],
  ];
  for (const [what, ev, tier, name, labels, expected] of cases) {
    test(what, async () => {
      const metrics = new Metrics();
      metrics.countSecurityEvent(ev, tier);
      assert.equal(valueOf(await samples(metrics), name, labels), expected);
    });
  }
});

describe('bounded labels', () => {
  test('a request outcome is ok, a known error code, or other', () => {
    assert.equal(outcomeLabel([]), 'ok');
    assert.equal(outcomeLabel(['FORBIDDEN', 'NOT_FOUND']), 'FORBIDDEN');
    assert.equal(outcomeLabel(['INTERNAL_SERVER_ERROR']), 'INTERNAL_SERVER_ERROR');
    assert.equal(outcomeLabel(['made up by someone']), 'other');
  });

  const schema = buildSchema(`type Query { viewer: String projects: [String] } type Mutation { signIn(p: String): String }`);
  const label = (source: string, name?: string) => {
    const document = parse(source);
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition' && (!name || d.name?.value === name));
    return operationLabel(schema, document, operation as never);
  };
  const table: [string, string][] = [
    ['query AnyNameAtAll { viewer }', 'viewer'],
    ['{ a: viewer b: viewer __typename }', 'viewer'],
    ['mutation { signIn(p: "x") }', 'signIn'],
    ['{ viewer projects }', 'multiple'],
    ['{ __typename }', '__typename'],
    ['{ __schema { types { name } } }', '__schema'],
    ['{ ...F } fragment F on Query { projects }', 'projects'],
    ['{ ... on Query { viewer } }', 'viewer'],
    ['mutation { viewer }', 'other'],
  ];
  for (const [source, expected] of table) test(`operation label of ${source}`, () => assert.equal(label(source), expected));
});

describe('collected gauges', () => {
  test('pool state is read at each scrape, and a closed pool disappears', async () => {
    const metrics = new Metrics();
    let stats: { used: number; free: number; pending: number; max: number } | null = { used: 3, free: 1, pending: 2, max: 4 };
    metrics.watchPool('rate_limit', () => stats);
    metrics.watchInFlight(() => 5);
    let s = await samples(metrics);
    assert.equal(valueOf(s, 'orgbound_db_pool_connections', { pool: 'rate_limit', state: 'used' }), 3);
    assert.equal(valueOf(s, 'orgbound_db_pool_connections', { pool: 'rate_limit', state: 'free' }), 1);
    assert.equal(valueOf(s, 'orgbound_db_pool_connections', { pool: 'rate_limit', state: 'pending' }), 2);
    assert.equal(valueOf(s, 'orgbound_db_pool_max_connections', { pool: 'rate_limit' }), 4);
    assert.equal(valueOf(s, 'orgbound_http_requests_in_flight'), 5);
    stats = null;
    s = await samples(metrics);
    assert.equal(s.filter((x) => x.name === 'orgbound_db_pool_connections').length, 0);
  });
});

describe('GET /metrics', () => {
  async function get(env: Record<string, string>, authorization?: string): Promise<Response> {
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const app = express().get('/metrics', metricsEndpoint(new Metrics(), config));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      return await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, { headers: authorization ? { authorization } : {} });
    } finally {
      server.close();
      server.closeAllConnections();
    }
  }
  const TOKEN = 'a-metrics-token-0123456789';
  const PRODUCTION = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://owner@db.internal/orgbound',
    APP_DB_PASSWORD: 'a-real-runtime-password',
    ORGBOUND_KEK: Buffer.alloc(32, 7).toString('base64'),
    JWT_ISSUER: 'https://api.example',
  };

  test('open outside production when METRICS_TOKEN is unset', async () => {
    const res = await get({});
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /orgbound_graphql_requests_total/);
  });

  test('not served in production when METRICS_TOKEN is unset', async () => {
    assert.equal((await get(PRODUCTION)).status, 404);
  });

  test('with METRICS_TOKEN set, only its bearer gets the metrics', async () => {
    for (const env of [{ METRICS_TOKEN: TOKEN }, { ...PRODUCTION, METRICS_TOKEN: TOKEN }]) {
      assert.equal((await get(env)).status, 401);
      assert.equal((await get(env, `Bearer ${TOKEN}x`)).status, 401);
      assert.equal((await get(env, TOKEN)).status, 401);
      const res = await get(env, `Bearer ${TOKEN}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /orgbound_sign_ins_total/);
    }
  });

  test('a METRICS_TOKEN too short to be a secret is refused at start', () => {
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN/);
  });
});
