import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createTestDatabase, errorCode, startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';
import { fails, liveRefreshTokens, newAccount, ok, refreshWith, setReuseLeewayToZero, signInDevice } from '../support/sessions.ts';
import { createTenant, signIn, type Tenant } from '../support/tenants.ts';

/**
 * Two API instances on one database: session revocation, reuse detection and membership removal
 * take effect on the very next request on every instance (docs/API.md), and rotation is
 * serialised by the database, not by a process.
 */

/** One moving clock; instance 2 reads it `skewMs` behind (0 unless a test says otherwise). */
let clock = new Date('2026-07-01T08:00:00.000Z');
let skewMs = 0;
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let db: TestDatabase;
let one: TestApi;
let two: TestApi;
let tenant: Tenant;
before(async () => {
  db = await createTestDatabase();
  one = await startTestApi({ db, now: () => clock });
  two = await startTestApi({ db, now: () => new Date(clock.getTime() - skewMs) });
  tenant = await createTenant(one, 'two-instances');
});
after(async () => {
  await one?.close();
  await two?.close();
  await db?.drop();
});

const VIEWER = `{ viewer { user { id } session { id } } }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;
const INVITE = `mutation($e: String!) { inviteMember(email: $e) { token } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role } }`;

async function alive(api: TestApi, access: string, sessionId: string): Promise<void> {
  assert.equal(ok(await api.gql(VIEWER, {}, access)).viewer.session.id, sessionId);
}

describe('two API instances on one database', () => {
  test('a revocation on one instance refuses the very next request on the other', async () => {
    const user = await newAccount(one, 'revoke');
    const a = await signInDevice(one, user.email, 'A');
    const b = await signInDevice(one, user.email, 'B');
    const c = await signInDevice(two, user.email, 'C');
    await alive(two, a.accessToken, a.sessionId); // instance 2 verifies instance 1's tokens
    await alive(one, c.accessToken, c.sessionId);

    ok(await one.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: b.sessionId }, a.accessToken));
    fails(await two.gql(VIEWER, {}, b.accessToken), 'SESSION_REVOKED', 'revokeSession on 1, request on 2');
    fails(await refreshWith(two, b.refreshToken), 'SESSION_REVOKED');

    ok(await two.gql(`mutation { signOut }`, {}, a.accessToken));
    fails(await one.gql(VIEWER, {}, a.accessToken), 'SESSION_REVOKED', 'signOut on 2, request on 1');

    await alive(one, c.accessToken, c.sessionId);
    assert.deepEqual(ok(await one.gql(`mutation { revokeAllSessions }`, {}, c.accessToken)), { revokeAllSessions: 1 });
    fails(await two.gql(VIEWER, {}, c.accessToken), 'SESSION_REVOKED', 'revokeAllSessions on 1, request on 2');
    fails(await refreshWith(two, c.refreshToken), 'SESSION_REVOKED');
  });

  test('rotation on one instance, a retry on the other inside the leeway, reuse on the other outside it', async () => {
    const user = await newAccount(one, 'reuse');
    const a = await signInDevice(one, user.email, 'A');
    const b = await signInDevice(two, user.email, 'B');
    advance(MINUTE);
    const rotated = ok(await refreshWith(one, a.refreshToken)).refreshSession;
    advance(2 * SECOND);
    const retried = ok(await refreshWith(two, a.refreshToken)).refreshSession;
    assert.equal(retried.refreshToken, rotated.refreshToken, 'the retry on instance 2 got another successor');
    await alive(one, retried.accessToken, a.sessionId);
    assert.equal(await liveRefreshTokens(one, a.sessionId), 1);

    advance(MINUTE);
    fails(await refreshWith(two, a.refreshToken), 'REFRESH_TOKEN_REUSED');
    for (const access of [rotated.accessToken, b.accessToken]) fails(await one.gql(VIEWER, {}, access), 'SESSION_REVOKED');
    fails(await refreshWith(one, rotated.refreshToken), 'SESSION_REVOKED');
    fails(await refreshWith(one, b.refreshToken), 'SESSION_REVOKED');
  });

  test('membership removal and revokeMemberSessions on one instance take effect on the other', async () => {
    const member = await newAccount(one, 'member');
    const invited = ok(await one.gql(INVITE, { e: member.email }, (await signIn(one, tenant.email, tenant.orgId)).accessToken));
    ok(await two.gql(ACCEPT, { t: invited.inviteMember.token }, (await signIn(two, member.email)).accessToken));
    const owner = await signInDevice(two, tenant.email, 'owner', tenant.orgId);

    const s1 = await signInDevice(one, member.email, 'first', tenant.orgId);
    const s2 = await signInDevice(two, member.email, 'second', tenant.orgId);
    assert.equal(ok(await two.gql(PROJECTS, {}, s1.accessToken)).projects.edges.length, 1);
    assert.equal(ok(await two.gql(`mutation($u: ID!) { revokeMemberSessions(userId: $u) }`, { u: member.userId }, owner.accessToken)).revokeMemberSessions, 2);
    fails(await one.gql(PROJECTS, {}, s1.accessToken), 'SESSION_REVOKED');
    fails(await one.gql(VIEWER, {}, s2.accessToken), 'SESSION_REVOKED');

    const s3 = await signInDevice(two, member.email, 'third', tenant.orgId);
    assert.equal(ok(await one.gql(PROJECTS, {}, s3.accessToken)).projects.edges.length, 1);
    ok(await one.gql(`mutation($u: ID!) { removeMember(userId: $u) }`, { u: member.userId }, (await signIn(one, tenant.email, tenant.orgId)).accessToken));
    const r = await two.gql(PROJECTS, {}, s3.accessToken);
    fails(r, 'FORBIDDEN', 'removed on 1, read on 2');
    assert.equal(r.errors![0]!.message, 'No active organization');
    advance(MINUTE);
    const refreshed = ok(await refreshWith(two, s3.refreshToken)).refreshSession;
    assert.equal(refreshed.activeOrganization, null);
    assert.equal(decodeJwt(refreshed.accessToken).org_id, undefined);
    fails(await one.gql(PROJECTS, {}, refreshed.accessToken), 'FORBIDDEN');
  });

  const N = 20;
  const M = 100;
  test(`${N} concurrent presentations of one token split across both instances, inside the leeway: one successor, one live chain`, async () => {
    const user = await newAccount(one, 'split');
    const a = await signInDevice(one, user.email);
    advance(MINUTE);
    const results = await Promise.all(Array.from({ length: N }, (_, i) => refreshWith(i % 2 ? two : one, a.refreshToken)));
    for (const r of results) ok(r);
    assert.equal(new Set(results.map((r) => r.data.refreshSession.refreshToken)).size, 1);
    assert.equal(await liveRefreshTokens(one, a.sessionId), 1);
    assert.equal((await db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [a.sessionId]))[0].n, 2);
    await alive(two, results[0]!.data.refreshSession.accessToken, a.sessionId);
  });

  test(`${M} concurrent presentations split across both instances with leeway 0: exactly one succeeds, the rest are refused, the user is cleanly signed out`, async () => {
    const user = await newAccount(one, 'split-0');
    const a = await signInDevice(one, user.email);
    const b = await signInDevice(two, user.email, 'B');
    // Outside the leeway for every presentation but the first: REGULATED orgs cannot be signed into
    // before MFA exists, so the session gets the REGULATED leeway of 0 s in its policy, as the owner.
    await setReuseLeewayToZero(one, a.sessionId);
    advance(MINUTE);
    const results = await Promise.all(Array.from({ length: M }, (_, i) => refreshWith(i % 2 ? two : one, a.refreshToken)));
    for (const r of results) {
      assert.ok(r.status < 500, `HTTP ${r.status}: ${JSON.stringify(r.errors)}`);
      assert.notEqual(errorCode(r), 'INTERNAL_SERVER_ERROR');
    }
    const succeeded = results.filter((r) => !r.errors);
    const codes = results.filter((r) => r.errors).map((r) => errorCode(r));
    assert.equal(succeeded.length, 1, `successes: ${succeeded.length}`);
    const reused = codes.filter((c) => c === 'REFRESH_TOKEN_REUSED').length;
    assert.ok(reused >= 1, 'no REFRESH_TOKEN_REUSED');
    // The first retired presentation to get the user's lock detects the reuse and revokes the family;
    // "revoked wins" in decideRefresh, so presentations served after it see SESSION_REVOKED.
    for (const c of codes) assert.ok(c === 'REFRESH_TOKEN_REUSED' || c === 'SESSION_REVOKED', c);
    // Every REFRESH_TOKEN_REUSED answer committed its revocation and its security event.
    const events = await db.sql(`select count(*)::int as n from security_events where type = 'REFRESH_TOKEN_REUSED' and session_id = $1`, [a.sessionId]);
    assert.equal(events[0].n, reused);
    assert.ok((await liveRefreshTokens(one, a.sessionId)) <= 1, 'two live branches');
    for (const id of [a.sessionId, b.sessionId]) {
      const [row] = await db.sql(`select revoked_at, revoke_reason from device_sessions where id = $1`, [id]);
      assert.ok(row.revoked_at, `session ${id} not revoked`);
      assert.equal(row.revoke_reason, 'REFRESH_TOKEN_REUSED');
    }
    const winner = succeeded[0]!.data.refreshSession;
    fails(await refreshWith(two, winner.refreshToken), 'SESSION_REVOKED');
    fails(await refreshWith(one, winner.refreshToken), 'SESSION_REVOKED');
    for (const access of [winner.accessToken, a.accessToken, b.accessToken]) {
      fails(await one.gql(VIEWER, {}, access), 'SESSION_REVOKED');
      fails(await two.gql(VIEWER, {}, access), 'SESSION_REVOKED');
    }
  });

  test(
    'leeway 0 with instance clocks 5 ms apart: an immediate retry on the instance that is behind is still reuse',
    async () => {
      const user = await newAccount(one, 'skew');
      const a = await signInDevice(one, user.email);
      await setReuseLeewayToZero(one, a.sessionId);
      advance(MINUTE);
      skewMs = 5;
      try {
        ok(await refreshWith(one, a.refreshToken)); // rotated_at = T
        fails(await refreshWith(two, a.refreshToken), 'REFRESH_TOKEN_REUSED', 'retry at T - 5 ms'); // leeway 0: no retry at all
      } finally {
        skewMs = 0;
      }
    },
  );
});
