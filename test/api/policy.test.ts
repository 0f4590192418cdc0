/**
 * updateSessionPolicy (issue 4): an OWNER or ADMIN may tighten the active org's session policy, never
 * loosen it past the tier's floor; the tightened policy reaches new tokens at once and existing
 * sessions at their next refresh; CONFIDENTIAL needs MFA within 12 h (mfaFresh). The API runs on an
 * injected clock the tests move by hand.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS } from '../support/mfa.ts';
import { AUTH_PAYLOAD, createOrganization as createOrg, signInRaw, signUp, type Tier } from '../support/tenants.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));
const nextStep = (): Date => advance(TOTP_STEP_MS);

let api: TestApi;
before(async () => {
  api = await startTestApi({ now: () => clock });
});
after(async () => {
  await api?.close();
});

const POLICY_FIELDS = `accessTokenTtlSeconds idleTimeoutSeconds absoluteTimeoutSeconds mfaRequired mfaMaxAgeSeconds isolatedSession dedicatedSigningKey refreshReuseLeewaySeconds`;
const UPDATE = `mutation($i: SessionPolicyInput!) { updateSessionPolicy(input: $i) { id tier policy { ${POLICY_FIELDS} } } }`;
const ORG_POLICY = `{ organization { id policy { ${POLICY_FIELDS} } } }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { ${AUTH_PAYLOAD} } }`;
const SWITCH = `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { ${AUTH_PAYLOAD} } }`;

type Policy = Record<string, number | boolean>;
const FLOORS: Record<Tier, Policy> = {
  STANDARD: { accessTokenTtlSeconds: 900, idleTimeoutSeconds: 7 * 86400, absoluteTimeoutSeconds: 30 * 86400, mfaRequired: false, mfaMaxAgeSeconds: 0, isolatedSession: false, dedicatedSigningKey: false, refreshReuseLeewaySeconds: 10 },
  CONFIDENTIAL: { accessTokenTtlSeconds: 300, idleTimeoutSeconds: 8 * 3600, absoluteTimeoutSeconds: 86400, mfaRequired: true, mfaMaxAgeSeconds: 12 * 3600, isolatedSession: false, dedicatedSigningKey: true, refreshReuseLeewaySeconds: 2 },
  REGULATED: { accessTokenTtlSeconds: 120, idleTimeoutSeconds: 900, absoluteTimeoutSeconds: 8 * 3600, mfaRequired: true, mfaMaxAgeSeconds: 0, isolatedSession: true, dedicatedSigningKey: true, refreshReuseLeewaySeconds: 0 },
};

interface Payload {
  accessToken: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  session: { id: string };
}
interface Person {
  readonly userId: string;
  readonly email: string;
  readonly plain: string;
  /** TOTP secret, when enrolled. */
  readonly secret: string | null;
}

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}
function fails(r: GqlResult, code: string, what: string): void {
  assert.equal(errorCode(r), code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
  assert.ok(r.data == null, `${what}: data ${JSON.stringify(r.data)}`);
}

async function newPerson(label: string, enroll = false): Promise<Person> {
  const email = `${label}-${randomUUID()}@example.test`;
  const userId = await signUp(api, email);
  const plain = ok<{ signIn: Payload }>(await signInRaw(api, email), 'signIn').signIn.accessToken;
  let secret: string | null = null;
  if (enroll) {
    secret = await enrollTotp(api, plain, clock);
    nextStep();
  }
  return { userId, email, plain, secret };
}

/** signIn to `orgId`, with a fresh code when the person is enrolled (then the clock moves a step). */
async function signInTo(p: Person, orgId: string): Promise<Payload> {
  const r = ok<{ signIn: Payload }>(await signInRaw(api, p.email, { organizationId: orgId, mfaCode: p.secret ? codeAt(p.secret, clock) : null }), `signIn ${orgId}`).signIn;
  if (p.secret) nextStep();
  return r;
}

/** `p` joins `orgId` with `role`, invited by `adminToken`. */
async function join(p: Person, orgId: string, role: 'ADMIN' | 'MEMBER', adminToken: string): Promise<void> {
  const inv = ok(await api.gql(`mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { token } }`, { e: p.email, r: role }, adminToken), 'invite');
  const m = ok(await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { organization { id } } }`, { t: inv.inviteMember.token }, p.plain), 'accept');
  assert.equal(m.acceptInvitation.organization.id, orgId);
}

/** createOrganization; a dedicated key is created with the org and verifies on this instance at once. */
async function createOrganization(a: TestApi, token: string, tier: Tier): Promise<string> {
  const id = await createOrg(a, token, tier);
  return id;
}

const update = (token: string | undefined, input: Policy): Promise<GqlResult> => api.gql(UPDATE, { i: input }, token);

async function storedOverrides(orgId: string): Promise<unknown> {
  const [row] = await api.db.sql(`select policy_overrides from organizations where id = $1`, [orgId]);
  return row.policy_overrides;
}
async function policyEvents(orgId: string): Promise<{ user_id: string; session_id: string; detail: unknown }[]> {
  return api.db.sql(`select user_id, session_id, detail from security_events where type = 'SESSION_POLICY_UPDATED' and org_id = $1 order by at, id`, [orgId]);
}
const ttlOf = (token: string): number => {
  const c = decodeJwt(token);
  return c.exp! - c.iat!;
};
/** Keeps a session alive across `total` (refreshing every `every`); returns the last payload. */
async function keepAlive(refreshToken: string, total: number, every: number): Promise<Payload> {
  let last: Payload | undefined;
  let rt = refreshToken;
  for (let done = 0; done < total; ) {
    const step = Math.min(every, total - done);
    advance(step);
    done += step;
    last = ok(await api.gql(REFRESH, { r: rt }), 'keep-alive refresh').refreshSession as Payload;
    rt = last.refreshToken;
  }
  return last!;
}

describe('tightening', () => {
  test('an OWNER tightens a STANDARD org: the policy shows it, new tokens get it, existing sessions at their next refresh', async () => {
    const owner = await newPerson('tighten');
    const std = await createOrganization(api, owner.plain, 'STANDARD');
    const existing = await signInTo(owner, std);
    // Control: the floor before.
    assert.equal(ttlOf(existing.accessToken), 900);
    assert.deepEqual(ok(await api.gql(ORG_POLICY, {}, existing.accessToken), 'policy').organization.policy, FLOORS.STANDARD);

    const r = ok(await update(existing.accessToken, { accessTokenTtlSeconds: 300, idleTimeoutSeconds: 3600 }), 'update').updateSessionPolicy;
    const expected = { ...FLOORS.STANDARD, accessTokenTtlSeconds: 300, idleTimeoutSeconds: 3600 };
    assert.deepEqual(r, { id: std, tier: 'STANDARD', policy: expected });
    assert.deepEqual(ok(await api.gql(ORG_POLICY, {}, existing.accessToken), 'policy').organization.policy, expected);
    assert.deepEqual(await storedOverrides(std), { accessTokenTtlSeconds: 300, idleTimeoutSeconds: 3600 });
    assert.deepEqual(await policyEvents(std), [
      { user_id: owner.userId, session_id: existing.session.id, detail: { overrides: { accessTokenTtlSeconds: 300, idleTimeoutSeconds: 3600 } } },
    ]);

    // A new session gets it at once.
    const fresh = await signInTo(owner, std);
    assert.equal(ttlOf(fresh.accessToken), 300);
    assert.equal(new Date(fresh.refreshTokenExpiresAt).getTime(), clock.getTime() + HOUR);
    // An existing session at its next refresh.
    advance(MINUTE);
    const refreshed = ok(await api.gql(REFRESH, { r: existing.refreshToken }), 'refresh').refreshSession as Payload;
    assert.equal(ttlOf(refreshed.accessToken), 300);
    assert.equal(new Date(refreshed.refreshTokenExpiresAt).getTime(), clock.getTime() + HOUR);

    // The org relaxes its own override (still inside the floor): sessions that saw 300 s keep it,
    // a new session gets 600 s. A session's policy never relaxes.
    ok(await update(refreshed.accessToken, { accessTokenTtlSeconds: 600 }), 'relax the override');
    advance(MINUTE);
    const again = ok(await api.gql(REFRESH, { r: refreshed.refreshToken }), 'refresh after relaxing').refreshSession as Payload;
    assert.equal(ttlOf(again.accessToken), 300);
    assert.equal(ttlOf((await signInTo(owner, std)).accessToken), 600);
  });

  test('an ADMIN may tighten; a MEMBER, a token without an org and no token may not', async () => {
    const owner = await newPerson('roles-owner');
    const std = await createOrganization(api, owner.plain, 'STANDARD');
    const ownerToken = (await signInTo(owner, std)).accessToken;
    const admin = await newPerson('roles-admin');
    const member = await newPerson('roles-member');
    await join(admin, std, 'ADMIN', ownerToken);
    await join(member, std, 'MEMBER', ownerToken);
    const memberToken = (await signInTo(member, std)).accessToken;

    fails(await update(memberToken, { accessTokenTtlSeconds: 300 }), 'FORBIDDEN', 'MEMBER');
    fails(await update(member.plain, { accessTokenTtlSeconds: 300 }), 'FORBIDDEN', 'no active organization');
    fails(await update(undefined, { accessTokenTtlSeconds: 300 }), 'UNAUTHENTICATED', 'anonymous');
    assert.deepEqual(await storedOverrides(std), {});
    assert.deepEqual(await policyEvents(std), []);

    const r = ok(await update((await signInTo(admin, std)).accessToken, { refreshReuseLeewaySeconds: 5 }), 'ADMIN').updateSessionPolicy;
    assert.equal(r.policy.refreshReuseLeewaySeconds, 5);
    assert.deepEqual(await storedOverrides(std), { refreshReuseLeewaySeconds: 5 });
    const events = await policyEvents(std);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.user_id, admin.userId);
  });

  test('mfaRequired on a STANDARD org: entering needs MFA, and so does changing the policy again', async () => {
    const owner = await newPerson('mfa-on');
    const std = await createOrganization(api, owner.plain, 'STANDARD');
    const ownerToken = (await signInTo(owner, std)).accessToken;
    const member = await newPerson('mfa-on-member');
    await join(member, std, 'MEMBER', ownerToken);

    const r = ok(await update(ownerToken, { mfaRequired: true }), 'mfaRequired').updateSessionPolicy;
    assert.equal(r.policy.mfaRequired, true);
    assert.equal(r.policy.mfaMaxAgeSeconds, 12 * 3600, 'opting in without an age gets the CONFIDENTIAL 12 h');

    fails(await api.gql(SWITCH, { o: std, c: null }, member.plain), 'MFA_ENROLLMENT_REQUIRED', 'member switching in');
    fails(await signInRaw(api, member.email, { organizationId: std }), 'MFA_ENROLLMENT_REQUIRED', 'member signing in');
    // The owner's session never passed MFA: the next policy change needs it.
    fails(await update(ownerToken, { accessTokenTtlSeconds: 300 }), 'MFA_REQUIRED', 'owner without MFA');
    assert.deepEqual(await storedOverrides(std), { mfaRequired: true });
  });

  test('dedicatedSigningKey on a STANDARD org: a key is created and signs its tokens; global-key tokens for it stop working', async () => {
    const owner = await newPerson('own-key');
    const std = await createOrganization(api, owner.plain, 'STANDARD');
    const before = await signInTo(owner, std);
    const globalKid = decodeProtectedHeader(before.accessToken).kid;
    assert.deepEqual(await api.db.sql(`select id from signing_keys where owner_org_id = $1`, [std]), []);

    const r = ok(await update(before.accessToken, { dedicatedSigningKey: true }), 'dedicatedSigningKey').updateSessionPolicy;
    assert.equal(r.policy.dedicatedSigningKey, true);
    const keys = await api.db.sql<{ id: string }>(`select id from signing_keys where owner_org_id = $1 and retired_at is null`, [std]);
    assert.equal(keys.length, 1);

    const after = await signInTo(owner, std);
    assert.equal(decodeProtectedHeader(after.accessToken).kid, keys[0]!.id);
    assert.notEqual(keys[0]!.id, globalKid);
    assert.equal(ok(await api.gql(ORG_POLICY, {}, after.accessToken), 'new token').organization.id, std);
    // The org now accepts only its own key: the token signed before with the global key is refused.
    fails(await api.gql(ORG_POLICY, {}, before.accessToken), 'UNAUTHENTICATED', 'global-key token after the switch to a dedicated key');
    // Its session is fine: a refresh gets a token signed with the org's key.
    const refreshed = ok(await api.gql(REFRESH, { r: before.refreshToken }), 'refresh').refreshSession as Payload;
    assert.equal(decodeProtectedHeader(refreshed.accessToken).kid, keys[0]!.id);
  });
});

describe('loosening', () => {
  const cases: Record<Tier, [string, Policy][]> = {
    STANDARD: [
      ['access token TTL above 15 min', { accessTokenTtlSeconds: 3600 }],
      ['idle timeout above 7 days', { idleTimeoutSeconds: 8 * 86400 }],
      ['absolute lifetime above 30 days', { absoluteTimeoutSeconds: 31 * 86400 }],
      ['reuse leeway above 10 s', { refreshReuseLeewaySeconds: 30 }],
      ['access token TTL below the usable minimum', { accessTokenTtlSeconds: 10 }],
      ['negative leeway', { refreshReuseLeewaySeconds: -1 }],
      ['idle longer than absolute', { idleTimeoutSeconds: 2 * 86400, absoluteTimeoutSeconds: 86400 }],
      ['an MFA age without MFA', { mfaMaxAgeSeconds: 3600 }],
      ['one field tighter, one looser', { accessTokenTtlSeconds: 120, idleTimeoutSeconds: 8 * 86400 }],
    ],
    CONFIDENTIAL: [
      ['mfaRequired false', { mfaRequired: false }],
      ['dedicatedSigningKey false', { dedicatedSigningKey: false }],
      ['access token TTL of STANDARD', { accessTokenTtlSeconds: 900 }],
      ['MFA age above 12 h', { mfaMaxAgeSeconds: 86400 }],
      ['MFA "at sign-in" without session-per-org', { mfaMaxAgeSeconds: 0 }],
      ['reuse leeway above 2 s', { refreshReuseLeewaySeconds: 5 }],
      ['mfaRequired false with a tightening', { mfaRequired: false, accessTokenTtlSeconds: 120 }],
    ],
    REGULATED: [
      ['isolatedSession false', { isolatedSession: false }],
      ['an MFA age (REGULATED asks for MFA at sign-in)', { mfaMaxAgeSeconds: 60 }],
      ['access token TTL above 2 min', { accessTokenTtlSeconds: 300 }],
      ['idle timeout above 15 min', { idleTimeoutSeconds: 3600 }],
    ],
  };
  for (const tier of ['STANDARD', 'CONFIDENTIAL', 'REGULATED'] as const) {
    test(`${tier}: anything looser than the floor is BAD_USER_INPUT and nothing is stored`, async () => {
      const owner = await newPerson(`loosen-${tier.toLowerCase()}`, tier !== 'STANDARD');
      const orgId = await createOrganization(api, owner.plain, tier);
      const token = (await signInTo(owner, orgId)).accessToken;
      // A tightening first, so "nothing stored" also means "the earlier override survives".
      const tightened = { accessTokenTtlSeconds: 60 };
      ok(await update(token, tightened), 'tighten first');
      const policyBefore = ok(await api.gql(ORG_POLICY, {}, token), 'policy').organization.policy;
      assert.deepEqual(policyBefore, { ...FLOORS[tier], ...tightened });
      const eventsBefore = (await policyEvents(orgId)).length;

      for (const [what, input] of cases[tier]) {
        const r = await update(token, input);
        fails(r, 'BAD_USER_INPUT', `${tier}: ${what}`);
        assert.deepEqual(await storedOverrides(orgId), tightened, `${tier}: ${what} stored something`);
      }
      assert.deepEqual(ok(await api.gql(ORG_POLICY, {}, token), 'policy').organization.policy, policyBefore);
      assert.equal((await policyEvents(orgId)).length, eventsBefore);
    });
  }
});

describe('mfaFresh', () => {
  test("a CONFIDENTIAL org's ADMIN needs MFA within 12 h to change the policy", async () => {
    const owner = await newPerson('fresh-owner', true);
    const conf = await createOrganization(api, owner.plain, 'CONFIDENTIAL');
    const ownerToken = (await signInTo(owner, conf)).accessToken;
    const admin = await newPerson('fresh-admin', true);
    await join(admin, conf, 'ADMIN', ownerToken);
    const signedIn = await signInTo(admin, conf);
    const mfaAt = clock.getTime() - TOTP_STEP_MS; // signInTo moved the clock one step past the MFA

    // 11 h later (kept alive inside the 8 h idle limit): still fresh.
    const at11h = await keepAlive(signedIn.refreshToken, mfaAt + 11 * HOUR - clock.getTime(), 6 * HOUR);
    ok(await update(at11h.accessToken, { accessTokenTtlSeconds: 240 }), 'ADMIN, MFA 11 h old');

    // 12 h and a minute: stale.
    const at12h = await keepAlive(at11h.refreshToken, mfaAt + 12 * HOUR + MINUTE - clock.getTime(), 6 * HOUR);
    const r = await update(at12h.accessToken, { accessTokenTtlSeconds: 180 });
    fails(r, 'MFA_REQUIRED', 'ADMIN, MFA older than 12 h');
    assert.deepEqual(await storedOverrides(conf), { accessTokenTtlSeconds: 240 });
    // Passing MFA again in this session (switchOrganization to the same org with a code) is enough.
    const fresh = ok(await api.gql(SWITCH, { o: conf, c: codeAt(admin.secret!, clock) }, at12h.accessToken), 'fresh MFA').switchOrganization as Payload;
    ok(await update(fresh.accessToken, { accessTokenTtlSeconds: 180 }), 'ADMIN after fresh MFA');
    assert.deepEqual(await storedOverrides(conf), { accessTokenTtlSeconds: 180 });
    assert.equal((await policyEvents(conf)).length, 2);
  });
});

describe('raiseOrganizationTier', () => {
  const RAISE = `mutation($t: SensitivityTier!) { raiseOrganizationTier(tier: $t) { id tier policy { ${POLICY_FIELDS} } } }`;
  const PROJECTS = `{ projects { edges { node { id } } } }`;

  test('STANDARD → CONFIDENTIAL: floors, a dedicated key, the old global-signed token refused; lowering refused', async () => {
    const owner = await newPerson('raise', true);
    const org = await createOrg(api, owner.plain, 'STANDARD');
    const s = await signInTo(owner, org);
    assert.equal(decodeProtectedHeader(s.accessToken).kid, (await api.db.sql(`select id from signing_keys where owner_org_id is null and retired_at is null`))[0].id);
    const raised = ok<any>(await api.gql(RAISE, { t: 'CONFIDENTIAL' }, s.accessToken), 'raise').raiseOrganizationTier;
    assert.equal(raised.tier, 'CONFIDENTIAL');
    assert.deepEqual(raised.policy, FLOORS.CONFIDENTIAL);
    const keys = await api.db.sql(`select id from signing_keys where owner_org_id = $1 and retired_at is null`, [org]);
    assert.equal(keys.length, 1);
    // The token signed by the global key no longer opens the org; a refresh gets one from the org's key.
    fails(await api.gql(PROJECTS, {}, s.accessToken), 'UNAUTHENTICATED', 'global-signed token after the raise');
    advance(MINUTE);
    const r = ok<{ refreshSession: Payload }>(await api.gql(REFRESH, { r: s.refreshToken }), 'refresh').refreshSession;
    assert.equal(decodeProtectedHeader(r.accessToken).kid, keys[0].id);
    const claims = decodeJwt(r.accessToken);
    assert.equal(claims.org_id, org);
    assert.equal(claims.exp! - claims.iat!, 300, 'the session took the CONFIDENTIAL TTL');
    for (const tier of ['CONFIDENTIAL', 'STANDARD']) {
      fails(await api.gql(RAISE, { t: tier }, r.accessToken), 'BAD_USER_INPUT', `to ${tier}`);
    }
    assert.equal((await api.db.sql(`select tier from organizations where id = $1`, [org]))[0].tier, 'CONFIDENTIAL');
    const events = await api.db.sql(`select detail from security_events where org_id = $1 and type = 'ORGANIZATION_TIER_RAISED'`, [org]);
    assert.deepEqual(events.map((e) => e.detail), [{ from: 'STANDARD', to: 'CONFIDENTIAL' }]);
  });

  test('only an OWNER may raise the tier; an ADMIN or MEMBER gets FORBIDDEN and nothing changes', async () => {
    const owner = await newPerson('raise-owner');
    const org = await createOrg(api, owner.plain, 'STANDARD');
    const s = await signInTo(owner, org);
    for (const role of ['ADMIN', 'MEMBER'] as const) {
      const p = await newPerson(`raise-${role.toLowerCase()}`);
      await join(p, org, role, s.accessToken);
      const t = await signInTo(p, org);
      fails(await api.gql(RAISE, { t: 'CONFIDENTIAL' }, t.accessToken), 'FORBIDDEN', role);
    }
    assert.equal((await api.db.sql(`select tier from organizations where id = $1`, [org]))[0].tier, 'STANDARD');
    assert.deepEqual(await api.db.sql(`select id from signing_keys where owner_org_id = $1`, [org]), []);
  });

  test('raising to REGULATED takes the org away from unbound sessions at once, and refresh mints no token for it', async () => {
    const owner = await newPerson('raise-reg', true);
    const org = await createOrg(api, owner.plain, 'STANDARD');
    const s = await signInTo(owner, org);
    const before = await api.gql(`mutation($n: String!) { createProject(name: $n) { id } }`, { n: 'before' }, s.accessToken);
    ok(before, 'createProject before');
    ok(await api.gql(RAISE, { t: 'REGULATED' }, s.accessToken), 'raise to REGULATED');
    advance(MINUTE);
    // The unbound session keeps no access to the org: its refreshed token carries no org.
    const r = ok<{ refreshSession: Payload & { activeOrganization: { id: string } | null } }>(await api.gql(REFRESH, { r: s.refreshToken }), 'refresh').refreshSession;
    assert.equal(r.activeOrganization, null);
    assert.equal(decodeJwt(r.accessToken).org_id, undefined);
    fails(await api.gql(PROJECTS, {}, r.accessToken), 'FORBIDDEN', 'no org after the raise');
    // A bound sign-in with MFA is the way in.
    const bound = await signInTo(owner, org);
    assert.equal(decodeJwt(bound.accessToken).org_id, org);
    assert.equal(ok<any>(await api.gql(PROJECTS, {}, bound.accessToken), 'projects, bound').projects.edges.length, 1);
  });
});
