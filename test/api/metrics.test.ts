/**
 * GET /metrics on a running API (issue 6 item 3): each auth outcome moves its counter by tier, rate
 * limits and refused operations are counted by rule and limit, requests by a bounded operation
 * label, pool state is read at scrape time, and no label names a user, email, org, session or
 * token. Each flow compares a scrape before and after it. The API runs on an injected clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS, wrongCodeAt } from '../support/mfa.ts';
import { metricNames, parseSamples, valueOf, type Sample } from '../support/prometheus.ts';
import { fails, ok } from '../support/sessions.ts';
import { PASSWORD, signUp } from '../support/tenants.ts';

let clock = new Date('2026-10-01T08:00:00.000Z');
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

const SIGN_IN = `mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: "m", organizationId: $o) { accessToken refreshToken session { id } } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken } }`;
const CREATE_ORG = `mutation($t: SensitivityTier) { createOrganization(name: "Metrics", tier: $t) { id } }`;
const SWITCH = `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`;

let api: TestApi;
/** Every identifier and secret the flows saw: none may appear in a scrape. */
const identifiers = new Set<string>();
const seen = <T extends string>(v: T): T => (identifiers.add(v), v);

before(async () => {
  api = await startTestApi({ now: () => clock, env: { RATE_LIMIT_SIGN_IN_PER_EMAIL: '4/60' } });
});
after(async () => {
  await api?.close();
});

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(api.server.url.replace('/graphql', '/metrics'));
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parseSamples(text) };
}

/** How much `name{labels}` grew while `fn` ran. */
async function growth(fn: () => Promise<unknown>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const before = valueOf((await scrape()).samples, name, labels);
  await fn();
  return valueOf((await scrape()).samples, name, labels) - before;
}

async function person(label: string): Promise<{ email: string; userId: string }> {
  const email = seen(`${label}-${randomUUID()}@example.test`);
  return { email, userId: seen(await signUp(api, email)) };
}

async function signIn(email: string, organizationId?: string): Promise<{ accessToken: string; refreshToken: string }> {
  const s = ok(await api.gql(SIGN_IN, { e: email, p: PASSWORD, o: organizationId ?? null })).signIn;
  seen(s.session.id);
  return { accessToken: seen(s.accessToken), refreshToken: seen(s.refreshToken) };
}

async function createOrg(token: string, tier: string): Promise<string> {
  return seen(ok(await api.gql(CREATE_ORG, { t: tier }, token)).createOrganization.id);
}

describe('metric names', () => {
  test('every metric of the README is exposed', async () => {
    const names = metricNames((await scrape()).text);
    for (const name of [
      'orgbound_graphql_requests_total',
      'orgbound_graphql_request_duration_seconds',
      'orgbound_sign_ins_total',
      'orgbound_refreshes_total',
      'orgbound_sessions_revoked_total',
      'orgbound_mfa_checks_total',
      'orgbound_org_switches_total',
      'orgbound_security_events_total',
      'orgbound_rate_limited_total',
      'orgbound_query_too_complex_total',
      'orgbound_cross_tenant_denied_total',
      'orgbound_db_pool_connections',
      'orgbound_db_pool_max_connections',
      'orgbound_http_requests_in_flight',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(names.has(name), name);
    }
  });

  test('both database pools are reported at scrape time', async () => {
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'orgbound_db_pool_max_connections', { pool: 'orm' }), api.config.dbPoolMax);
    assert.equal(valueOf(samples, 'orgbound_db_pool_max_connections', { pool: 'rate_limit' }), 4);
    for (const pool of ['orm', 'rate_limit']) {
      for (const state of ['used', 'free', 'pending']) assert.ok(samples.some((s) => s.name === 'orgbound_db_pool_connections' && s.labels.pool === pool && s.labels.state === state), `${pool} ${state}`);
    }
  });
});

describe('auth outcomes', () => {
  test('sign-ins by outcome and tier', async () => {
    const a = await person('signin');
    const plain = await signIn(a.email);
    const orgId = await createOrg(plain.accessToken, 'STANDARD');
    assert.equal(await growth(() => signIn(a.email, orgId), 'orgbound_sign_ins_total', { outcome: 'success', tier: 'STANDARD' }), 1);
    assert.equal(await growth(() => signIn(a.email), 'orgbound_sign_ins_total', { outcome: 'success', tier: 'none' }), 1);
    const wrong = async () => fails(await api.gql(SIGN_IN, { e: a.email, p: 'not the password at all' }), 'UNAUTHENTICATED');
    assert.equal(await growth(wrong, 'orgbound_sign_ins_total', { outcome: 'failure', reason: 'bad_credentials', tier: 'none' }), 1);
  });

  test('refreshes: rotated, then reuse detected, which revokes the sessions', async () => {
    const a = await person('refresh');
    const plain = await signIn(a.email);
    const orgId = await createOrg(plain.accessToken, 'STANDARD');
    const inOrg = await signIn(a.email, orgId);
    const rotate = async () => seen(ok(await api.gql(REFRESH, { r: inOrg.refreshToken })).refreshSession.refreshToken);
    assert.equal(await growth(rotate, 'orgbound_refreshes_total', { outcome: 'rotated', tier: 'STANDARD' }), 1);
    advance(11_000); // past STANDARD's 10 s leeway: presenting the rotated token again is reuse
    const before = (await scrape()).samples;
    fails(await api.gql(REFRESH, { r: inOrg.refreshToken }), 'REFRESH_TOKEN_REUSED');
    const after = (await scrape()).samples;
    const grew = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(grew('orgbound_refreshes_total', { outcome: 'reuse_detected', tier: 'STANDARD' }), 1);
    assert.equal(grew('orgbound_sessions_revoked_total', { kind: 'reuse_detected', tier: 'STANDARD' }), 2); // both sessions of the user
    assert.equal(grew('orgbound_security_events_total', { type: 'REFRESH_TOKEN_REUSED' }), 1);
    const unknown = async () => fails(await api.gql(REFRESH, { r: `ort_${'A'.repeat(43)}` }), 'UNAUTHENTICATED');
    assert.equal(await growth(unknown, 'orgbound_refreshes_total', { outcome: 'invalid', tier: 'none' }), 1);
  });

  test('MFA passed and failed, and a switch, by the tier of the org entered', async () => {
    const b = await person('mfa');
    const plain = await signIn(b.email);
    let secret = '';
    assert.equal(await growth(async () => (secret = await enrollTotp(api, plain.accessToken, clock)), 'orgbound_mfa_checks_total', { outcome: 'passed', tier: 'none' }), 1);
    const orgId = await createOrg(plain.accessToken, 'CONFIDENTIAL');
    advance(TOTP_STEP_MS);
    const wrong = async () => fails(await api.gql(SWITCH, { o: orgId, c: wrongCodeAt(secret, clock) }, plain.accessToken), 'MFA_REQUIRED');
    assert.equal(await growth(wrong, 'orgbound_mfa_checks_total', { outcome: 'failed', tier: 'CONFIDENTIAL' }), 1);
    const before = (await scrape()).samples;
    seen(ok(await api.gql(SWITCH, { o: orgId, c: codeAt(secret, clock) }, plain.accessToken)).switchOrganization.accessToken);
    const after = (await scrape()).samples;
    assert.equal(valueOf(after, 'orgbound_mfa_checks_total', { outcome: 'passed', tier: 'CONFIDENTIAL' }) - valueOf(before, 'orgbound_mfa_checks_total', { outcome: 'passed', tier: 'CONFIDENTIAL' }), 1);
    assert.equal(valueOf(after, 'orgbound_org_switches_total', { tier: 'CONFIDENTIAL' }) - valueOf(before, 'orgbound_org_switches_total', { tier: 'CONFIDENTIAL' }), 1);
  });

  test('revocations by kind and tier', async () => {
    const c = await person('revoke');
    const plain = await signIn(c.email);
    const orgId = await createOrg(plain.accessToken, 'STANDARD');
    const inOrg = await signIn(c.email, orgId);
    const signOut = async () => assert.equal(ok(await api.gql(`mutation { signOut }`, {}, inOrg.accessToken)).signOut, true);
    assert.equal(await growth(signOut, 'orgbound_sessions_revoked_total', { kind: 'sign_out', tier: 'STANDARD' }), 1);
    await signIn(c.email);
    const all = async () => assert.equal(ok(await api.gql(`mutation { revokeAllSessions }`, {}, plain.accessToken)).revokeAllSessions, 2);
    assert.equal(await growth(all, 'orgbound_sessions_revoked_total', { kind: 'all', tier: 'none' }), 2);
  });

  test('an operation that rolls back counts no outcome it recorded', async () => {
    const d = await person('rollback');
    const both = `mutation($e: String!, $p: String!) { a: signIn(email: $e, password: $p, deviceName: "m") { accessToken } b: createOrganization(name: "x") { id } }`;
    const run = async () => {
      const r = await api.gql(both, { e: d.email, p: PASSWORD });
      // signIn ran and succeeded; createOrganization then failed (no token), so the operation rolled back.
      assert.deepEqual(r.errors?.map((e) => [e.path, e.extensions?.code]), [[['b'], 'UNAUTHENTICATED']]);
    };
    assert.equal(await growth(run, 'orgbound_sign_ins_total', { outcome: 'success' }), 0);
  });
});

describe('abuse limits', () => {
  test('rate-limit refusals by rule', async () => {
    const e = await person('limited');
    const attempt = () => api.gql(SIGN_IN, { e: e.email, p: 'not the password at all' });
    for (let i = 0; i < 4; i++) fails(await attempt(), 'UNAUTHENTICATED');
    assert.equal(await growth(async () => fails(await attempt(), 'RATE_LIMITED'), 'orgbound_rate_limited_total', { rule: 'signInPerEmail' }), 1);
  });

  test('refused operations by the limit they broke', async () => {
    const deep = `{ viewer { memberships { organization { members { organization { members { organization { members { role } } } } } } } } }`;
    const refuse = async () => assert.equal((await api.gql(deep)).errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.equal(await growth(refuse, 'orgbound_query_too_complex_total', { limit: 'depth' }), 1);
    assert.equal(await growth(refuse, 'orgbound_graphql_requests_total', { operation: 'none', outcome: 'QUERY_TOO_COMPLEX' }), 1);
  });
});

describe('request metrics', () => {
  test('requests are counted and timed by root field and outcome, whatever the client calls them', async () => {
    const name = `Client${randomUUID().replaceAll('-', '')}`;
    const run = async () => ok(await api.gql(`query ${name} { __typename }`));
    assert.equal(await growth(run, 'orgbound_graphql_requests_total', { operation: '__typename', outcome: 'ok' }), 1);
    assert.equal(await growth(run, 'orgbound_graphql_request_duration_seconds_count', { operation: '__typename', outcome: 'ok' }), 1);
    const unauthenticated = async () => fails(await api.gql(`{ viewer { user { id } } }`), 'UNAUTHENTICATED');
    assert.equal(await growth(unauthenticated, 'orgbound_graphql_requests_total', { operation: 'viewer', outcome: 'UNAUTHENTICATED' }), 1);
    const badToken = async () => api.gql(`{ viewer { user { id } } }`, {}, 'not-a-token');
    assert.equal(await growth(badToken, 'orgbound_graphql_requests_total', { operation: 'none', outcome: 'UNAUTHENTICATED' }), 1);
    const { samples, text } = await scrape();
    assert.ok(!text.includes(name));
    const operations = new Set(samples.filter((s) => s.name === 'orgbound_graphql_requests_total').map((s) => s.labels.operation));
    for (const op of operations) assert.match(op!, /^(none|multiple|other|__typename|[a-z][A-Za-z]+)$/);
  });

  test('no label carries a user id, email, org id, session id or token', async () => {
    const { text, samples } = await scrape();
    assert.ok(identifiers.size > 20, `${identifiers.size} identifiers seen`);
    for (const id of identifiers) assert.ok(!text.includes(id), `${id} in /metrics`);
    const labelNames = new Set(samples.filter((s) => s.name.startsWith('orgbound_')).flatMap((s) => Object.keys(s.labels)));
    const allowed = new Set(['kind', 'le', 'limit', 'object', 'operation', 'outcome', 'pool', 'reason', 'rule', 'state', 'tier', 'type']);
    for (const label of labelNames) assert.ok(allowed.has(label), `label ${label}`);
  });
});

describe('one registry per server', () => {
  test('a second server on the same database starts from zero', async () => {
    const two = await startTestApi({ db: api.db, now: () => clock });
    try {
      const res = await fetch(two.server.url.replace('/graphql', '/metrics'));
      const samples = parseSamples(await res.text());
      assert.equal(valueOf(samples, 'orgbound_sign_ins_total'), 0);
      assert.ok(valueOf((await scrape()).samples, 'orgbound_sign_ins_total') > 0);
    } finally {
      await two.close();
    }
  });
});
