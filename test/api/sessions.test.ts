import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { TIER_FLOORS } from '../../src/core/policy/session-policy.ts';
import { errorCode, startTestApi, type TestApi } from '../support/harness.ts';
import { fails, liveRefreshTokens, newAccount, ok, REFRESH, setReuseLeewayToZero, SIGN_IN_DEVICE, signInDevice, type DeviceTokens } from '../support/sessions.ts';
import { allRowTexts } from '../support/snapshot.ts';
import { createTenant, PASSWORD, signIn, signUp, type Tenant } from '../support/tenants.ts';

/** A clock the tests move by hand. It only ever moves forward: every test signs in afresh. */
let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 3600 * SECOND;

let api: TestApi;
let tenant: Tenant;
before(async () => {
  api = await startTestApi({ now: () => clock });
  tenant = await createTenant(api, 'sessions');
});
after(async () => {
  await api?.close();
});

const SIGN_IN = SIGN_IN_DEVICE;
const VIEWER = `{ viewer { user { id } session { id } activeOrganization { id } } }`;
const SESSIONS = `{ sessions { id deviceName createdAt lastUsedAt expiresAt current boundOrganization { id } } }`;
const SIGN_OUT = `mutation { signOut }`;
const REVOKE_SESSION = `mutation($id: ID!) { revokeSession(id: $id) }`;
const REVOKE_ALL = `mutation { revokeAllSessions }`;
const REVOKE_MEMBER = `mutation($u: ID!) { revokeMemberSessions(userId: $u) }`;
const REMOVE_MEMBER = `mutation($u: ID!) { removeMember(userId: $u) }`;
const INVITE = `mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { token } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role } }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;

async function refresh(token: string) {
  return api.gql(REFRESH, { t: token });
}

type Device = DeviceTokens;
const device = (email: string, deviceName = 'test', orgId?: string): Promise<Device> => signInDevice(api, email, deviceName, orgId);
const newUser = (label: string) => newAccount(api, label);
const liveTokenCount = (sessionId: string) => liveRefreshTokens(api, sessionId);

/** An OWNER access token for the file's tenant org (re-issued once the clock has moved 10 minutes). */
let owner: { token: string; at: number } | undefined;
async function ownerToken(): Promise<string> {
  if (!owner || clock.getTime() - owner.at > 10 * MINUTE || clock.getTime() < owner.at) {
    owner = { token: (await device(tenant.email, 'owner', tenant.orgId)).accessToken, at: clock.getTime() };
  }
  return owner.token;
}

/** A new user who joined the tenant org with `role` (invited by the OWNER). */
async function joinTenant(role: 'ADMIN' | 'MEMBER', label = role.toLowerCase()): Promise<{ email: string; userId: string }> {
  const user = await newUser(label);
  const invited = ok(await api.gql(INVITE, { e: user.email, r: role }, await ownerToken()));
  const plain = await signIn(api, user.email);
  ok(await api.gql(ACCEPT, { t: invited.inviteMember.token }, plain.accessToken));
  return user;
}

async function sessionRow(sessionId: string): Promise<{ revoked_at: Date | null; revoke_reason: string | null; last_used_at: Date; active_org_id: string | null }> {
  const rows = await api.db.sql(`select revoked_at, revoke_reason, last_used_at, active_org_id from device_sessions where id = $1`, [sessionId]);
  assert.equal(rows.length, 1, `no session ${sessionId}`);
  return rows[0];
}

async function eventsOf(type: string, column: 'user_id' | 'session_id' | 'org_id', value: string): Promise<{ user_id: string | null; session_id: string | null; org_id: string | null; detail: any }[]> {
  return api.db.sql(`select user_id, session_id, org_id, detail from security_events where type = $1 and ${column} = $2 order by at, id`, [type, value]);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const plus = (from: Date, ms: number) => new Date(from.getTime() + ms).toISOString();
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** Asserts `access` works for `viewer` (and is the session `sessionId`). */
async function assertAlive(access: string, sessionId?: string): Promise<void> {
  const r = ok(await api.gql(VIEWER, {}, access));
  if (sessionId) assert.equal(r.viewer.session.id, sessionId);
}

describe('rotation', () => {
  test('a chain of 20 rotations: each token works once, the last one is the only live token', async () => {
    const s = await signIn(api, tenant.email, tenant.orgId);
    let current = s.refreshToken;
    const seen = new Set([current]);
    for (let i = 0; i < 20; i++) {
      advance(60_000); // outside the 10 s leeway
      const r = await refresh(current);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.refreshSession.session.id, s.sessionId);
      assert.equal(r.data.refreshSession.activeOrganization.id, tenant.orgId);
      assert.ok(!seen.has(r.data.refreshSession.refreshToken));
      current = r.data.refreshSession.refreshToken;
      seen.add(current);
      assert.equal((await api.gql(VIEWER, {}, r.data.refreshSession.accessToken)).errors, undefined);
    }
    const live = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1 and rotated_at is null`, [s.sessionId]);
    assert.equal(live[0].n, 1);
    const all = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [s.sessionId]);
    assert.equal(all[0].n, 21);
  });

  test('grand-parent reuse → REFRESH_TOKEN_REUSED and every session of the user is dead; others untouched', async () => {
    const email = `reuse-${randomUUID()}@example.test`;
    await signUp(api, email);
    const deviceA = await signIn(api, email);
    const deviceB = await signIn(api, email);
    const bystander = await signIn(api, tenant.email, tenant.orgId);
    const t0 = deviceA.refreshToken;
    advance(60_000);
    const r1 = await refresh(t0);
    advance(60_000);
    const r2 = await refresh(r1.data.refreshSession.refreshToken);
    assert.equal(r2.errors, undefined);
    advance(60_000);
    const reuse = await refresh(t0);
    assert.equal(errorCode(reuse), 'REFRESH_TOKEN_REUSED');
    for (const access of [deviceA.accessToken, deviceB.accessToken, r2.data.refreshSession.accessToken]) {
      assert.equal(errorCode(await api.gql(VIEWER, {}, access)), 'SESSION_REVOKED');
    }
    assert.equal(errorCode(await refresh(r2.data.refreshSession.refreshToken)), 'SESSION_REVOKED');
    assert.equal(errorCode(await refresh(deviceB.refreshToken)), 'SESSION_REVOKED');
    assert.equal((await api.gql(VIEWER, {}, bystander.accessToken)).errors, undefined);
    const events = await api.db.sql(`select type from security_events where type = 'REFRESH_TOKEN_REUSED' and session_id = $1`, [deviceA.sessionId]);
    assert.equal(events.length, 1);
  });

  test('a retry within the leeway returns the same successor and leaves one live chain', async () => {
    const s = await signIn(api, tenant.email, tenant.orgId);
    const first = await refresh(s.refreshToken);
    advance(3_000);
    const retry = await refresh(s.refreshToken);
    assert.equal(retry.errors, undefined, JSON.stringify(retry.errors));
    assert.equal(retry.data.refreshSession.refreshToken, first.data.refreshSession.refreshToken);
    advance(60_000);
    const next = await refresh(retry.data.refreshSession.refreshToken);
    assert.equal(next.errors, undefined);
    const live = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1 and rotated_at is null`, [s.sessionId]);
    assert.equal(live[0].n, 1);
  });

  test('reuse revokes every session of the user in the same transaction, with a security event', async () => {
    const user = await newUser('reuse-db');
    const a = await device(user.email, 'A');
    const b = await device(user.email, 'B');
    const c = await device(user.email, 'C');
    ok(await api.gql(SIGN_OUT, {}, c.accessToken)); // already ended: not counted again
    const other = await device(tenant.email, 'other', tenant.orgId);
    advance(MINUTE);
    ok(await refresh(a.refreshToken));
    advance(MINUTE);
    fails(await refresh(a.refreshToken), 'REFRESH_TOKEN_REUSED');

    const rows = await api.db.sql(`select id, revoked_at, revoke_reason from device_sessions where user_id = $1 order by id`, [user.userId]);
    assert.equal(rows.length, 3);
    for (const row of rows) assert.ok(row.revoked_at, `session ${row.id} not revoked`);
    const reasons = Object.fromEntries(rows.map((r) => [r.id, r.revoke_reason]));
    assert.deepEqual(reasons, { [a.sessionId]: 'REFRESH_TOKEN_REUSED', [b.sessionId]: 'REFRESH_TOKEN_REUSED', [c.sessionId]: 'SIGN_OUT' });
    assert.equal((await sessionRow(other.sessionId)).revoked_at, null);

    const events = await eventsOf('REFRESH_TOKEN_REUSED', 'user_id', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.session_id, a.sessionId);
    assert.equal(events[0]!.org_id, null);
    assert.equal(events[0]!.detail.sessionsRevoked, 2);
    // Signing in again afterwards opens a working session.
    await assertAlive((await device(user.email, 'again')).accessToken);
  });

  test('an unknown, malformed or access token as refresh token → UNAUTHENTICATED, and nothing is revoked', async () => {
    const user = await newUser('unknown-rt');
    const a = await device(user.email);
    const unknown = `ort_${Buffer.alloc(32, 7).toString('base64url')}`;
    for (const t of [unknown, 'garbage', '', a.accessToken, `${a.refreshToken}x`, a.refreshToken.toUpperCase()]) fails(await refresh(t), 'UNAUTHENTICATED', t.slice(0, 20));
    assert.equal((await sessionRow(a.sessionId)).revoked_at, null);
    await assertAlive(a.accessToken, a.sessionId);
    ok(await refresh(a.refreshToken));
  });

  test('refresh tokens are opaque and only their hashes are stored (every rotated and retried token)', async () => {
    const user = await newUser('hashes');
    const a = await device(user.email, 'hash device');
    assert.match(a.refreshToken, /^ort_[A-Za-z0-9_-]{43}$/);
    assert.throws(() => decodeJwt(a.refreshToken));
    const tokens = [a.refreshToken];
    let current = a.refreshToken;
    for (let i = 0; i < 3; i++) {
      advance(MINUTE);
      current = ok(await refresh(current)).refreshSession.refreshToken;
      tokens.push(current);
    }
    advance(SECOND);
    const retried = ok(await refresh(tokens.at(-2)!)).refreshSession.refreshToken; // retry: the same successor
    assert.equal(retried, current);
    const stored = (await Promise.all(['refresh_tokens', 'device_sessions', 'security_events'].map((t) => allRowTexts(api.db, t)))).flat().join('\n');
    assert.ok(stored.includes(a.sessionId), 'the session is not where the test looks');
    for (const t of tokens) {
      assert.ok(!stored.includes(t), 'refresh token stored in clear');
      assert.ok(!stored.includes(t.slice(4)), 'refresh token secret stored in clear');
      assert.ok(stored.includes(sha256(t)), 'hash of a refresh token missing');
    }
    const rows = await api.db.sql(`select token_hash, parent_id, rotated_at from refresh_tokens where session_id = $1 order by created_at`, [a.sessionId]);
    assert.deepEqual(rows.map((r) => r.token_hash), tokens.map(sha256));
    assert.equal(rows[0].parent_id, null);
    assert.deepEqual(rows.map((r) => r.rotated_at === null), [false, false, false, true]);
  });
});

describe('reuse leeway', () => {
  test('STANDARD: a retry 9.999 s after the rotation gets a working successor and the user stays signed in', async () => {
    const user = await newUser('leeway');
    const a = await device(user.email);
    const other = await device(user.email, 'other device');
    advance(MINUTE);
    const first = ok(await refresh(a.refreshToken)).refreshSession; // the response the client "lost"
    advance(10 * SECOND - 1);
    const retry = ok(await refresh(a.refreshToken)).refreshSession;
    assert.equal(retry.refreshToken, first.refreshToken);
    assert.equal(retry.session.id, a.sessionId);
    await assertAlive(retry.accessToken, a.sessionId);
    await assertAlive(first.accessToken, a.sessionId);
    await assertAlive(other.accessToken, other.sessionId);
    assert.equal(await liveTokenCount(a.sessionId), 1);
    assert.equal((await eventsOf('REFRESH_TOKEN_REUSED', 'user_id', user.userId)).length, 0);
    // The successor rotates normally afterwards, and the chain continues.
    advance(MINUTE);
    const next = ok(await refresh(retry.refreshToken)).refreshSession;
    await assertAlive(next.accessToken, a.sessionId);
    assert.equal(await liveTokenCount(a.sessionId), 1);
  });

  test('STANDARD: a retry exactly 10 s after the rotation is reuse', async () => {
    const user = await newUser('leeway-edge');
    const a = await device(user.email);
    ok(await refresh(a.refreshToken));
    advance(10 * SECOND);
    fails(await refresh(a.refreshToken), 'REFRESH_TOKEN_REUSED');
    fails(await api.gql(VIEWER, {}, a.accessToken), 'SESSION_REVOKED');
  });

  test('inside the leeway, a token whose successor has already rotated is reuse (no revived branch)', async () => {
    const user = await newUser('leeway-branch');
    const a = await device(user.email);
    const t1 = ok(await refresh(a.refreshToken)).refreshSession.refreshToken;
    advance(SECOND);
    const t2 = ok(await refresh(t1)).refreshSession;
    advance(SECOND); // t0 retired 2 s ago: inside the leeway, but its successor t1 is no longer live
    fails(await refresh(a.refreshToken), 'REFRESH_TOKEN_REUSED');
    fails(await api.gql(VIEWER, {}, t2.accessToken), 'SESSION_REVOKED');
    fails(await refresh(t2.refreshToken), 'SESSION_REVOKED');
    assert.ok(await liveTokenCount(a.sessionId) <= 1);
  });

  test('leeway 0 (REGULATED floor): an immediate retry is reuse and signs the user out everywhere', async () => {
    const user = await newUser('no-leeway');
    const a = await device(user.email);
    const b = await device(user.email, 'B');
    // REGULATED orgs cannot be signed into before MFA exists (next issue): give this session the
    // REGULATED leeway of 0 s directly in its policy snapshot, as the owner.
    await setReuseLeewayToZero(api, a.sessionId);
    const first = ok(await refresh(a.refreshToken)).refreshSession;
    fails(await refresh(a.refreshToken), 'REFRESH_TOKEN_REUSED'); // same instant: still no retry
    for (const access of [a.accessToken, first.accessToken, b.accessToken]) fails(await api.gql(VIEWER, {}, access), 'SESSION_REVOKED');
    fails(await refresh(first.refreshToken), 'SESSION_REVOKED');
    fails(await refresh(b.refreshToken), 'SESSION_REVOKED');
    assert.equal((await eventsOf('REFRESH_TOKEN_REUSED', 'session_id', a.sessionId)).length, 1);
  });
});

describe('a refresh token retired by switchOrganization', () => {
  const SWITCH = `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken refreshToken activeOrganization { id } } }`;

  /** A user with two STANDARD orgs, a session in the first, and that session switched to the second. */
  async function switched(label: string) {
    const user = await newUser(label);
    const plain = await device(user.email, 'plain');
    const create = (n: string) => api.gql(`mutation($n: String!) { createOrganization(name: $n) { id } }`, { n }, plain.accessToken);
    const org1 = ok(await create('first')).createOrganization.id;
    const org2 = ok(await create('second')).createOrganization.id;
    const a = await device(user.email, 'switcher', org1);
    const after = ok(await api.gql(SWITCH, { o: org2 }, a.accessToken)).switchOrganization;
    assert.equal(after.activeOrganization.id, org2);
    return { user, plain, a, after };
  }

  test('outside the leeway it is reuse', async () => {
    const { plain, a, after } = await switched('switch-reuse');
    advance(MINUTE);
    fails(await refresh(a.refreshToken), 'REFRESH_TOKEN_REUSED');
    fails(await api.gql(VIEWER, {}, plain.accessToken), 'SESSION_REVOKED');
    fails(await refresh(after.refreshToken), 'SESSION_REVOKED');
  });

  test(
    'a moment later it is refused as superseded (UNAUTHENTICATED), not treated as theft',
    async () => {
      const { plain, a, after } = await switched('switch-superseded');
      advance(SECOND);
      fails(await refresh(a.refreshToken), 'UNAUTHENTICATED');
      await assertAlive(plain.accessToken, plain.sessionId);
      await assertAlive(after.accessToken, a.sessionId);
      ok(await refresh(after.refreshToken));
    },
  );
});

describe('concurrent presentations of one refresh token', () => {
  const N = 100;

  test(`${N} at once inside the leeway: all succeed with one successor, one live chain, still signed in`, async () => {
    const user = await newUser('concurrent');
    const a = await device(user.email);
    advance(MINUTE);
    const results = await Promise.all(Array.from({ length: N }, () => refresh(a.refreshToken)));
    for (const r of results) ok(r);
    const successors = new Set(results.map((r) => r.data.refreshSession.refreshToken));
    assert.equal(successors.size, 1, 'more than one successor');
    assert.ok(!successors.has(a.refreshToken));
    assert.equal(await liveTokenCount(a.sessionId), 1);
    const rows = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [a.sessionId]);
    assert.equal(rows[0].n, 2, 'a second branch was created');
    assert.equal((await sessionRow(a.sessionId)).revoked_at, null);
    await assertAlive(results[N - 1]!.data.refreshSession.accessToken, a.sessionId);
    advance(MINUTE);
    const next = ok(await refresh([...successors][0]!)).refreshSession;
    await assertAlive(next.accessToken, a.sessionId);
    assert.equal(await liveTokenCount(a.sessionId), 1);
  });
  // The same with leeway 0 (exactly one succeeds, the user is cleanly signed out) runs across two
  // instances in test/api/two-instances.test.ts.
});

describe('device sessions', () => {
  test('each signIn opens its own session; sessions lists the live ones with name, times, expiry and current', async () => {
    const user = await newUser('devices');
    const t0 = clock;
    const laptop = await device(user.email, 'Laptop');
    advance(MINUTE);
    const t1 = clock;
    const phone = await device(user.email, 'Phone');
    advance(MINUTE);
    const tablet = await device(user.email, 'Tablet');
    ok(await api.gql(SIGN_OUT, {}, tablet.accessToken));
    advance(MINUTE);
    const t3 = clock;
    ok(await refresh(laptop.refreshToken));
    await device(tenant.email, 'someone else');
    assert.equal(new Set([laptop.sessionId, phone.sessionId, tablet.sessionId]).size, 3);

    const list = ok(await api.gql(SESSIONS, {}, phone.accessToken)).sessions;
    assert.deepEqual(list, [
      { id: laptop.sessionId, deviceName: 'Laptop', createdAt: t0.toISOString(), lastUsedAt: t3.toISOString(), expiresAt: plus(t3, 7 * DAY), current: false, boundOrganization: null },
      { id: phone.sessionId, deviceName: 'Phone', createdAt: t1.toISOString(), lastUsedAt: t1.toISOString(), expiresAt: plus(t1, 7 * DAY), current: true, boundOrganization: null },
    ]);
    const fromLaptop = ok(await api.gql(SESSIONS, {}, laptop.accessToken)).sessions;
    assert.deepEqual(
      fromLaptop.map((s: any) => [s.deviceName, s.current]),
      [
        ['Laptop', true],
        ['Phone', false],
      ],
    );
    fails(await api.gql(SESSIONS), 'UNAUTHENTICATED');
  });

  test('device A rotating 50 times leaves device B working', async () => {
    const user = await newUser('per-device');
    const a = await device(user.email, 'A');
    const b = await device(user.email, 'B');
    const bSignedInAt = clock;
    let current = a.refreshToken;
    let access = a.accessToken;
    for (let i = 0; i < 50; i++) {
      advance(11 * SECOND); // outside the leeway; 50 × 11 s stays within B's 15-minute access token
      const r = ok(await refresh(current)).refreshSession;
      assert.equal(r.session.id, a.sessionId);
      current = r.refreshToken;
      access = r.accessToken;
    }
    await assertAlive(access, a.sessionId);
    await assertAlive(b.accessToken, b.sessionId); // B's original access token still works
    const bRow = await sessionRow(b.sessionId);
    assert.equal(bRow.revoked_at, null);
    assert.equal(bRow.last_used_at.toISOString(), bSignedInAt.toISOString(), "A's rotations touched B");
    assert.deepEqual(await api.db.sql(`select token_hash from refresh_tokens where session_id = $1 and rotated_at is null`, [b.sessionId]), [{ token_hash: sha256(b.refreshToken) }]);
    assert.equal((await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [a.sessionId]))[0].n, 51);
    assert.equal(await liveTokenCount(a.sessionId), 1);
    const bNext = ok(await refresh(b.refreshToken)).refreshSession;
    assert.equal(bNext.session.id, b.sessionId);
    await assertAlive(bNext.accessToken, b.sessionId);
    // A's old tokens are A's problem only: reuse of one signs out the user, which is the contract.
  });

  test('a session that entered no organization runs on the STANDARD floors', async () => {
    const user = await newUser('standard');
    const signedInAt = clock;
    const a = await device(user.email);
    assert.equal(a.accessTokenExpiresAt, plus(wholeSeconds(signedInAt), 15 * MINUTE)); // JWT times are whole seconds
    assert.equal(a.refreshTokenExpiresAt, plus(signedInAt, 7 * DAY)); // idle end, earlier than the 30-day absolute end
    const claims = decodeJwt(a.accessToken);
    assert.equal(claims.exp! - claims.iat!, 15 * 60);
    assert.equal(claims.org_id, undefined);
    const [row] = await api.db.sql(`select policy, expires_at, idle_expires_at from device_sessions where id = $1`, [a.sessionId]);
    assert.deepEqual(row.policy, { ...TIER_FLOORS.STANDARD });
    assert.equal(row.expires_at.toISOString(), plus(signedInAt, 30 * DAY));
    assert.equal(row.idle_expires_at.toISOString(), plus(signedInAt, 7 * DAY));
  });
});

describe('sign-out and revocation', () => {
  test('signOut ends the current session only, at the very next request', async () => {
    const user = await newUser('signout');
    const a = await device(user.email, 'A');
    const b = await device(user.email, 'B');
    assert.deepEqual(ok(await api.gql(SIGN_OUT, {}, a.accessToken)), { signOut: true });
    fails(await api.gql(VIEWER, {}, a.accessToken), 'SESSION_REVOKED');
    fails(await api.gql(SESSIONS, {}, a.accessToken), 'SESSION_REVOKED');
    fails(await api.gql(SIGN_OUT, {}, a.accessToken), 'SESSION_REVOKED');
    fails(await refresh(a.refreshToken), 'SESSION_REVOKED');
    await assertAlive(b.accessToken, b.sessionId);
    ok(await refresh(b.refreshToken));
    assert.equal((await sessionRow(a.sessionId)).revoke_reason, 'SIGN_OUT');
    const events = await eventsOf('SESSION_SIGNED_OUT', 'user_id', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.session_id, a.sessionId);
    fails(await api.gql(SIGN_OUT), 'UNAUTHENTICATED');
  });

  test("revokeSession ends one of the viewer's own sessions; someone else's session → NOT_FOUND and it stays alive", async () => {
    const user = await newUser('revoke-one');
    const a = await device(user.email, 'A');
    const b = await device(user.email, 'B');
    const c = await device(user.email, 'C');
    const stranger = await newUser('stranger');
    const x = await device(stranger.email, 'X');

    assert.deepEqual(ok(await api.gql(REVOKE_SESSION, { id: b.sessionId }, a.accessToken)), { revokeSession: true });
    fails(await api.gql(VIEWER, {}, b.accessToken), 'SESSION_REVOKED');
    fails(await refresh(b.refreshToken), 'SESSION_REVOKED');
    await assertAlive(a.accessToken, a.sessionId);
    await assertAlive(c.accessToken, c.sessionId);
    assert.equal((await sessionRow(b.sessionId)).revoke_reason, 'REVOKED');
    const events = await eventsOf('SESSION_REVOKED', 'user_id', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.detail.id, b.sessionId);

    fails(await api.gql(REVOKE_SESSION, { id: x.sessionId }, a.accessToken), 'NOT_FOUND', "someone else's");
    assert.equal((await sessionRow(x.sessionId)).revoked_at, null);
    await assertAlive(x.accessToken, x.sessionId);
    ok(await refresh(x.refreshToken));
    assert.equal((await eventsOf('SESSION_REVOKED', 'user_id', stranger.userId)).length, 0);

    fails(await api.gql(REVOKE_SESSION, { id: b.sessionId }, a.accessToken), 'NOT_FOUND', 'already revoked');
    fails(await api.gql(REVOKE_SESSION, { id: randomUUID() }, a.accessToken), 'NOT_FOUND', 'unknown');
    fails(await api.gql(REVOKE_SESSION, { id: 'not-a-uuid' }, a.accessToken), 'BAD_USER_INPUT', 'malformed');
    fails(await api.gql(REVOKE_SESSION, { id: a.sessionId }), 'UNAUTHENTICATED', 'anonymous');
    assert.equal((await sessionRow(a.sessionId)).revoked_at, null);

    // The current session may revoke itself.
    ok(await api.gql(REVOKE_SESSION, { id: c.sessionId }, c.accessToken));
    fails(await api.gql(VIEWER, {}, c.accessToken), 'SESSION_REVOKED');
    await assertAlive(a.accessToken, a.sessionId);
  });

  test('revokeAllSessions ends every session of the viewer (the current one included) and returns how many', async () => {
    const user = await newUser('revoke-all');
    const devices = [await device(user.email, 'A'), await device(user.email, 'B'), await device(user.email, 'C', undefined)];
    const other = await device(tenant.email, 'bystander', tenant.orgId);
    assert.deepEqual(ok(await api.gql(REVOKE_ALL, {}, devices[2]!.accessToken)), { revokeAllSessions: 3 });
    for (const d of devices) {
      fails(await api.gql(VIEWER, {}, d.accessToken), 'SESSION_REVOKED');
      fails(await refresh(d.refreshToken), 'SESSION_REVOKED');
      assert.equal((await sessionRow(d.sessionId)).revoke_reason, 'REVOKED_ALL');
    }
    await assertAlive(other.accessToken, other.sessionId);
    const events = await eventsOf('SESSIONS_REVOKED_ALL', 'user_id', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.detail.count, 3);
    // A new sign-in works, and a second revokeAllSessions counts only it.
    const again = await device(user.email, 'again');
    assert.deepEqual(ok(await api.gql(REVOKE_ALL, {}, again.accessToken)), { revokeAllSessions: 1 });
  });


  test('revokeSession of an own session that already expired → NOT_FOUND (it has ended)', async () => {
    const user = await newUser('revoke-expired');
    const old = await device(user.email, 'old');
    advance(7 * DAY + SECOND); // `old` is past its idle end: it has ended
    const a = await device(user.email, 'A');
    assert.deepEqual(ok(await api.gql(SESSIONS, {}, a.accessToken)).sessions.map((s: any) => s.id), [a.sessionId]);
    fails(await api.gql(REVOKE_SESSION, { id: old.sessionId }, a.accessToken), 'NOT_FOUND', 'expired session');
  });

  test('revokeAllSessions counts only the sessions that were still live (as listed by sessions)', async () => {
    const user = await newUser('revoke-all-expired');
    await device(user.email, 'old');
    advance(7 * DAY + SECOND); // `old` is past its idle end: it has ended
    const a = await device(user.email, 'A');
    const b = await device(user.email, 'B');
    const listed = ok(await api.gql(SESSIONS, {}, a.accessToken)).sessions;
    assert.deepEqual(listed.map((s: any) => s.id).sort(), [a.sessionId, b.sessionId].sort());
    assert.deepEqual(ok(await api.gql(REVOKE_ALL, {}, a.accessToken)), { revokeAllSessions: listed.length });
  });
});

describe('revokeMemberSessions', () => {
  test('ADMIN ends the sessions a MEMBER opened in the org; sessions that never entered it stay alive', async () => {
    const admin = await joinTenant('ADMIN');
    const member = await joinTenant('MEMBER');
    const adminToken = (await device(admin.email, 'admin', tenant.orgId)).accessToken;
    const inOrg1 = await device(member.email, 'in org 1', tenant.orgId);
    const inOrg2 = await device(member.email, 'in org 2', tenant.orgId);
    const plain = await device(member.email, 'no org');
    // The member's own org: sessions that entered another org are beyond this admin's reach.
    const own = ok(await api.gql(`mutation { createOrganization(name: "member's own") { id } }`, {}, plain.accessToken)).createOrganization.id;
    const elsewhere = await device(member.email, 'other org', own);

    assert.deepEqual(ok(await api.gql(REVOKE_MEMBER, { u: member.userId }, adminToken)), { revokeMemberSessions: 2 });
    for (const d of [inOrg1, inOrg2]) {
      fails(await api.gql(VIEWER, {}, d.accessToken), 'SESSION_REVOKED');
      fails(await api.gql(PROJECTS, {}, d.accessToken), 'SESSION_REVOKED');
      fails(await refresh(d.refreshToken), 'SESSION_REVOKED');
      assert.equal((await sessionRow(d.sessionId)).revoke_reason, 'REVOKED_BY_ADMIN');
    }
    for (const d of [plain, elsewhere]) {
      await assertAlive(d.accessToken, d.sessionId);
      assert.equal((await sessionRow(d.sessionId)).revoked_at, null);
      ok(await refresh(d.refreshToken));
    }
    const events = await eventsOf('MEMBER_SESSIONS_REVOKED', 'user_id', member.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.org_id, tenant.orgId);
    assert.equal(events[0]!.detail.count, 2);
    assert.equal(events[0]!.detail.by, admin.userId);
    // Still a member: they can sign in to the org again.
    assert.equal(ok(await api.gql(PROJECTS, {}, (await device(member.email, 'back', tenant.orgId)).accessToken)).projects.edges.length >= 1, true);
  });

  test('MEMBER → FORBIDDEN; ADMIN targeting the OWNER → FORBIDDEN; OWNER may target an ADMIN', async () => {
    const admin = await joinTenant('ADMIN');
    const member = await joinTenant('MEMBER');
    const memberOrg = await device(member.email, 'member', tenant.orgId);
    const adminOrg = await device(admin.email, 'admin', tenant.orgId);
    const ownerOrg = await device(tenant.email, 'owner', tenant.orgId);

    fails(await api.gql(REVOKE_MEMBER, { u: admin.userId }, memberOrg.accessToken), 'FORBIDDEN', 'MEMBER');
    await assertAlive(adminOrg.accessToken, adminOrg.sessionId);
    fails(await api.gql(REVOKE_MEMBER, { u: tenant.userId }, adminOrg.accessToken), 'FORBIDDEN', 'ADMIN → OWNER');
    await assertAlive(ownerOrg.accessToken, ownerOrg.sessionId);
    assert.equal((await api.db.sql(`select 1 from device_sessions where user_id = $1 and revoke_reason = 'REVOKED_BY_ADMIN'`, [tenant.userId])).length, 0);
    assert.equal((await eventsOf('MEMBER_SESSIONS_REVOKED', 'user_id', tenant.userId)).length, 0);
    // Without an active organization there is nobody to act for.
    fails(await api.gql(REVOKE_MEMBER, { u: member.userId }, (await device(admin.email, 'plain')).accessToken), 'FORBIDDEN', 'no org');
    await assertAlive(memberOrg.accessToken, memberOrg.sessionId);

    const count = ok(await api.gql(REVOKE_MEMBER, { u: admin.userId }, ownerOrg.accessToken)).revokeMemberSessions;
    assert.equal(count, 1);
    fails(await api.gql(VIEWER, {}, adminOrg.accessToken), 'SESSION_REVOKED');
    await assertAlive(ownerOrg.accessToken, ownerOrg.sessionId);
  });

  test('a target who is not a member of the active org → NOT_FOUND, and their sessions stay alive', async () => {
    const outsider = await newUser('outsider');
    const outsiderPlain = await device(outsider.email, 'plain');
    const theirOrg = ok(await api.gql(`mutation { createOrganization(name: "outsider org") { id } }`, {}, outsiderPlain.accessToken)).createOrganization.id;
    const outsiderOrg = await device(outsider.email, 'their org', theirOrg);
    const owner = (await device(tenant.email, 'owner', tenant.orgId)).accessToken;
    for (const u of [outsider.userId, randomUUID()]) fails(await api.gql(REVOKE_MEMBER, { u }, owner), 'NOT_FOUND', u);
    fails(await api.gql(REVOKE_MEMBER, { u: 'nope' }, owner), 'BAD_USER_INPUT');
    await assertAlive(outsiderPlain.accessToken, outsiderPlain.sessionId);
    await assertAlive(outsiderOrg.accessToken, outsiderOrg.sessionId);
    assert.equal((await api.db.sql(`select 1 from device_sessions where user_id = $1 and revoked_at is not null`, [outsider.userId])).length, 0);
  });
});

describe('membership removal', () => {
  test("the removed user's tokens for the org read nothing on the next request, and refresh mints no token for it", async () => {
    const member = await joinTenant('MEMBER', 'removed');
    const s1 = await device(member.email, 'in org', tenant.orgId);
    const s2 = await device(member.email, 'retry', tenant.orgId);
    const plain = await device(member.email, 'no org');
    const owner = await device(tenant.email, 'owner', tenant.orgId);
    const before = ok(await api.gql(PROJECTS, {}, s1.accessToken)).projects.edges.map((e: any) => e.node.id);
    assert.ok(before.includes(tenant.projectId));
    const s2Next = ok(await refresh(s2.refreshToken)).refreshSession; // s2's token rotated just before the removal
    assert.equal(s2Next.activeOrganization.id, tenant.orgId);

    assert.deepEqual(ok(await api.gql(REMOVE_MEMBER, { u: member.userId }, owner.accessToken)), { removeMember: true });

    // Access tokens still claiming the org: the scope drops it, so every tenant read fails closed.
    for (const access of [s1.accessToken, s2Next.accessToken]) {
      const r = await api.gql(PROJECTS, {}, access);
      fails(r, 'FORBIDDEN');
      assert.equal(r.errors![0]!.message, 'No active organization');
      fails(await api.gql(`query($id: ID!) { project(id: $id) { id } }`, { id: tenant.projectId }, access), 'FORBIDDEN');
      assert.deepEqual(ok(await api.gql(`{ organization { id } }`, {}, access)), { organization: null });
      const viewer = ok(await api.gql(VIEWER, {}, access)).viewer;
      assert.equal(viewer.activeOrganization, null);
    }
    // Refresh keeps the (unbound) session but mints a token without the org.
    advance(MINUTE);
    const refreshed = ok(await refresh(s1.refreshToken)).refreshSession;
    assert.equal(refreshed.activeOrganization, null);
    assert.equal(decodeJwt(refreshed.accessToken).org_id, undefined);
    fails(await api.gql(PROJECTS, {}, refreshed.accessToken), 'FORBIDDEN');
    assert.equal((await sessionRow(s1.sessionId)).active_org_id, null);
    // The chain keeps going without the org, and so does the session rotated just before the removal.
    advance(MINUTE);
    assert.equal(ok(await refresh(refreshed.refreshToken)).refreshSession.activeOrganization, null);
    const s2After = ok(await refresh(s2Next.refreshToken)).refreshSession;
    assert.equal(s2After.activeOrganization, null);
    assert.equal(decodeJwt(s2After.accessToken).org_id, undefined);
    // Sessions that never entered the org are untouched, and nothing was revoked.
    await assertAlive(plain.accessToken, plain.sessionId);
    for (const d of [s1, s2, plain]) assert.equal((await sessionRow(d.sessionId)).revoked_at, null);

    const events = await eventsOf('MEMBER_REMOVED', 'user_id', member.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.org_id, tenant.orgId);
    fails(await api.gql(SIGN_IN, { e: member.email, p: PASSWORD, d: 'again', o: tenant.orgId }), 'FORBIDDEN');
    await assertAlive(owner.accessToken, owner.sessionId);
  });

  test('a retry inside the leeway right after removal returns the successor without the org', async () => {
    const member = await joinTenant('MEMBER', 'removed-retry');
    const s = await device(member.email, 'in org', tenant.orgId);
    const plain = await device(member.email, 'no org');
    const owner = await device(tenant.email, 'owner', tenant.orgId);
    advance(MINUTE);
    const first = ok(await refresh(s.refreshToken)).refreshSession;
    assert.equal(first.activeOrganization.id, tenant.orgId);
    ok(await api.gql(REMOVE_MEMBER, { u: member.userId }, owner.accessToken));
    advance(2 * SECOND);
    const retry = ok(await refresh(s.refreshToken)).refreshSession;
    assert.equal(retry.refreshToken, first.refreshToken);
    assert.equal(retry.activeOrganization, null);
    assert.equal(decodeJwt(retry.accessToken).org_id, undefined);
    fails(await api.gql(PROJECTS, {}, retry.accessToken), 'FORBIDDEN');
    await assertAlive(plain.accessToken, plain.sessionId);
    ok(await refresh(plain.refreshToken));
  });
});

describe('timeouts (injected clock)', () => {
  test('idle: a refresh just before 7 days works, one exactly 7 days after the last refresh → SESSION_EXPIRED', async () => {
    const user = await newUser('idle');
    const a = await device(user.email);
    advance(7 * DAY - 1);
    const lastRefresh = clock;
    const r = ok(await refresh(a.refreshToken)).refreshSession;
    assert.equal(r.refreshTokenExpiresAt, plus(lastRefresh, 7 * DAY));
    advance(7 * DAY);
    fails(await refresh(r.refreshToken), 'SESSION_EXPIRED');
    fails(await refresh(r.refreshToken), 'SESSION_EXPIRED', 'again (expiry is not reuse)');
    assert.equal((await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [a.sessionId]))[0].n, 2);
    assert.equal((await sessionRow(a.sessionId)).revoked_at, null);
    assert.equal((await eventsOf('REFRESH_TOKEN_REUSED', 'user_id', user.userId)).length, 0);
    // An expired session is not listed, and other sessions of the user are unaffected.
    const fresh = await device(user.email, 'fresh');
    assert.deepEqual(ok(await api.gql(SESSIONS, {}, fresh.accessToken)).sessions.map((s: any) => s.id), [fresh.sessionId]);
  });

  test('absolute: 30 days end the session however often it is refreshed; refreshTokenExpiresAt is the earlier end', async () => {
    const user = await newUser('absolute');
    const start = clock;
    const a = await device(user.email);
    assert.equal(a.refreshTokenExpiresAt, plus(start, 7 * DAY));
    let current = a.refreshToken;
    for (const day of [6, 12, 18, 24]) {
      clock = new Date(start.getTime() + day * DAY);
      const r = ok(await refresh(current)).refreshSession;
      // The idle end (now + 7 d) until it would pass the absolute end (start + 30 d).
      assert.equal(r.refreshTokenExpiresAt, plus(start, Math.min((day + 7) * DAY, 30 * DAY)), `day ${day}`);
      current = r.refreshToken;
    }
    clock = new Date(start.getTime() + 30 * DAY - 5 * MINUTE);
    const last = ok(await refresh(current)).refreshSession;
    assert.equal(last.refreshTokenExpiresAt, plus(start, 30 * DAY));
    assert.equal(last.accessTokenExpiresAt, plus(wholeSeconds(new Date(start.getTime() + 30 * DAY)), 0), 'the access token outlives the session');
    await assertAlive(last.accessToken, a.sessionId);
    // One second past the end: the access token's own exp equals the session end and the verifier
    // tolerates 5 s of clock skew, so only the per-request session check refuses it.
    clock = new Date(start.getTime() + 30 * DAY + SECOND);
    fails(await api.gql(VIEWER, {}, last.accessToken), 'SESSION_EXPIRED');
    fails(await refresh(last.refreshToken), 'SESSION_EXPIRED');
  });

  test('an idle end reached while an access token is still valid → SESSION_EXPIRED on the next request', async () => {
    const user = await newUser('idle-access');
    const a = await device(user.email);
    const other = await device(user.email, 'other');
    // The clock alone cannot put the idle end (≥ 7 days away after any refresh) inside a 15-minute
    // access token: bring this session's idle end (session and live token alike) 1 minute close, as owner.
    const idleEnd = new Date(clock.getTime() + MINUTE);
    await api.db.sql(`update device_sessions set idle_expires_at = $2 where id = $1`, [a.sessionId, idleEnd]);
    await api.db.sql(`update refresh_tokens set expires_at = $2 where session_id = $1 and rotated_at is null`, [a.sessionId, idleEnd]);
    advance(MINUTE - 1);
    await assertAlive(a.accessToken, a.sessionId);
    advance(1);
    fails(await api.gql(VIEWER, {}, a.accessToken), 'SESSION_EXPIRED');
    fails(await refresh(a.refreshToken), 'SESSION_EXPIRED');
    await assertAlive(other.accessToken, other.sessionId);
  });
});

describe('security events', () => {
  test('the runtime role cannot UPDATE, DELETE or TRUNCATE security_events (42501)', async () => {
    const before = (await api.db.sql(`select count(*)::int as n from security_events`))[0].n;
    assert.ok(before > 0);
    const client = new pg.Client({ connectionString: api.db.appUrl });
    await client.connect();
    try {
      const { rows } = await client.query(`select current_user as u`);
      assert.equal(rows[0].u, 'orgbound_app');
      for (const sql of [`update security_events set type = 'TAMPERED'`, `delete from security_events`, `truncate security_events`]) {
        await assert.rejects(client.query(sql), (err: { code?: string }) => {
          assert.equal(err.code, '42501', sql);
          return true;
        });
      }
    } finally {
      await client.end();
    }
    const after = await api.db.sql(`select count(*)::int as n, count(*) filter (where type = 'TAMPERED')::int as t from security_events`);
    assert.deepEqual(after[0], { n: before, t: 0 });
  });

  test('sign-in success and failure are recorded; the failure event persists although the call failed', async () => {
    const user = await newUser('events');
    const unknownBefore = (await api.db.sql(`select count(*)::int as n from security_events where type = 'SIGN_IN_FAILED' and user_id is null`))[0].n;
    const a = await device(user.email, 'ok');
    const succeeded = await eventsOf('SIGN_IN_SUCCEEDED', 'user_id', user.userId);
    assert.equal(succeeded.length, 1);
    assert.equal(succeeded[0]!.session_id, a.sessionId);

    fails(await api.gql(SIGN_IN, { e: user.email, p: `${PASSWORD}!`, d: 'bad', o: null }), 'UNAUTHENTICATED');
    fails(await api.gql(SIGN_IN, { e: user.email, p: PASSWORD, d: 'not member', o: tenant.orgId }), 'FORBIDDEN');
    fails(await api.gql(SIGN_IN, { e: `nobody-${randomUUID()}@example.test`, p: PASSWORD, d: 'x', o: null }), 'UNAUTHENTICATED');
    const failed = await eventsOf('SIGN_IN_FAILED', 'user_id', user.userId);
    assert.equal(failed.length, 2, JSON.stringify(failed));
    for (const e of failed) assert.equal(typeof e.detail.reason, 'string');
    // The failure into an org names the org; the bad password does not.
    assert.deepEqual(failed.map((e) => e.detail.organizationId ?? null).sort(), [tenant.orgId, null].sort());
    for (const e of failed) assert.equal(e.session_id, null);
    const unknownAfter = (await api.db.sql(`select count(*)::int as n from security_events where type = 'SIGN_IN_FAILED' and user_id is null`))[0].n;
    assert.equal(unknownAfter, unknownBefore + 1);
    // A failed sign-in opens no session.
    assert.equal((await api.db.sql(`select count(*)::int as n from device_sessions where user_id = $1`, [user.userId]))[0].n, 1);
    // No event carries a password or a token.
    const texts = (await allRowTexts(api.db, 'security_events')).join('\n');
    for (const secret of [PASSWORD, a.refreshToken, a.accessToken]) assert.ok(!texts.includes(secret));
  });
});
