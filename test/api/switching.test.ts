/**
 * switchOrganization and entry into CONFIDENTIAL / REGULATED organizations (issue 4): MFA enrollment,
 * freshness, wrong / replayed codes, the MFA rate limit, session-per-org, sticky strictness, and the
 * security events those write. The API runs on an injected clock the tests move by hand.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS, wrongCodeAt } from '../support/mfa.ts';
import { AUTH_PAYLOAD, createOrganization as createOrg, signInRaw, signUp, type Tier } from '../support/tenants.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The API's clock. It only ever moves forward; every test signs in afresh. */
let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));
/** A TOTP code is accepted at most once per 30 s step: move to the next one. */
const nextStep = (): Date => advance(TOTP_STEP_MS);

let api: TestApi;
before(async () => {
  api = await startTestApi({ now: () => clock });
});
after(async () => {
  await api?.close();
});

const SWITCH = `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { ${AUTH_PAYLOAD} } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { ${AUTH_PAYLOAD} } }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;
const CREATE_PROJECT = `mutation($n: String!) { createProject(name: $n) { id } }`;
const VIEWER = `{ viewer { activeOrganization { id } session { id boundOrganization { id } } } }`;

interface Payload {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  session: { id: string; expiresAt: string; boundOrganization: { id: string } | null };
  activeOrganization: { id: string; tier: string } | null;
}

interface Person {
  readonly userId: string;
  readonly email: string;
  /** Access token without an organization (valid for 15 minutes of the clock). */
  readonly plain: string;
}

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}

function fails(r: GqlResult, code: string, what: string): void {
  assert.equal(errorCode(r), code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
  assert.ok(r.data == null, `${what}: data ${JSON.stringify(r.data)}`);
}

async function newPerson(label: string): Promise<Person> {
  const email = `${label}-${randomUUID()}@example.test`;
  const userId = await signUp(api, email);
  const plain = ok<{ signIn: Payload }>(await signInRaw(api, email), 'plain signIn').signIn.accessToken;
  return { userId, email, plain };
}

async function signInTo(p: Person, organizationId: string | null, mfaCode?: string): Promise<Payload> {
  return ok<{ signIn: Payload }>(await signInRaw(api, p.email, { organizationId, mfaCode: mfaCode ?? null }), `signIn ${organizationId}`).signIn;
}

const switchTo = (token: string, organizationId: string, mfaCode?: string): Promise<GqlResult<{ switchOrganization: Payload }>> =>
  api.gql(SWITCH, { o: organizationId, c: mfaCode ?? null }, token);

const refresh = (refreshToken: string): Promise<GqlResult<{ refreshSession: Payload }>> => api.gql(REFRESH, { r: refreshToken });

async function projectIds(token: string): Promise<string[]> {
  return ok(await api.gql(PROJECTS, {}, token), 'projects').projects.edges.map((e: { node: { id: string } }) => e.node.id);
}

async function createProject(token: string): Promise<string> {
  return ok(await api.gql(CREATE_PROJECT, { n: `p-${randomUUID()}` }, token), 'createProject').createProject.id;
}

async function dedicatedKid(orgId: string): Promise<string> {
  const rows = await api.db.sql<{ id: string }>(`select id from signing_keys where owner_org_id = $1 and retired_at is null`, [orgId]);
  assert.equal(rows.length, 1, `org ${orgId} has ${rows.length} active dedicated keys`);
  return rows[0]!.id;
}

async function globalKid(): Promise<string> {
  const rows = await api.db.sql<{ id: string }>(`select id from signing_keys where owner_org_id is null and retired_at is null`);
  assert.equal(rows.length, 1);
  return rows[0]!.id;
}

interface EventRow {
  org_id: string | null;
  session_id: string | null;
  detail: Record<string, unknown>;
  at: Date;
}
function events(userId: string, type: string): Promise<EventRow[]> {
  return api.db.sql<EventRow>(`select org_id, session_id, detail, at from security_events where user_id = $1 and type = $2 order by at, id`, [userId, type]);
}
/** The user-level events only (an MFA check for entering an org also writes the org's copy, see test/api/audit.test.ts). */
async function userEvents(userId: string, type: string): Promise<EventRow[]> {
  return (await events(userId, type)).filter((e) => e.org_id === null);
}

/** createOrganization; a dedicated key is created with the org and verifies on this instance at once. */
async function createOrganization(a: TestApi, token: string, tier: Tier): Promise<string> {
  const id = await createOrg(a, token, tier);
  return id;
}

const ttlOf = (token: string): number => {
  const c = decodeJwt(token);
  return c.exp! - c.iat!;
};

describe('switch STANDARD → CONFIDENTIAL', () => {
  test('needs enrollment, then a fresh MFA: wrong and replayed codes fail, a valid code enters with the org key', async () => {
    const u = await newPerson('switch');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const confKid = await dedicatedKid(conf);
    assert.notEqual(confKid, await globalKid());

    const a = await signInTo(u, std);
    const stdProject = await createProject(a.accessToken);

    // Not enrolled: no code, and a code (there is no secret to check it against), both say "enroll".
    fails(await switchTo(a.accessToken, conf), 'MFA_ENROLLMENT_REQUIRED', 'no enrollment, no code');
    fails(await switchTo(a.accessToken, conf, '123456'), 'MFA_ENROLLMENT_REQUIRED', 'no enrollment, a code');

    const enrolledAt = clock;
    const secret = await enrollTotp(api, a.accessToken, clock);
    const enrolled = await events(u.userId, 'MFA_ENROLLED');
    assert.equal(enrolled.length, 1);
    assert.equal(enrolled[0]!.session_id, a.session.id);
    assert.equal(enrolled[0]!.at.getTime(), enrolledAt.getTime());
    nextStep();

    // Session b never passed MFA: enrollment is not enough, it needs a code.
    const b = await signInTo(u, std);
    assert.deepEqual(decodeJwt(b.accessToken).amr, ['pwd']);
    fails(await switchTo(b.accessToken, conf), 'MFA_REQUIRED', 'enrolled, no recent MFA in this session');
    fails(await switchTo(b.accessToken, conf, wrongCodeAt(secret, clock)), 'MFA_REQUIRED', 'wrong code');
    fails(await switchTo(b.accessToken, conf, 'abcdef'), 'MFA_REQUIRED', 'malformed code');

    const good = codeAt(secret, clock);
    const c = await signInTo(u, std);
    const sw = ok(await switchTo(b.accessToken, conf, good), 'switch with a valid code').switchOrganization;
    // The same code again (another session, same step): replay refused.
    fails(await switchTo(c.accessToken, conf, good), 'MFA_REQUIRED', 'replayed code');

    // The new access token: target org, its dedicated key, CONFIDENTIAL TTL, amr otp, same device session.
    const claims = decodeJwt(sw.accessToken);
    assert.equal(claims.org_id, conf);
    assert.equal(claims.tier, 'CONFIDENTIAL');
    assert.equal(claims.role, 'OWNER');
    assert.equal(claims.sid, b.session.id);
    assert.equal(claims.sub, u.userId);
    assert.equal(decodeProtectedHeader(sw.accessToken).kid, confKid);
    assert.equal(claims.exp! - claims.iat!, 300);
    assert.equal(claims.iat, Math.floor(clock.getTime() / 1000));
    assert.equal(new Date(sw.accessTokenExpiresAt).getTime(), claims.exp! * 1000);
    assert.ok((claims.amr as string[]).includes('otp'), JSON.stringify(claims.amr));
    assert.ok((claims.amr as string[]).includes('pwd'), JSON.stringify(claims.amr));
    assert.equal(sw.session.id, b.session.id);
    assert.equal(sw.activeOrganization?.id, conf);
    assert.equal(sw.session.boundOrganization, null);
    assert.notEqual(sw.refreshToken, b.refreshToken);

    // It works for the new org.
    const viewer = ok(await api.gql(VIEWER, {}, sw.accessToken), 'viewer').viewer;
    assert.equal(viewer.activeOrganization.id, conf);
    const confProject = await createProject(sw.accessToken);
    assert.deepEqual(await projectIds(sw.accessToken), [confProject]);

    // The old access token still works, for its old org only.
    assert.deepEqual(await projectIds(b.accessToken), [stdProject]);
    assert.equal(ok(await api.gql(`{ organization { id } }`, {}, b.accessToken), 'organization').organization.id, std);
    assert.equal(ok(await api.gql(`query($id: ID!) { project(id: $id) { id } }`, { id: confProject }, b.accessToken), 'project').project, null);

    // Security events: the switch (org_id = target), one MFA_PASSED, one MFA_FAILED per bad code.
    const switched = await events(u.userId, 'ORGANIZATION_SWITCHED');
    assert.equal(switched.length, 1, JSON.stringify(switched));
    assert.equal(switched[0]!.org_id, conf);
    assert.equal(switched[0]!.session_id, b.session.id);
    assert.deepEqual(switched[0]!.detail, { from: std, mfa: true });
    const passed = await userEvents(u.userId, 'MFA_PASSED');
    assert.deepEqual(
      passed.map((e) => [e.session_id, e.detail]),
      [
        [a.session.id, { enrollment: true }],
        [b.session.id, {}],
      ],
    );
    const failed = await userEvents(u.userId, 'MFA_FAILED');
    assert.deepEqual(failed.map((e) => e.session_id).sort(), [b.session.id, b.session.id, c.session.id].sort());
    for (const e of [...failed, ...passed]) assert.ok(!JSON.stringify(e.detail).includes(good), 'an MFA code was logged');

    // The new refresh token rotates and keeps serving the target org with its key.
    const r = ok(await refresh(sw.refreshToken), 'refresh after switch').refreshSession;
    assert.equal(decodeJwt(r.accessToken).org_id, conf);
    assert.equal(decodeProtectedHeader(r.accessToken).kid, confKid);
    assert.equal(ttlOf(r.accessToken), 300);

    // The pre-switch refresh token is dead: presented after the leeway it is theft.
    advance(5 * SECOND);
    fails(await refresh(b.refreshToken), 'REFRESH_TOKEN_REUSED', 'pre-switch refresh token');
    fails(await api.gql(VIEWER, {}, r.accessToken), 'SESSION_REVOKED', 'after reuse');
  });

  test("an earlier MFA of the session counts for 12 hours, not longer", async () => {
    const u = await newPerson('fresh');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, std);
    const secret = await enrollTotp(api, a.accessToken, clock); // this session passed MFA now
    const start = clock;

    advance(11 * HOUR + 59 * MINUTE);
    const r1 = ok(await refresh(a.refreshToken), 'refresh at +11h59').refreshSession;
    const s1 = ok(await switchTo(r1.accessToken, conf), 'switch within 12 h, no code').switchOrganization;
    assert.equal(decodeJwt(s1.accessToken).org_id, conf);
    assert.ok((decodeJwt(s1.accessToken).amr as string[]).includes('otp'));
    // Out to STANDARD needs nothing, and keeps the MFA time.
    advance(SECOND);
    const s2 = ok(await switchTo(s1.accessToken, std), 'switch back to STANDARD').switchOrganization;
    const switches = await events(u.userId, 'ORGANIZATION_SWITCHED');
    assert.deepEqual(
      switches.map((e) => [e.org_id, e.detail]),
      [
        [conf, { from: std, mfa: false }],
        [std, { from: conf, mfa: false }],
      ],
    );

    // 12 h after the MFA plus a second: stale.
    clock = new Date(start.getTime() + 12 * HOUR + SECOND);
    const r2 = ok(await refresh(s2.refreshToken), 'refresh at +12h').refreshSession;
    fails(await switchTo(r2.accessToken, conf), 'MFA_REQUIRED', 'MFA older than 12 h');
    const s3 = ok(await switchTo(r2.accessToken, conf, codeAt(secret, clock)), 'switch with a fresh code').switchOrganization;
    assert.equal(decodeJwt(s3.accessToken).org_id, conf);
  });
});

describe('MFA rate limit', () => {
  test('after 5 wrong codes even a correct one is RATE_LIMITED for 15 minutes, on switch and signIn alike', async () => {
    const u = await newPerson('ratelimit');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, std);
    const secret = await enrollTotp(api, a.accessToken, clock);
    nextStep();
    const b = await signInTo(u, std);
    for (let i = 0; i < 5; i++) fails(await switchTo(b.accessToken, conf, wrongCodeAt(secret, clock)), 'MFA_REQUIRED', `wrong code ${i + 1}`);
    const failedAt = clock;
    fails(await switchTo(b.accessToken, conf, codeAt(secret, clock)), 'RATE_LIMITED', 'correct code after 5 failures');
    fails(await signInRaw(api, u.email, { organizationId: conf, mfaCode: codeAt(secret, clock) }), 'RATE_LIMITED', 'signIn with a correct code');
    // A rate-limited attempt is not a sixth failure (and spends no code).
    assert.equal((await userEvents(u.userId, 'MFA_FAILED')).length, 5);

    clock = new Date(failedAt.getTime() + 14 * MINUTE);
    const r1 = ok(await refresh(b.refreshToken), 'refresh at +14 min').refreshSession;
    fails(await switchTo(r1.accessToken, conf, codeAt(secret, clock)), 'RATE_LIMITED', 'still inside the window');

    clock = new Date(failedAt.getTime() + 15 * MINUTE + SECOND);
    const r2 = ok(await refresh(r1.refreshToken), 'refresh after the window').refreshSession;
    const sw = ok(await switchTo(r2.accessToken, conf, codeAt(secret, clock)), 'switch after the window').switchOrganization;
    assert.equal(decodeJwt(sw.accessToken).org_id, conf);
  });
});

describe('MFA under concurrency', () => {
  test('one code sent by four requests at once is accepted exactly once', async () => {
    const u = await newPerson('race-code');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, std);
    const secret = await enrollTotp(api, a.accessToken, clock);
    nextStep();
    const b = await signInTo(u, std);
    const c = await signInTo(u, std);
    const code = codeAt(secret, clock);
    const results = await Promise.all([
      switchTo(b.accessToken, conf, code),
      switchTo(c.accessToken, conf, code),
      signInRaw(api, u.email, { organizationId: conf, mfaCode: code }),
      signInRaw(api, u.email, { organizationId: conf, mfaCode: code }),
    ]);
    const codes = results.map((r) => errorCode(r) ?? 'OK');
    assert.deepEqual(codes.filter((x) => x === 'OK').length, 1, JSON.stringify(codes));
    assert.deepEqual(codes.filter((x) => x !== 'OK'), ['MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED'], JSON.stringify(codes));
    assert.equal((await userEvents(u.userId, 'MFA_PASSED')).length, 2, 'the enrollment and one of the four');
  });

  test('eight wrong codes at once: exactly five are checked, three are RATE_LIMITED', async () => {
    const u = await newPerson('race-limit');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, std);
    const secret = await enrollTotp(api, a.accessToken, clock);
    nextStep();
    const b = await signInTo(u, std);
    const wrong = wrongCodeAt(secret, clock);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? switchTo(b.accessToken, conf, wrong) : signInRaw(api, u.email, { organizationId: conf, mfaCode: wrong }))),
    );
    const codes = results.map((r) => errorCode(r)).sort();
    assert.deepEqual(codes, ['MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'MFA_REQUIRED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    assert.equal((await userEvents(u.userId, 'MFA_FAILED')).length, 5);
  });
});

describe('REGULATED (session-per-org)', () => {
  test('is entered only by signIn with a code, into a session bound to it with no reuse leeway', async () => {
    const u = await newPerson('regulated');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const reg = await createOrganization(api, u.plain, 'REGULATED');
    const regKid = await dedicatedKid(reg);

    fails(await signInRaw(api, u.email, { organizationId: reg }), 'MFA_ENROLLMENT_REQUIRED', 'signIn, not enrolled');
    const a = await signInTo(u, std);
    const secret = await enrollTotp(api, a.accessToken, clock);
    nextStep();

    // Even with a fresh MFA and a valid code, a switch never enters it.
    fails(await switchTo(a.accessToken, reg), 'REAUTHENTICATION_REQUIRED', 'switch, no code');
    fails(await switchTo(a.accessToken, reg, codeAt(secret, clock)), 'REAUTHENTICATION_REQUIRED', 'switch with a valid code');
    nextStep();
    fails(await signInRaw(api, u.email, { organizationId: reg }), 'MFA_REQUIRED', 'signIn without a code');
    fails(await signInRaw(api, u.email, { organizationId: reg, mfaCode: wrongCodeAt(secret, clock) }), 'MFA_REQUIRED', 'signIn with a wrong code');

    const r = await signInTo(u, reg, codeAt(secret, clock));
    assert.notEqual(r.session.id, a.session.id);
    assert.equal(r.session.boundOrganization?.id, reg);
    assert.equal(r.activeOrganization?.id, reg);
    const claims = decodeJwt(r.accessToken);
    assert.equal(claims.org_id, reg);
    assert.equal(decodeProtectedHeader(r.accessToken).kid, regKid);
    assert.equal(claims.exp! - claims.iat!, 120);
    assert.ok((claims.amr as string[]).includes('otp'));
    assert.equal(ok(await api.gql(VIEWER, {}, r.accessToken), 'viewer').viewer.session.boundOrganization.id, reg);
    const [bound] = await api.db.sql(`select bound_org_id from device_sessions where id = $1`, [r.session.id]);
    assert.equal(bound.bound_org_id, reg);

    // A bound session cannot switch anywhere else.
    nextStep();
    for (const other of [std, conf]) {
      fails(await switchTo(r.accessToken, other), 'REAUTHENTICATION_REQUIRED', `bound → ${other}`);
      fails(await switchTo(r.accessToken, other, codeAt(secret, clock)), 'REAUTHENTICATION_REQUIRED', `bound → ${other} with code`);
    }

    // Its refreshes only ever mint tokens for the bound org.
    advance(MINUTE);
    const r2 = ok(await refresh(r.refreshToken), 'refresh 1').refreshSession;
    advance(MINUTE);
    const r3 = ok(await refresh(r2.refreshToken), 'refresh 2').refreshSession;
    for (const p of [r2, r3]) {
      assert.equal(decodeJwt(p.accessToken).org_id, reg);
      assert.equal(decodeProtectedHeader(p.accessToken).kid, regKid);
      assert.equal(ttlOf(p.accessToken), 120);
      assert.equal(p.session.boundOrganization?.id, reg);
      assert.equal(p.activeOrganization?.id, reg);
    }
    // The session-per-org sign-in wrote its event, with MFA.
    const signIns = (await events(u.userId, 'SIGN_IN_SUCCEEDED')).filter((e) => e.session_id === r.session.id);
    assert.deepEqual(signIns.map((e) => [e.org_id, e.detail]), [[reg, { amr: ['pwd', 'otp'] }]]);

    // No leeway: a retry of the token rotated this very instant is theft.
    fails(await refresh(r2.refreshToken), 'REFRESH_TOKEN_REUSED', 'retry of a just-rotated REGULATED token');
    fails(await api.gql(VIEWER, {}, r3.accessToken), 'SESSION_REVOKED', 'after reuse');
    fails(await api.gql(VIEWER, {}, a.accessToken), 'SESSION_REVOKED', 'other session after reuse');
  });
});

describe('sticky strictness', () => {
  test('a session that entered CONFIDENTIAL keeps its limits after switching back to STANDARD', async () => {
    const u = await newPerson('sticky');
    const std = await createOrganization(api, u.plain, 'STANDARD');
    const conf = await createOrganization(api, u.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, std);
    // Control: STANDARD alone is not strict.
    assert.equal(ttlOf(a.accessToken), 900);
    assert.equal(new Date(a.refreshTokenExpiresAt).getTime(), clock.getTime() + 7 * 24 * HOUR);

    await enrollTotp(api, a.accessToken, clock);
    const s1 = ok(await switchTo(a.accessToken, conf), 'into CONFIDENTIAL (fresh MFA from enrollment)').switchOrganization;
    assert.equal(ttlOf(s1.accessToken), 300);
    const s2 = ok(await switchTo(s1.accessToken, std), 'back to STANDARD').switchOrganization;
    assert.equal(decodeJwt(s2.accessToken).org_id, std);
    assert.equal(decodeProtectedHeader(s2.accessToken).kid, await globalKid());
    assert.equal(ttlOf(s2.accessToken), 300);
    assert.equal(new Date(s2.refreshTokenExpiresAt).getTime(), clock.getTime() + 8 * HOUR);

    advance(HOUR);
    const r = ok(await refresh(s2.refreshToken), 'refresh in STANDARD').refreshSession;
    assert.equal(decodeJwt(r.accessToken).org_id, std);
    assert.equal(ttlOf(r.accessToken), 300);
    assert.ok(new Date(r.refreshTokenExpiresAt).getTime() <= clock.getTime() + 8 * HOUR, r.refreshTokenExpiresAt);
    assert.ok(new Date(r.session.expiresAt).getTime() <= clock.getTime() + 8 * HOUR, r.session.expiresAt);
    const [row] = await api.db.sql(`select policy, entered_org_ids from device_sessions where id = $1`, [a.session.id]);
    assert.equal(row.policy.accessTokenTtlSeconds, 300);
    assert.equal(row.policy.mfaRequired, true);
    assert.deepEqual([...row.entered_org_ids].sort(), [std, conf].sort());

    // The idle end is 8 h: 8 h and a second without a refresh ends the session.
    advance(8 * HOUR + SECOND);
    fails(await refresh(r.refreshToken), 'SESSION_EXPIRED', 'refresh after 8 h idle');
  });
});

describe('who may switch where', () => {
  test("an org you are not a member of and an org that does not exist are refused alike (FORBIDDEN)", async () => {
    const u = await newPerson('stranger');
    const other = await newPerson('other');
    const mine = await createOrganization(api, u.plain, 'STANDARD');
    const theirs = await createOrganization(api, other.plain, 'STANDARD');
    const theirsConf = await createOrganization(api, other.plain, 'CONFIDENTIAL');
    const a = await signInTo(u, mine);

    const messages = new Set<string>();
    for (const target of [theirs, theirsConf, randomUUID()]) {
      const r = await switchTo(a.accessToken, target);
      fails(r, 'FORBIDDEN', `switch to ${target}`);
      messages.add(r.errors![0]!.message);
      const s = await signInRaw(api, u.email, { organizationId: target });
      fails(s, 'FORBIDDEN', `signIn to ${target}`);
      messages.add(s.errors![0]!.message);
    }
    assert.equal(messages.size, 1, [...messages].join(' | '));
    fails(await switchTo(a.accessToken, 'not-a-uuid'), 'BAD_USER_INPUT', 'malformed id');
    fails(await api.gql(SWITCH, { o: theirs, c: null }), 'UNAUTHENTICATED', 'anonymous');

    assert.deepEqual(await events(u.userId, 'ORGANIZATION_SWITCHED'), []);
    // A refused switch rotates nothing: the refresh token still works and stays in the user's org.
    const r = ok(await refresh(a.refreshToken), 'refresh after refused switches').refreshSession;
    assert.equal(decodeJwt(r.accessToken).org_id, mine);
  });

  test('a plain MEMBER may switch into a STANDARD org, with role MEMBER in the token', async () => {
    const owner = await newPerson('inviter');
    const member = await newPerson('member');
    const org = await createOrganization(api, owner.plain, 'STANDARD');
    const ownerToken = (await signInTo(owner, org)).accessToken;
    const inv = ok(await api.gql(`mutation($e: String!) { inviteMember(email: $e, role: MEMBER) { token } }`, { e: member.email }, ownerToken), 'invite');
    ok(await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: inv.inviteMember.token }, member.plain), 'accept');
    const sw = ok(await switchTo(member.plain, org), 'member switch').switchOrganization;
    const claims = decodeJwt(sw.accessToken);
    assert.equal(claims.org_id, org);
    assert.equal(claims.role, 'MEMBER');
    const [event] = await events(member.userId, 'ORGANIZATION_SWITCHED');
    assert.equal(event?.org_id, org);
    assert.deepEqual(event?.detail, { from: null, mfa: false });
  });
});

describe('switch supersedes the refresh token', () => {
  // Contract: "Inside the leeway, a retry of the just-rotated token (lost response, two tabs) must not
  // log the user out". refreshSession documents the pre-switch token inside the leeway as
  // UNAUTHENTICATED ("superseded by an organization switch"), decideRefresh's 'superseded' outcome.
  // (Regression guard: refreshSession used to look a switch's successor up by the derived hash, which
  // a switch never issues, so this was always REFRESH_TOKEN_REUSED and signed every device out.)
  test('the pre-switch refresh token, presented inside the leeway, is refused without signing anyone out', async () => {
    const u = await newPerson('supersede');
    const one = await createOrganization(api, u.plain, 'STANDARD');
    const two = await createOrganization(api, u.plain, 'STANDARD');
    const a = await signInTo(u, one);
    const other = await signInTo(u, one); // another device of the same user
    const sw = ok(await switchTo(a.accessToken, two), 'switch').switchOrganization;
    advance(SECOND); // well inside STANDARD's 10 s leeway

    const stale = await refresh(a.refreshToken);
    assert.equal(errorCode(stale), 'UNAUTHENTICATED', `pre-switch refresh token inside the leeway: ${JSON.stringify(stale.errors)}`);
    // Nobody was signed out and the switch's branch is the one that lives on.
    assert.equal((await api.db.sql(`select count(*)::int as n from device_sessions where user_id = $1 and revoked_at is not null`, [u.userId]))[0].n, 0);
    assert.deepEqual(await events(u.userId, 'REFRESH_TOKEN_REUSED'), []);
    ok(await api.gql(VIEWER, {}, other.accessToken), 'the other device');
    const next = ok(await refresh(sw.refreshToken), 'refresh of the switch branch').refreshSession;
    assert.equal(decodeJwt(next.accessToken).org_id, two);
  });
});
