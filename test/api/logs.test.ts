/**
 * Structured logs (issue 6 item 4): one line per GraphQL request with its id, operation, the
 * scope's org_id / sub / sid, outcome and duration; and no credential in any line, at any level,
 * errors included. The server logs at `trace` into memory while the test runs the flows that handle
 * every kind of secret: passwords, access and refresh tokens, a TOTP secret and its codes, an
 * invitation token, a wrong password, and an internal error in a request carrying a password and a code.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { seal } from '../../src/platform/crypto/envelope.ts';
import { REQUEST_ID_PATTERN } from '../../src/api/http/request-log.ts';
import { startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { captureLogs, type LogCapture } from '../support/logs.ts';
import { codeAt, TOTP_STEP_MS } from '../support/mfa.ts';
import { fails, ok } from '../support/sessions.ts';

let clock = new Date('2026-09-01T08:00:00.000Z');
const nextStep = () => (clock = new Date(clock.getTime() + TOTP_STEP_MS));

const SIGN_UP = `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`;
const SIGN_IN = `mutation SignIn($e: String!, $p: String!, $o: ID, $c: String) {
  signIn(email: $e, password: $p, deviceName: "laptop", organizationId: $o, mfaCode: $c) { accessToken refreshToken session { id } } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken } }`;
const BEGIN_TOTP = `mutation { beginTotpEnrollment { secret otpauthUri } }`;
const CONFIRM_TOTP = `mutation($c: String!) { confirmTotpEnrollment(code: $c) { id } }`;
const CREATE_ORG = `mutation { createOrganization(name: "Logs Inc", tier: CONFIDENTIAL) { id } }`;
const SWITCH = `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken refreshToken } }`;
const INVITE = `mutation($e: String!) { inviteMember(email: $e) { token } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role } }`;

let api: TestApi;
let logs: LogCapture;
/** Every secret the flows handled; none may appear in the captured logs. */
const secrets = new Map<string, string>();
const keep = (what: string, value: string): string => (secrets.set(what, value), value);

/** A request with its own X-Request-Id, so the test can find its log line. */
async function call<T = any>(query: string, variables: Record<string, unknown>, token?: string): Promise<{ id: string; r: GqlResult<T> }> {
  const id = randomUUID();
  return { id, r: await api.gql<T>(query, variables, token, { 'x-request-id': id }) };
}

function requestLine(id: string): Record<string, unknown> {
  const found = logs.lines().filter((l) => l.msg === 'graphql request' && l.request_id === id);
  assert.equal(found.length, 1, `one request line for ${id}: ${JSON.stringify(found)}`);
  return found[0]!;
}

const ids: Record<string, string> = {};
let userId: string;
let sessionId: string;
let orgId: string;

before(async () => {
  logs = captureLogs('trace');
  api = await startTestApi({ now: () => clock, logger: logs.logger });
  const email = `logs-${randomUUID()}@example.test`;
  const password = keep('password', `pw ${randomBytes(9).toString('base64url')}`);

  let step = await call(SIGN_UP, { e: email, p: password });
  ids.signUp = step.id;
  userId = ok(step.r).signUp.id;

  step = await call(SIGN_IN, { e: email, p: password });
  ids.signIn = step.id;
  const first = ok(step.r).signIn;
  sessionId = first.session.id;
  keep('first access token', first.accessToken);
  keep('first refresh token', first.refreshToken);

  step = await call(REFRESH, { r: first.refreshToken });
  ids.refresh = step.id;
  const refreshed = ok(step.r).refreshSession;
  keep('refreshed access token', refreshed.accessToken);
  keep('refreshed refresh token', refreshed.refreshToken);

  step = await call(BEGIN_TOTP, {}, refreshed.accessToken);
  ids.beginTotp = step.id;
  const enrollment = ok(step.r).beginTotpEnrollment;
  const secret = keep('TOTP secret', enrollment.secret);
  keep('otpauth URI', enrollment.otpauthUri);
  step = await call(CONFIRM_TOTP, { c: keep('enrollment code', codeAt(secret, clock)) }, refreshed.accessToken);
  ids.confirmTotp = step.id;
  ok(step.r);

  step = await call(CREATE_ORG, {}, refreshed.accessToken);
  orgId = ok(step.r).createOrganization.id;
  nextStep();
  step = await call(SWITCH, { o: orgId, c: keep('switch code', codeAt(secret, clock)) }, refreshed.accessToken);
  ids.switch = step.id;
  const switched = ok(step.r).switchOrganization;
  keep('org access token', switched.accessToken);
  keep('org refresh token', switched.refreshToken);

  const colleague = `colleague-${randomUUID()}@example.test`;
  step = await call(INVITE, { e: colleague }, switched.accessToken);
  ids.invite = step.id;
  const invitation = keep('invitation token', ok(step.r).inviteMember.token);
  const colleaguePassword = keep('colleague password', `pw ${randomBytes(9).toString('base64url')}`);
  ok((await call(SIGN_UP, { e: colleague, p: colleaguePassword })).r);
  const colleagueToken = keep('colleague access token', ok((await call(SIGN_IN, { e: colleague, p: colleaguePassword })).r).signIn.accessToken);
  step = await call(ACCEPT, { t: invitation }, colleagueToken);
  ids.accept = step.id;
  ok(step.r);

  step = await call(SIGN_IN, { e: email, p: keep('wrong password', `wrong ${randomBytes(9).toString('base64url')}`) });
  ids.wrongPassword = step.id;
  fails(step.r, 'UNAUTHENTICATED');

  // An internal error in a request that carries the password and a TOTP code: the stored secret no
  // longer opens (sealed for another user), so checking the code throws an unexpected error.
  await api.db.sql(`update users set totp_secret_sealed = $1 where id = $2`, [seal(api.config.kek, Buffer.from(secret), `totp:${randomUUID()}`), userId]);
  nextStep();
  step = await call(SIGN_IN, { e: email, p: password, o: orgId, c: keep('code of the failing sign-in', codeAt(secret, clock)) });
  ids.internal = step.id;
  assert.equal(step.r.errors?.[0]?.extensions?.code, 'INTERNAL_SERVER_ERROR', JSON.stringify(step.r));
});
after(async () => {
  await api?.close();
});

describe('request log lines', () => {
  test('every request writes one line with its id, operation, scope, outcome and duration', () => {
    for (const [what, id] of Object.entries(ids)) {
      const line = requestLine(id);
      assert.equal(line.level, 30, what);
      for (const field of ['request_id', 'operation', 'org_id', 'sub', 'sid', 'outcome', 'status', 'duration_ms']) assert.ok(field in line, `${what}: ${field} in ${JSON.stringify(line)}`);
      assert.equal(typeof line.duration_ms, 'number', what);
      assert.ok((line.duration_ms as number) >= 0, what);
    }
  });

  test('org_id, sub and sid are those of the verified token, null without one', () => {
    assert.deepEqual(pick(requestLine(ids.signUp!)), { operation: 'signUp', org_id: null, sub: null, sid: null, outcome: 'ok' });
    assert.deepEqual(pick(requestLine(ids.signIn!)), { operation: 'signIn', org_id: null, sub: null, sid: null, outcome: 'ok' });
    assert.deepEqual(pick(requestLine(ids.beginTotp!)), { operation: 'beginTotpEnrollment', org_id: null, sub: userId, sid: sessionId, outcome: 'ok' });
    // The switch is served under the token it was called with (no org yet); the invitation under the org's token.
    assert.deepEqual(pick(requestLine(ids.switch!)), { operation: 'switchOrganization', org_id: null, sub: userId, sid: sessionId, outcome: 'ok' });
    assert.deepEqual(pick(requestLine(ids.invite!)), { operation: 'inviteMember', org_id: orgId, sub: userId, sid: sessionId, outcome: 'ok' });
    assert.equal(requestLine(ids.invite!).tier, 'CONFIDENTIAL');
  });

  test('a failed request lists its error codes', () => {
    const wrong = requestLine(ids.wrongPassword!);
    assert.equal(wrong.outcome, 'error');
    assert.deepEqual(wrong.errors, ['UNAUTHENTICATED']);
    assert.equal(wrong.operation_name, 'SignIn');
    const internal = requestLine(ids.internal!);
    assert.equal(internal.outcome, 'error');
    assert.deepEqual(internal.errors, ['INTERNAL_SERVER_ERROR']);
  });

  test('a refused token logs why (refusal), while the client hears the one answer', async () => {
    const forged = await call(`{ viewer { user { id } } }`, {}, 'not.a.token');
    assert.equal(forged.r.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(JSON.stringify(forged.r).includes('malformed'), false);
    assert.equal(requestLine(forged.id).refusal, 'malformed');

    const REVOKE = `mutation($s: ID!) { revokeSession(id: $s) }`;
    const email = `refusal-${randomUUID()}@example.test`;
    const password = `pw ${randomBytes(9).toString('base64url')}`;
    ok((await call(SIGN_UP, { e: email, p: password })).r);
    const signedIn = ok((await call(SIGN_IN, { e: email, p: password })).r).signIn;
    ok((await call(REVOKE, { s: signedIn.session.id }, signedIn.accessToken)).r);
    const revoked = await call(`{ viewer { user { id } } }`, {}, signedIn.accessToken);
    assert.equal(revoked.r.errors?.[0]?.extensions?.code, 'SESSION_REVOKED');
    assert.equal(requestLine(revoked.id).refusal, 'session_revoked');
    // A request that was not refused carries no refusal field.
    assert.equal('refusal' in requestLine(ids.invite!), false);
  });

  test('the unexpected error is logged once, with the id of its request', () => {
    const errors = logs.lines().filter((l) => l.msg === 'unexpected error in a GraphQL operation');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0]!.request_id, ids.internal);
    assert.equal(errors[0]!.level, 50);
    assert.match(String((errors[0]!.err as { stack: string }).stack), /^\s+at /);
  });
});

describe('request ids', () => {
  test('a well-formed X-Request-Id is echoed and logged; anything else is replaced by a fresh UUID', async () => {
    const send = (id: string) =>
      fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ query: '{ __typename }' }) });
    const traceId = randomBytes(16).toString('hex');
    const echoed = await send(traceId);
    assert.equal(echoed.headers.get('x-request-id'), traceId);
    requestLine(traceId);

    const refreshToken = secrets.get('org refresh token')!;
    for (const bad of [refreshToken, 'hello world', 'x'.repeat(40), `${randomUUID()}-extra`]) {
      const res = await send(bad);
      const given = res.headers.get('x-request-id') ?? '';
      assert.notEqual(given, bad);
      assert.match(given, REQUEST_ID_PATTERN);
      requestLine(given);
    }
  });

  test('other routes carry an X-Request-Id too', async () => {
    const res = await fetch(api.server.url.replace('/graphql', '/healthz'));
    assert.match(res.headers.get('x-request-id') ?? '', REQUEST_ID_PATTERN);
  });
});

describe('no secret reaches the logs', () => {
  test('no password, token, TOTP secret or code, or invitation token appears in any line, at trace level', () => {
    const text = logs.text();
    assert.ok(logs.lines().length >= Object.keys(ids).length, 'the capture holds the request lines');
    assert.ok(secrets.size >= 15);
    for (const [what, value] of secrets) {
      assert.ok(!text.includes(value), `the ${what} appears in the logs`);
      if (value.startsWith('eyJ')) assert.ok(!text.includes(value.split('.')[2]!), `the signature of the ${what} appears in the logs`);
      if (value.startsWith('ort_')) assert.ok(!text.includes(value.slice(4)), `the ${what} (without its prefix) appears in the logs`);
    }
  });
});

function pick(line: Record<string, unknown>): Record<string, unknown> {
  const { operation, org_id, sub, sid, outcome } = line;
  return { operation, org_id, sub, sid, outcome };
}
