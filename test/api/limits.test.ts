/**
 * Abuse limits (issue 5): graphql-armor's operation limits refuse before execution with
 * QUERY_TOO_COMPLEX, and the rate limits on signIn, MFA and refreshSession count every attempt in
 * PostgreSQL, shared by every instance, whatever the attempt's own transaction does. The API runs on
 * an injected clock; each rate-limit test starts in fresh windows (freshWindows).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, errorCode, startTestApi, type GqlResult, type TestApi, type TestDatabase } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS, wrongCodeAt } from '../support/mfa.ts';
import { fails, ok, REFRESH, refreshWith } from '../support/sessions.ts';
import { createTenant, PASSWORD, signIn, signUp, type Tenant } from '../support/tenants.ts';

const MINUTE = 60_000;

let clock = new Date('2026-08-01T08:00:00.000Z');
/** Moves past two 60 s windows: every counter of an earlier test is out of the sliding window. */
const freshWindows = (): Date => (clock = new Date(Math.ceil((clock.getTime() + 3 * MINUTE) / MINUTE) * MINUTE + 1000));

/** Small enough to reach in a test; the query limits are the defaults. */
const LIMITS = {
  RATE_LIMIT_SIGN_IN_PER_EMAIL: '3/60',
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: '8/60',
  RATE_LIMIT_MFA_PER_ADDRESS: '4/60',
  RATE_LIMIT_REFRESH_PER_SESSION: '3/60',
  RATE_LIMIT_REFRESH_PER_ADDRESS: '8/60',
};

let db: TestDatabase;
let api: TestApi;
let two: TestApi;
let tenant: Tenant;
before(async () => {
  db = await createTestDatabase();
  api = await startTestApi({ db, env: LIMITS, now: () => clock });
  two = await startTestApi({ db, env: LIMITS, now: () => clock });
  tenant = await createTenant(api, 'limits');
});
after(async () => {
  await api?.close();
  await two?.close();
  await db?.drop();
});

const SIGN_IN = `mutation($e: String!, $p: String!) { signIn(email: $e, password: $p, deviceName: "limits") { accessToken refreshToken session { id } } }`;
const signInAs = (target: TestApi, email: string, password = PASSWORD) => target.gql(SIGN_IN, { e: email, p: password });
const newEmail = (label: string) => `${label}-${randomUUID()}@example.test`;
async function newAccount(label: string): Promise<string> {
  const email = newEmail(label);
  await signUp(api, email);
  return email;
}

/** A refusal of the whole operation: QUERY_TOO_COMPLEX, HTTP 400, nothing executed. */
function refused(r: GqlResult, what: string): void {
  assert.equal(r.status, 400, `${what}: HTTP ${r.status} ${JSON.stringify(r.errors)}`);
  assert.ok(r.errors?.length, what);
  for (const e of r.errors!) {
    assert.equal(e.extensions?.code, 'QUERY_TOO_COMPLEX', `${what}: ${JSON.stringify(r.errors)}`);
    assert.match(e.message, /^Query too complex: /);
  }
  assert.equal(r.data, undefined, `${what}: executed`);
}

async function projectsNamed(name: string): Promise<number> {
  return (await db.sql(`select count(*)::int as n from projects where name = $1`, [name]))[0].n;
}

/** Sum of the attempts counted under `rule` in the current window of the clock (60 s windows). */
async function counted(rule: string): Promise<number> {
  const start = new Date(Math.floor(clock.getTime() / MINUTE) * MINUTE);
  const rows = await db.sql(`select coalesce(sum(hits), 0)::int as n from rate_limit_buckets where key like $1 and window_start = $2`, [`${rule}:%`, start]);
  return rows[0].n;
}

const repeat = (n: number, text: string) => Array.from({ length: n }, () => text).join(' ');

describe('operation limits (defaults: depth 8, cost 100000, aliases 15, directives 20, tokens 1000)', () => {
  test('ordinary app queries pass: depth 8, a full page of projects with tasks, 15 aliases, 20 directives', async () => {
    const queries = [
      `{ projects { edges { node { tasks(first: 5) { project { tasks(first: 5) { project { name } } } } } } } }`, // depth 8 (each list costs its page size: 20 × 5 × 5)
      `{ viewer { memberships { organization { id members { user { id email } } } } } }`, // the deepest query of the other suites (6)
      `{ projects(first: 100) { edges { cursor node { id name createdAt tasks { id title done project { id name createdAt } } } } pageInfo { hasNextPage endCursor } } }`, // cost 81,000: 100 projects × (100 tasks × 8 + 6)
      `{ ${Array.from({ length: 15 }, (_, i) => `p${i}: project(id: "${tenant.projectId}") { name }`).join(' ')} }`,
      `{ viewer { user { ${repeat(10, 'id @include(if: true) @skip(if: false)')} } } }`,
    ];
    for (const q of queries) ok(await api.gql(q, {}, tenant.token));
  });

  const cases: [name: string, mutation: string][] = [
    ['depth 9', `mutation($n: String!) { createProject(name: $n) { tasks { project { tasks { project { tasks { project { tasks { id } } } } } } } } }`],
    ['cost over 100000', `mutation($n: String!) { createProject(name: $n) { tasks { project { tasks { project { tasks { project { ${repeat(600, 'id')} } } } } } } } }`],
    ['16 aliases', `mutation($n: String!) { createProject(name: $n) { id ${Array.from({ length: 16 }, (_, i) => `a${i}: name`).join(' ')} } }`],
    ['21 directives', `mutation($n: String!) { createProject(name: $n) { id @include(if: true) ${repeat(10, 'name @include(if: true) @skip(if: false)')} } }`],
    ['1001 tokens', `mutation($n: String!) { createProject(name: $n) { ${repeat(1000, 'id')} } }`],
  ];
  for (const [name, mutation] of cases) {
    test(`${name}: QUERY_TOO_COMPLEX, and the mutation never runs`, async () => {
      const project = `refused ${name} ${randomUUID()}`;
      refused(await api.gql(mutation, { n: project }, tenant.token), name);
      assert.equal(await projectsNamed(project), 0, `${name}: the refused mutation created a project`);
    });
  }

  test('the cost counts a literal page size: 100 projects × 30 task fields is refused', async () => {
    refused(await api.gql(`{ projects(first: 100) { edges { node { tasks { ${repeat(30, 'id')} } } } } }`, {}, tenant.token), 'cost');
  });

  test('refused without a token too (before the operation would be denied), and with the limit named', async () => {
    const r = await api.gql(`{ viewer { memberships { organization { members { organization { members { organization { members { role } } } } } } } } }`);
    refused(r, 'anonymous deep query');
    assert.equal(r.errors![0]!.message, 'Query too complex: Query depth limit of 8 exceeded, found 9.');
  });

  test('a batch (a JSON array of operations) is refused with 400, and none of it runs', async () => {
    const email = await newAccount('batch');
    freshWindows();
    const res = await fetch(api.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { query: SIGN_IN, variables: { e: email, p: 'wrong password 1' } },
        { query: SIGN_IN, variables: { e: email, p: 'wrong password 2' } },
      ]),
    });
    assert.equal(res.status, 400, await res.text());
    assert.equal(await counted('signInPerEmail'), 0);
    assert.equal(await counted('signInPerAddress'), 0);
  });
});

describe('operation limits in production', () => {
  let prod: TestApi;
  before(async () => {
    prod = await startTestApi({
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', // the harness connects with its own URLs
        APP_DB_PASSWORD: 'not-the-development-password',
        ORGBOUND_KEK: randomBytes(32).toString('base64'),
        JWT_ISSUER: 'https://api.orgbound.test',
      },
    });
  });
  after(async () => {
    await prod?.close();
  });

  test('the message names the limit, not its value, and carries no locations or schema names', async () => {
    const r = await prod.gql(`{ viewer { memberships { organization { members { organization { members { organization { members { role } } } } } } } } }`);
    refused(r, 'production');
    assert.deepEqual(r.errors, [{ message: 'Query too complex: depth limit exceeded', extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
    const tokens = await prod.gql(`{ ${repeat(1001, '__typename')} }`);
    refused(tokens, 'production tokens');
    assert.deepEqual(tokens.errors, [{ message: 'Query too complex: token limit exceeded', extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
  });
});

describe('signIn rate limits (3 per email, 8 per address, per minute)', () => {
  test('failed attempts count: after 3 wrong passwords even the right one is RATE_LIMITED, until the window passes', async () => {
    const email = await newAccount('per-email');
    freshWindows();
    for (let i = 1; i <= 3; i++) fails(await signInAs(api, email, `wrong password ${i}`), 'UNAUTHENTICATED', `attempt ${i}`);
    fails(await signInAs(api, email), 'RATE_LIMITED', 'the right password after 3 failures');
    fails(await signInAs(api, email.toUpperCase()), 'RATE_LIMITED', 'the same email in capitals');
    // The failures' security events committed although their transactions failed; the refusal wrote nothing.
    const events = await db.sql(`select count(*)::int as n from security_events e join users u on u.id = e.user_id where u.email = $1 and e.type = 'SIGN_IN_FAILED'`, [email]);
    assert.equal(events[0].n, 3);
    // Another account from the same address is not affected (4 + 1 of 8).
    ok(await signInAs(api, await newAccount('bystander')));
    freshWindows();
    ok(await signInAs(api, email));
  });

  test('RATE_LIMITED does not tell an existing account from an unknown email', async () => {
    const existing = await newAccount('exists');
    const unknown = newEmail('nobody');
    freshWindows();
    const last: GqlResult[] = [];
    for (const email of [existing, unknown]) {
      for (let i = 1; i <= 3; i++) fails(await signInAs(api, email, 'a wrong password'), 'UNAUTHENTICATED', `${email} attempt ${i}`);
      last.push(await signInAs(api, email, 'a wrong password'));
    }
    fails(last[0]!, 'RATE_LIMITED');
    assert.deepEqual(last[0], last[1]);
  });

  test('per address: the 9th attempt from one address is refused, whichever emails it tries and whatever X-Forwarded-For says', async () => {
    const real = await newAccount('address');
    freshWindows();
    for (let i = 1; i <= 8; i++) {
      const spoofed = { 'x-forwarded-for': `198.51.100.${i}` }; // believed from no one by default (TRUST_PROXY)
      fails(await api.gql(SIGN_IN, { e: newEmail(`spray-${i}`), p: PASSWORD }, undefined, spoofed), 'UNAUTHENTICATED', `spray ${i}`);
    }
    fails(await signInAs(api, real), 'RATE_LIMITED', 'a real account with the right password');
  });

  test('behind a trusted proxy (TRUST_PROXY=loopback) the forwarded address is the client', async () => {
    const proxied = await startTestApi({ db, env: { ...LIMITS, TRUST_PROXY: 'loopback' }, now: () => clock });
    try {
      const real = await newAccount('proxied');
      freshWindows();
      const from = (address: string, email: string) => proxied.gql(SIGN_IN, { e: email, p: PASSWORD }, undefined, { 'x-forwarded-for': address });
      for (let i = 1; i <= 8; i++) fails(await from('203.0.113.10', newEmail(`proxied-${i}`)), 'UNAUTHENTICATED', `attempt ${i}`);
      fails(await from('203.0.113.10', real), 'RATE_LIMITED', 'the same client');
      ok(await from('203.0.113.11', real));
    } finally {
      await proxied.close();
    }
  });

  test('expired counters are deleted by the next attempt after a minute', async () => {
    await signInAs(api, newEmail('before'), 'a wrong password');
    freshWindows();
    assert.ok((await db.sql(`select key from rate_limit_buckets where expires_at <= $1`, [clock])).length >= 2, 'nothing has expired yet');
    await signInAs(api, newEmail('after'), 'a wrong password');
    await api.server.services.rateLimiter.idle();
    assert.deepEqual(await db.sql(`select key from rate_limit_buckets where expires_at <= $1`, [clock]), []);
    assert.ok((await db.sql(`select key from rate_limit_buckets where window_start <= $1`, [clock])).length >= 2, "the current window's counters stay");
  });

  test('aliases count once per executed signIn; the refused operation rolls back the sessions of the others', async () => {
    const email = await newAccount('aliases');
    freshWindows();
    const aliased = `mutation($e: String!, $p: String!) { ${Array.from({ length: 5 }, (_, i) => `s${i}: signIn(email: $e, password: $p, deviceName: "alias ${i}") { accessToken }`).join(' ')} }`;
    const r = await api.gql(aliased, { e: email, p: PASSWORD });
    fails(r, 'RATE_LIMITED', 'five aliased signIns with the right password, limit 3');
    assert.deepEqual(r.errors!.map((e) => e.path), [['s3']]);
    // s0..s2 ran and counted, s3 was refused (and counted); graphql-js runs no mutation field after one that failed.
    assert.equal(await counted('signInPerEmail'), 4);
    assert.deepEqual(await db.sql(`select s.id from device_sessions s join users u on u.id = s.user_id where u.email = $1`, [email]), []);

    const other = await newAccount('aliases-wrong');
    const wrong = await api.gql(aliased, { e: other, p: 'a wrong password' });
    fails(wrong, 'UNAUTHENTICATED');
    assert.equal(await counted('signInPerEmail'), 5, 'the first wrong alias counted, and nothing after it ran');
  });

  test('two instances share the counters: attempts alternate between them, and the 4th is refused on either', async () => {
    const email = await newAccount('shared');
    freshWindows();
    fails(await signInAs(api, email, 'wrong 1'), 'UNAUTHENTICATED');
    fails(await signInAs(two, email, 'wrong 2'), 'UNAUTHENTICATED');
    fails(await signInAs(api, email, 'wrong 3'), 'UNAUTHENTICATED');
    fails(await signInAs(two, email), 'RATE_LIMITED', 'instance 2');
    fails(await signInAs(api, email), 'RATE_LIMITED', 'instance 1');
  });

  test('8 concurrent attempts split across both instances: exactly 3 reach the password check', async () => {
    const email = await newAccount('concurrent');
    freshWindows();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => signInAs(i % 2 ? two : api, email, `wrong ${i}`)));
    for (const r of results) assert.ok(r.status < 500, `HTTP ${r.status}`);
    const codes = results.map((r) => errorCode(r)).sort();
    assert.deepEqual(codes, ['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    assert.equal(await counted('signInPerEmail'), 8);
  });
});

describe('refreshSession rate limits (3 per session, 8 per address, per minute)', () => {
  test('per session: retries count too; the refused refresh changes nothing and the token still works later', async () => {
    const email = await newAccount('refresh');
    freshWindows();
    const s = await signIn(api, email);
    const first = ok(await refreshWith(api, s.refreshToken)).refreshSession;
    assert.equal(ok(await refreshWith(two, s.refreshToken)).refreshSession.refreshToken, first.refreshToken, 'a retry within the leeway');
    const second = ok(await refreshWith(api, first.refreshToken)).refreshSession;
    fails(await refreshWith(two, second.refreshToken), 'RATE_LIMITED', 'the 4th presentation on the family');
    const live = await db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [s.sessionId]);
    assert.equal(live[0].n, 3, 'the refused refresh rotated nothing');
    freshWindows();
    ok(await refreshWith(api, second.refreshToken));
  });

  test('per address: 8 unknown tokens, then a valid one is refused', async () => {
    const email = await newAccount('refresh-address');
    const s = await signIn(api, email);
    freshWindows();
    for (let i = 1; i <= 8; i++) fails(await refreshWith(i % 2 ? two : api, `ort_${randomBytes(32).toString('base64url')}`), 'UNAUTHENTICATED', `guess ${i}`);
    fails(await api.gql(REFRESH, { t: s.refreshToken }), 'RATE_LIMITED', 'a valid token from the same address');
  });
});

describe('MFA rate limit per address (4 per minute; the per-user limit stays 5 failures in 15 minutes)', () => {
  test("other users' wrong codes use up the address's attempts; a right code is then refused", async () => {
    const [a, b, c] = [await newAccount('mfa-a'), await newAccount('mfa-b'), await newAccount('mfa-c')];
    const secrets = new Map<string, string>();
    for (const email of [a, b, c]) secrets.set(email, await enrollTotp(api, (await signIn(api, email)).accessToken, clock));
    freshWindows();
    clock = new Date(clock.getTime() + TOTP_STEP_MS); // a step no enrollment code was spent in
    const withCode = (email: string, code: string) =>
      api.gql(`mutation($e: String!, $p: String!, $c: String) { signIn(email: $e, password: $p, deviceName: "mfa", mfaCode: $c) { accessToken } }`, { e: email, p: PASSWORD, c: code });
    // Two wrong codes each: under the per-user limit (5) and the per-email sign-in limit (3).
    for (const email of [a, c, a, c]) fails(await withCode(email, wrongCodeAt(secrets.get(email)!, clock)), 'MFA_REQUIRED', `wrong code for ${email}`);
    fails(await withCode(b, codeAt(secrets.get(b)!, clock)), 'RATE_LIMITED', "b's right code, the address's 5th MFA attempt");
    freshWindows();
    ok(await withCode(b, codeAt(secrets.get(b)!, clock)));
  });
});
