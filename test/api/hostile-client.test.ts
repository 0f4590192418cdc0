/**
 * Issue 15: what a response promises under a hostile client. A mutation is all or nothing (it
 * commits only without any error, and otherwise answers `data: null`), the security writes that
 * must survive a failure are written apart, root fields start from the request's own scope, the
 * last-owner rule holds under concurrency, lists reachable from an object are bounded and costed, a
 * burst of refreshes never drains the pool, and client errors are client errors. Each test here
 * failed on the code before the fix.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS, wrongCodeAt } from '../support/mfa.ts';
import { fails, ok, REFRESH, signInDevice } from '../support/sessions.ts';
import { createOrganization, createTenant, PASSWORD, signIn, signUp, type Tenant } from '../support/tenants.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The API's clock, moved by hand: every TOTP step and leeway is deterministic. */
let clock = new Date('2026-07-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));

let api: TestApi;
before(async () => {
  api = await startTestApi({ now: () => clock });
});
after(async () => {
  await api?.close();
});

/** A nested field that fails whatever the mutation did: `members` of a non-active org (no bearer: UNAUTHENTICATED). */
const FAILING_NESTED = `activeOrganization { id members { role } }`;

/** The rolled-back answer: errors, `data: null`, never a 5xx. */
function rolledBack(r: GqlResult, what: string): void {
  assert.ok(r.status < 500, `${what}: HTTP ${r.status}`);
  assert.ok(r.errors?.length, `${what}: no error: ${JSON.stringify(r.data)}`);
  assert.equal(r.data, null, `${what}: the response carries data of an operation that did not commit: ${JSON.stringify(r.data)}`);
}

async function eventsOf(userId: string, type: string): Promise<{ org_id: string | null }[]> {
  return api.db.sql(`select org_id from security_events where user_id = $1 and type = $2`, [userId, type]);
}

async function tokenRow(sessionId: string): Promise<{ live: number; total: number }> {
  const [row] = await api.db.sql(`select count(*) filter (where rotated_at is null)::int as live, count(*)::int as total from refresh_tokens where session_id = $1`, [sessionId]);
  return row;
}

describe('a mutation that fails anywhere commits nothing and answers no data', () => {
  test('refreshSession behind a failing nested field, five times: no token handed out, nothing rotated, the victim refreshes normally', async () => {
    const t = await createTenant(api, 'refresh-nested');
    const device = await signInDevice(api, t.email, 'victim', t.orgId);
    advance(MINUTE);
    for (let i = 0; i < 5; i++) {
      rolledBack(await api.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken ${FAILING_NESTED} } }`, { r: device.refreshToken }), `attempt ${i + 1}`);
    }
    assert.deepEqual(await tokenRow(device.sessionId), { live: 1, total: 1 }, 'the refresh token was rotated by a rolled-back operation');
    const normal = ok(await api.gql(REFRESH, { t: device.refreshToken })).refreshSession;
    assert.deepEqual(await tokenRow(device.sessionId), { live: 1, total: 2 });
    // Single use and reuse detection are intact: the original, presented after the leeway, is theft.
    advance(MINUTE);
    fails(await api.gql(REFRESH, { t: device.refreshToken }), 'REFRESH_TOKEN_REUSED');
    fails(await api.gql(REFRESH, { t: normal.refreshToken }), 'SESSION_REVOKED');
  });

  test('a retired token after the leeway, behind a field that failed: REFRESH_TOKEN_REUSED, and the revocation and its events persist', async () => {
    const t = await createTenant(api, 'reuse-nested');
    const device = await signInDevice(api, t.email, 'stolen', t.orgId);
    const other = await signInDevice(api, t.email, 'other device', t.orgId);
    advance(MINUTE);
    const rotated = ok(await api.gql(REFRESH, { t: device.refreshToken })).refreshSession;
    advance(MINUTE);
    // The live token first, with a nested field that fails; then the retired one: theft.
    const r = await api.gql(
      `mutation($live: String!, $old: String!) { a: refreshSession(refreshToken: $live) { accessToken ${FAILING_NESTED} } b: refreshSession(refreshToken: $old) { accessToken } }`,
      { live: rotated.refreshToken, old: device.refreshToken },
    );
    rolledBack(r, 'reuse behind a failing field');
    assert.ok(r.errors!.some((e) => e.extensions?.code === 'REFRESH_TOKEN_REUSED'), JSON.stringify(r.errors));
    const sessions = await api.db.sql(`select revoked_at, revoke_reason from device_sessions where user_id = $1`, [t.userId]);
    assert.ok(sessions.every((s: { revoke_reason: string }) => s.revoke_reason === 'REFRESH_TOKEN_REUSED'), JSON.stringify(sessions));
    assert.equal((await eventsOf(t.userId, 'REFRESH_TOKEN_REUSED')).length, 2, 'the user-level event and the org copy');
    fails(await api.gql(REFRESH, { t: rotated.refreshToken }), 'SESSION_REVOKED');
    fails(await api.gql(`{ viewer { user { id } } }`, {}, other.accessToken), 'SESSION_REVOKED');
  });

  test('switchOrganization into a CONFIDENTIAL org behind a failing field: no token, no entry recorded, no event', async () => {
    const email = `switch-nested-${randomUUID()}@example.test`;
    const userId = await signUp(api, email);
    const plain = await signIn(api, email);
    const std = await createOrganization(api, plain.accessToken, 'STANDARD');
    const conf = await createOrganization(api, plain.accessToken, 'CONFIDENTIAL');
    const inStd = await signIn(api, email, std);
    const secret = await enrollTotp(api, inStd.accessToken, clock);
    advance(TOTP_STEP_MS);
    const session = await signInDevice(api, email, 'switcher', std);
    // Organization.members of the org just entered is not the active org of the bearer's scope: FORBIDDEN.
    const r = await api.gql(
      `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken refreshToken ${FAILING_NESTED} } }`,
      { o: conf, c: codeAt(secret, clock) },
      session.accessToken,
    );
    rolledBack(r, 'switch behind a failing field');
    const [row] = await api.db.sql(`select entered_org_ids, active_org_id from device_sessions where id = $1`, [session.sessionId]);
    assert.deepEqual(row.entered_org_ids, [std]);
    assert.equal(row.active_org_id, std);
    assert.deepEqual(await tokenRow(session.sessionId), { live: 1, total: 1 });
    assert.equal((await api.db.sql(`select 1 from security_events where user_id = $1 and type = 'ORGANIZATION_SWITCHED'`, [userId])).length, 0);
    // The session's refresh token was not superseded: it still refreshes.
    ok(await api.gql(REFRESH, { t: session.refreshToken }));
  });

  test('delegateToAgent before a field that fails: no agent token, no AGENT_DELEGATED event', async () => {
    const t = await createTenant(api, 'delegate-sibling');
    const plain = await signIn(api, t.email);
    const other = await createOrganization(api, plain.accessToken, 'STANDARD');
    // The switch succeeds; its payload's org is not the bearer's active one, so `members` fails (FORBIDDEN).
    const r = await api.gql(
      `mutation($o: ID!) { d: delegateToAgent(agentName: "summarizer", scopes: ["projects:read"], ttlSeconds: 60) { accessToken } s: switchOrganization(organizationId: $o) { accessToken activeOrganization { id members { role } } } }`,
      { o: other },
      t.token,
    );
    rolledBack(r, 'delegation before a failing field');
    assert.equal(errorCode(r), 'FORBIDDEN');
    assert.equal((await eventsOf(t.userId, 'AGENT_DELEGATED')).length, 0);
  });

  test('several root fields: the writes of the fields that succeeded are rolled back with the one that failed', async () => {
    const t = await createTenant(api, 'multi-root');
    const name = `never committed ${randomUUID()}`;
    const r = await api.gql(
      `mutation($n: String!, $p: ID!, $id: ID!) { a: createProject(name: $n) { id } b: createTask(projectId: $p, title: "also not") { id } c: updateTask(id: $id, title: "") { id } }`,
      { n: name, p: t.projectId, id: t.taskId },
      t.token,
    );
    rolledBack(r, 'three root fields, the last one invalid');
    assert.equal(errorCode(r), 'BAD_USER_INPUT');
    assert.equal((await api.db.sql(`select 1 from projects where name = $1`, [name])).length, 0);
    assert.equal((await api.db.sql(`select 1 from tasks where title = 'also not'`)).length, 0);
  });

  test('a failed sign-in behind a field that failed persists its SIGN_IN_FAILED event, and nothing else of the operation commits', async () => {
    const t = await createTenant(api, 'failed-sign-in');
    const before = (await eventsOf(t.userId, 'SIGN_IN_FAILED')).length;
    const r = await api.gql(
      `mutation($e: String!, $p: String!, $o: ID) { a: signIn(email: $e, password: $p, deviceName: "first", organizationId: $o) { accessToken ${FAILING_NESTED} } b: signIn(email: $e, password: "wrong password!", deviceName: "second") { accessToken } }`,
      { e: t.email, p: PASSWORD, o: t.orgId },
    );
    rolledBack(r, 'a failed sign-in behind a failing field');
    assert.ok(r.errors!.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && e.path?.[0] === 'b'), JSON.stringify(r.errors));
    assert.equal((await eventsOf(t.userId, 'SIGN_IN_FAILED')).length, before + 1);
    assert.equal((await api.db.sql(`select 1 from device_sessions where user_id = $1 and device_name = 'first'`, [t.userId])).length, 0, 'the first sign-in committed');
  });

  test('a query keeps its partial data: it ran READ ONLY, so nothing in it depends on a write', async () => {
    const t = await createTenant(api, 'partial-query');
    const withError = await api.gql(`query($id: ID!) { project(id: $id) { id } organization { id members(first: 0) { role } } }`, { id: t.projectId }, t.token);
    assert.equal(errorCode(withError), 'BAD_USER_INPUT');
    assert.deepEqual(withError.data, { project: { id: t.projectId }, organization: null }, JSON.stringify(withError));
  });
});

describe('wrong MFA codes are counted where no rollback can erase them', () => {
  test('8 wrong guesses, each in an operation that fails otherwise too: RATE_LIMITED after the fifth, even for the right code', async () => {
    const email = `guesser-${randomUUID()}@example.test`;
    const userId = await signUp(api, email);
    const plain = await signIn(api, email);
    const std = await createOrganization(api, plain.accessToken, 'STANDARD');
    const conf = await createOrganization(api, plain.accessToken, 'CONFIDENTIAL');
    const inStd = await signIn(api, email, std);
    const secret = await enrollTotp(api, inStd.accessToken, clock);
    advance(TOTP_STEP_MS);
    const attacker = await signInDevice(api, email, 'attacker', std);
    const variants = [
      // a write that succeeds first, then the guess: the write rolls back with it
      `mutation($o: ID!, $c: String) { p: createProject(name: "first") { id } s: switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`,
      // the guess with a nested field that would fail
      `mutation($o: ID!, $c: String) { s: switchOrganization(organizationId: $o, mfaCode: $c) { accessToken ${FAILING_NESTED} } }`,
      // the guess, then a sibling that fails
      `mutation($o: ID!, $c: String) { s: switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } f: revokeSession(id: "${randomUUID()}") }`,
    ];
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await api.gql(variants[i % variants.length]!, { o: conf, c: wrongCodeAt(secret, clock) }, attacker.accessToken);
      rolledBack(r, `guess ${i + 1}`);
      codes.push(errorCode(r));
    }
    assert.deepEqual(codes, ['MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    fails(await api.gql(`mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`, { o: conf, c: codeAt(secret, clock) }, attacker.accessToken), 'RATE_LIMITED', 'the right code');
    assert.equal((await eventsOf(userId, 'MFA_FAILED')).filter((e) => e.org_id === null).length, 5);
    assert.equal((await api.db.sql(`select 1 from projects where name = 'first'`)).length, 0);
  });
});

describe('the last-owner rule holds under concurrency', () => {
  test('two owners removing each other at once, 5 rounds: exactly one succeeds, the org always keeps an owner', async () => {
    for (let round = 0; round < 5; round++) {
      const t = await createTenant(api, `owners-${round}`);
      const second = `co-owner-${randomUUID()}@example.test`;
      const secondId = await signUp(api, second);
      const invite = ok(await api.gql(`mutation($e: String!) { inviteMember(email: $e, role: OWNER) { token } }`, { e: second }, t.token)).inviteMember;
      const plain = await signIn(api, second);
      ok(await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: invite.token }, plain.accessToken));
      const secondToken = (await signIn(api, second, t.orgId)).accessToken;
      const remove = `mutation($u: ID!) { removeMember(userId: $u) }`;
      const [x, y] = await Promise.all([api.gql(remove, { u: secondId }, t.token), api.gql(remove, { u: t.userId }, secondToken)]);
      const succeeded = [x, y].filter((r) => r.errors === undefined);
      assert.equal(succeeded.length, 1, `round ${round}: ${JSON.stringify([x, y])}`);
      const loser = [x, y].find((r) => r.errors !== undefined)!;
      assert.ok(['FORBIDDEN', 'BAD_USER_INPUT'].includes(errorCode(loser)!), JSON.stringify(loser));
      const owners = await api.db.sql(`select count(*)::int as n from memberships where org_id = $1 and role = 'OWNER'`, [t.orgId]);
      assert.equal(owners[0].n, 1, `round ${round}: the org has ${owners[0].n} owners`);
    }
  });
});

describe('lists reachable from an object are bounded and costed', () => {
  test('task { project { tasks { project { tasks { project { tasks } } } } } } is refused before it runs (QUERY_TOO_COMPLEX, 400)', async () => {
    const t = await createTenant(api, 'fan-out');
    const r = await api.gql(`query($id: ID!) { task(id: $id) { project { tasks { project { tasks { project { tasks { title } } } } } } } }`, { id: t.taskId }, t.token);
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'QUERY_TOO_COMPLEX');
    assert.equal(r.data, undefined);
  });

  test('page sizes from variables count too, and explicit small pages pass', async () => {
    const t = await createTenant(api, 'fan-out-vars');
    const nested = `query($id: ID!, $n: Int) { task(id: $id) { project { tasks(first: $n) { project { tasks(first: $n) { project { tasks(first: $n) { title } } } } } } } }`;
    assert.equal(errorCode(await api.gql(nested, { id: t.taskId, n: 100 }, t.token)), 'QUERY_TOO_COMPLEX');
    const small = ok(await api.gql(nested, { id: t.taskId, n: 5 }, t.token));
    assert.equal(small.task.project.tasks[0].project.tasks[0].project.tasks[0].title, `task ${t.marker}`);
  });

  test('a page larger than 100 is BAD_USER_INPUT, on every bounded list', async () => {
    const t = await createTenant(api, 'page-size');
    for (const query of [
      `query($id: ID!) { project(id: $id) { tasks(first: 101) { id } } }`,
      `query($id: ID!) { project(id: $id) { id } organization { members(first: 101) { role } } }`,
      `query($id: ID!) { project(id: $id) { id } viewer { memberships(first: 101) { role } } }`,
      `query($id: ID!) { project(id: $id) { id } sessions(first: 101) { id } }`,
      `query($id: ID!) { project(id: $id) { id } serviceAccounts(first: 101) { id } }`,
    ]) {
      assert.equal(errorCode(await api.gql(query, { id: t.projectId }, t.token)), 'BAD_USER_INPUT', query);
    }
  });

  test('Project.tasks(first) returns the first tasks, oldest first', async () => {
    const t = await createTenant(api, 'first-tasks');
    for (let i = 0; i < 3; i++) {
      advance(SECOND);
      ok(await api.gql(`mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`, { p: t.projectId, t: `extra ${i}` }, t.token));
    }
    const r = ok(await api.gql(`query($id: ID!) { project(id: $id) { tasks(first: 2) { title } all: tasks { title } } }`, { id: t.projectId }, t.token));
    assert.deepEqual(r.project.tasks.map((x: { title: string }) => x.title), [`task ${t.marker}`, 'extra 0']);
    assert.equal(r.project.all.length, 4);
  });
});

describe('a burst of presentations of one refresh token never starves the pool', () => {
  test('100 at once on a pool of 2, with other users reading meanwhile: all succeed, one successor', async () => {
    const small = await startTestApi({ now: () => clock, env: { DB_POOL_MAX: '2' } });
    try {
      const victim = await createTenant(small, 'burst');
      const reader = await createTenant(small, 'bystander');
      const device = await signInDevice(small, victim.email, 'burst', victim.orgId);
      const burst = Array.from({ length: 100 }, () => small.gql(REFRESH, { t: device.refreshToken }));
      const reads = Array.from({ length: 20 }, () => small.gql(`{ projects { edges { node { id } } } }`, {}, reader.token));
      const [refreshes, others] = await Promise.all([Promise.all(burst), Promise.all(reads)]);
      for (const r of others) assert.equal(r.errors, undefined, `a bystander's read failed: ${JSON.stringify(r.errors)}`);
      for (const r of refreshes) assert.equal(r.errors, undefined, `a refresh of the burst failed: ${JSON.stringify(r.errors)}`);
      assert.equal(new Set(refreshes.map((r) => r.data.refreshSession.refreshToken)).size, 1);
      const [row] = await small.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [device.sessionId]);
      assert.equal(row.n, 2);
      assert.equal(small.server.services.gates.size, 0, 'the gate released every key');
    } finally {
      await small.close();
    }
  });
});

describe('one operation presenting refresh tokens several times never waits on itself or on another', () => {
  const TWICE = `mutation($t: String!, $u: String!) { a: refreshSession(refreshToken: $t) { refreshToken } b: refreshSession(refreshToken: $u) { refreshToken } }`;
  // The gate of a presented token is held until the request's transaction ends: these used to wait for ever.
  const DEADLINE = { timeout: 20 * SECOND };

  test('the same token in two aliased fields: answered, the second a retry with the same successor', DEADLINE, async () => {
    const t = await createTenant(api, 'alias-refresh');
    const device = await signInDevice(api, t.email, 'alias', t.orgId);
    const r = await api.gql(TWICE, { t: device.refreshToken, u: device.refreshToken });
    assert.ok(r.status < 500, `HTTP ${r.status}`);
    const [row] = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [device.sessionId]);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.a.refreshToken, r.data.b.refreshToken, 'the second presentation is a retry inside the leeway: the same successor');
    assert.equal(row.n, 2, 'one successor');
    assert.equal(api.server.services.gates.size, 0, 'the gate released every key');
  });

  test('two operations crossing two tokens (X then Y beside Y then X): both answered, neither hangs', DEADLINE, async () => {
    const t = await createTenant(api, 'cross-refresh');
    let x = (await signInDevice(api, t.email, 'cross x', t.orgId)).refreshToken;
    let y = (await signInDevice(api, t.email, 'cross y', t.orgId)).refreshToken;
    for (let round = 0; round < 5; round++) {
      const [xy, yx] = await Promise.all([api.gql(TWICE, { t: x, u: y }), api.gql(TWICE, { t: y, u: x })]);
      for (const r of [xy, yx]) {
        assert.ok(r.status < 500, `HTTP ${r.status}`);
        if (r.errors) {
          // The clock stands still: no leeway runs out, so the only refusal is the gate's.
          rolledBack(r, 'a crossing operation');
          assert.equal(errorCode(r), 'RATE_LIMITED', JSON.stringify(r.errors));
        }
      }
      // Whatever happened, the chains go on from their newest tokens.
      const fresh = [xy, yx].find((r) => !r.errors);
      if (fresh === xy) [x, y] = [xy.data.a.refreshToken, xy.data.b.refreshToken];
      else if (fresh === yx) [y, x] = [yx.data.a.refreshToken, yx.data.b.refreshToken];
    }
    assert.equal(api.server.services.gates.size, 0, 'the gate released every key');
  });
});

describe('each root field starts from the request’s own scope', () => {
  let t: Tenant;
  let other: string;
  before(async () => {
    t = await createTenant(api, 'carry-over');
    const plain = await signIn(api, t.email);
    other = await createOrganization(api, plain.accessToken, 'STANDARD');
  });

  test('after switchOrganization, a later root field acts in the bearer’s org, not the one just entered', async () => {
    const name = `after switch ${randomUUID()}`;
    const r = ok(await api.gql(`mutation($o: ID!, $n: String!) { s: switchOrganization(organizationId: $o) { accessToken } p: createProject(name: $n) { id } }`, { o: other, n: name }, t.token));
    assert.equal(decodeJwt(r.s.accessToken).org_id, other);
    const [row] = await api.db.sql(`select org_id from projects where id = $1`, [r.p.id]);
    assert.equal(row.org_id, t.orgId);
  });

  test('after signIn into another org, a later root field still has the bearer’s tenant', async () => {
    const r = ok(
      await api.gql(
        `mutation($e: String!, $p: String!, $o: ID, $id: ID!) { s: signIn(email: $e, password: $p, deviceName: "x", organizationId: $o) { accessToken } u: updateProject(id: $id, name: "renamed in its own tenant") { id name } }`,
        { e: t.email, p: PASSWORD, o: other, id: t.projectId },
        t.token,
      ),
    );
    assert.equal(r.u.name, 'renamed in its own tenant');
  });
});

describe('client errors are client errors', () => {
  test('a subscription is refused in validation: HTTP 400, GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await api.gql(`subscription { viewer { user { id } } }`);
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'GRAPHQL_VALIDATION_FAILED');
  });

  test('POST /oauth/token with a client_id of the right shape but no UUIDs: 401 invalid_client, never 500', async () => {
    const res = await fetch(api.server.url.replace('/graphql', '/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: `sa.${'a'.repeat(36)}.${'b'.repeat(36)}`, client_secret: `obs_${'x'.repeat(43)}` }),
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });
});
