/**
 * Dedicated signing keys (issue 4): a CONFIDENTIAL org's tokens are signed by its own key and only by
 * it (forgeries with the real global key or another org's key are refused), rotateSigningKey, JWKS,
 * and the security event of a rotation. The API runs on an injected clock the tests move by hand.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { open } from '../../src/platform/crypto/envelope.ts';
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

const ROTATE = `mutation { rotateSigningKey }`;
const REFRESH = `mutation($r: String!) { refreshSession(refreshToken: $r) { ${AUTH_PAYLOAD} } }`;
const VIEWER = `{ viewer { user { id } activeOrganization { id } } }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;

interface Payload {
  accessToken: string;
  refreshToken: string;
  session: { id: string };
}
interface Person {
  readonly userId: string;
  readonly email: string;
  readonly plain: string;
  readonly secret: string;
}

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}
function fails(r: GqlResult, code: string, what: string): void {
  assert.equal(errorCode(r), code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
  assert.ok(r.data == null, `${what}: data ${JSON.stringify(r.data)}`);
}

/** A user with TOTP enrolled (the step of the enrollment code is spent: the clock moves on). */
async function enrolledPerson(label: string): Promise<Person> {
  const email = `${label}-${randomUUID()}@example.test`;
  const userId = await signUp(api, email);
  const plain = ok<{ signIn: Payload }>(await signInRaw(api, email), 'signIn').signIn.accessToken;
  const secret = await enrollTotp(api, plain, clock);
  nextStep();
  return { userId, email, plain, secret };
}

/** signIn to `orgId` with a fresh code (then moves the clock to the next step). */
async function signInTo(p: Person, orgId: string): Promise<Payload> {
  const r = ok<{ signIn: Payload }>(await signInRaw(api, p.email, { organizationId: orgId, mfaCode: codeAt(p.secret, clock) }), `signIn ${orgId}`).signIn;
  nextStep();
  return r;
}

/** createOrganization; a dedicated key is created with the org and verifies on this instance at once. */
async function createOrganization(token: string, tier: Tier): Promise<string> {
  const id = await createOrg(api, token, tier);
  return id;
}

interface KeyRow {
  id: string;
  owner_org_id: string | null;
  retired_at: Date | null;
  verify_until: Date | null;
  private_jwk_sealed: string;
}
async function keyRows(where: string, params: unknown[]): Promise<KeyRow[]> {
  return api.db.sql<KeyRow>(`select id, owner_org_id, retired_at, verify_until, private_jwk_sealed from signing_keys where ${where} order by created_at, id`, params);
}
async function activeKid(orgId: string | null): Promise<string> {
  const rows = orgId ? await keyRows(`owner_org_id = $1 and retired_at is null`, [orgId]) : await keyRows(`owner_org_id is null and retired_at is null`, []);
  assert.equal(rows.length, 1);
  return rows[0]!.id;
}

/** Signs `claims` with the real private key of `kid`, read from the database and opened with the KEK. */
async function forge(claims: JWTPayload, kid: string): Promise<string> {
  const [row] = await keyRows(`id = $1`, [kid]);
  assert.ok(row, `no key ${kid}`);
  const jwk = JSON.parse(open(api.server.services.config.kek, row.private_jwk_sealed, `signing-key:${kid}`).toString('utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  return new SignJWT({ ...claims, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(key);
}

async function jwksKids(): Promise<string[]> {
  const res = await fetch(new URL('/.well-known/jwks.json', api.server.url));
  assert.equal(res.status, 200);
  const body = (await res.json()) as { keys: JWK[] };
  for (const k of body.keys) {
    assert.equal(k.use, 'sig');
    assert.equal(k.alg, 'ES256');
    assert.ok(!('d' in k), 'private part in JWKS');
  }
  return body.keys.map((k) => k.kid!);
}

async function worksFor(token: string, orgId: string, what: string): Promise<void> {
  const v = ok(await api.gql(VIEWER, {}, token), what).viewer;
  assert.equal(v.activeOrganization?.id, orgId, what);
}

describe('dedicated key binding', () => {
  let owner: Person;
  let confA: string;
  let confB: string;
  let std: string;
  before(async () => {
    owner = await enrolledPerson('binding');
    confA = await createOrganization(owner.plain, 'CONFIDENTIAL');
    confB = await createOrganization(owner.plain, 'CONFIDENTIAL');
    std = await createOrganization(owner.plain, 'STANDARD');
  });

  test('a CONFIDENTIAL org gets its own key at creation, and its tokens are signed with it', async () => {
    const kidA = await activeKid(confA);
    const kidB = await activeKid(confB);
    assert.equal(new Set([kidA, kidB, await activeKid(null)]).size, 3);
    assert.deepEqual(await keyRows(`owner_org_id = $1`, [std]), [], 'a STANDARD org has no key of its own');
    const a = await signInTo(owner, confA);
    assert.equal(decodeProtectedHeader(a.accessToken).kid, kidA);
    const s = await signInTo(owner, std);
    assert.equal(decodeProtectedHeader(s.accessToken).kid, await activeKid(null));
  });

  test('forged with the real global key, or with another org’s key, a token for a CONFIDENTIAL org is refused', async () => {
    const real = (await signInTo(owner, confA)).accessToken;
    const claims = decodeJwt(real);
    await worksFor(real, confA, 'the real token');

    // Sanity: the forging construction itself yields accepted tokens when the key is the right one.
    await worksFor(await forge(claims, await activeKid(confA)), confA, "forged with the org's own key");
    const stdClaims = decodeJwt((await signInTo(owner, std)).accessToken);
    await worksFor(await forge(stdClaims, await activeKid(null)), std, 'global key, STANDARD org');

    const refused: [string, string][] = [
      ['global key, CONFIDENTIAL org', await forge(claims, await activeKid(null))],
      ["org B's key, org A's claims", await forge(claims, await activeKid(confB))],
      ["org A's key, a STANDARD org's claims", await forge(stdClaims, await activeKid(confA))],
      ["org A's key, no org at all", await forge({ ...claims, org_id: undefined, tier: undefined, role: undefined }, await activeKid(confA))],
    ];
    for (const [what, token] of refused) {
      for (const query of [VIEWER, PROJECTS]) fails(await api.gql(query, {}, token), 'UNAUTHENTICATED', what);
    }
  });
});

describe('rotateSigningKey', () => {
  test('a new key signs from now on; the old one verifies its tokens until they expire, then leaves JWKS', async () => {
    const owner = await enrolledPerson('rotate');
    const conf = await createOrganization(owner.plain, 'CONFIDENTIAL');
    const k0 = await activeKid(conf);
    const s = await signInTo(owner, conf);
    const t0 = s.accessToken;
    assert.equal(decodeProtectedHeader(t0).kid, k0);
    const issuedAt = decodeJwt(t0).iat! * 1000;

    const rotatedAt = clock;
    const k1 = ok(await api.gql(ROTATE, {}, t0), 'rotate').rotateSigningKey as string;
    assert.notEqual(k1, k0);
    assert.equal(await activeKid(conf), k1);
    const [old] = await keyRows(`id = $1`, [k0]);
    assert.equal(old!.retired_at?.getTime(), rotatedAt.getTime());
    const verifyUntil = old!.verify_until!.getTime();
    assert.ok(verifyUntil >= issuedAt + 300 * SECOND, 'the old key must outlive the tokens it signed');
    const [event] = await api.db.sql(`select org_id, user_id, session_id, detail from security_events where type = 'SIGNING_KEY_ROTATED' and org_id = $1`, [conf]);
    assert.deepEqual(event, { org_id: conf, user_id: owner.userId, session_id: s.session.id, detail: { retired: k0, active: k1 } });

    // Tokens signed before the rotation keep working.
    await worksFor(t0, conf, 'pre-rotation token');
    // New tokens use the new key.
    const r = ok(await api.gql(REFRESH, { r: s.refreshToken }), 'refresh').refreshSession as Payload;
    assert.equal(decodeProtectedHeader(r.accessToken).kid, k1);
    await worksFor(r.accessToken, conf, 'post-rotation token');
    const both = await jwksKids();
    assert.ok(both.includes(k0) && both.includes(k1), JSON.stringify(both));

    // The retired key signs nothing new: a token it "issued" after its retirement is refused, while
    // the same forgery with the new key passes.
    advance(10 * SECOND);
    const fresh = { ...decodeJwt(r.accessToken), iat: Math.floor(clock.getTime() / 1000), exp: Math.floor(clock.getTime() / 1000) + 300 };
    fails(await api.gql(VIEWER, {}, await forge(fresh, k0)), 'UNAUTHENTICATED', 'signed by the retired key after its retirement');
    await worksFor(await forge(fresh, k1), conf, 'same claims, new key');

    // Until it expires (300 s + the verifier's 5 s tolerance).
    clock = new Date(issuedAt + 299 * SECOND);
    await worksFor(t0, conf, 'pre-rotation token at 299 s');
    clock = new Date(issuedAt + 306 * SECOND);
    fails(await api.gql(VIEWER, {}, t0), 'UNAUTHENTICATED', 'pre-rotation token after expiry');

    // Past verify_until the old key leaves JWKS; the new one stays.
    clock = new Date(verifyUntil - SECOND);
    assert.ok((await jwksKids()).includes(k0), 'old key dropped before verify_until');
    clock = new Date(verifyUntil + SECOND);
    const later = await jwksKids();
    assert.ok(!later.includes(k0), JSON.stringify(later));
    assert.ok(later.includes(k1), JSON.stringify(later));
    assert.ok(later.includes(await activeKid(null)), 'the global key stays');
  });

  test('only an OWNER with fresh MFA, of an org with a dedicated key, may rotate', async () => {
    const owner = await enrolledPerson('rot-owner');
    const conf = await createOrganization(owner.plain, 'CONFIDENTIAL');
    const std = await createOrganization(owner.plain, 'STANDARD');
    const ownerSession = await signInTo(owner, conf);
    const k0 = await activeKid(conf);

    const members: Record<'ADMIN' | 'MEMBER', string> = { ADMIN: '', MEMBER: '' };
    for (const role of ['ADMIN', 'MEMBER'] as const) {
      const p = await enrolledPerson(role.toLowerCase());
      const inv = ok(await api.gql(`mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { token } }`, { e: p.email, r: role }, ownerSession.accessToken), 'invite');
      ok(await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: inv.inviteMember.token }, p.plain), 'accept');
      members[role] = (await signInTo(p, conf)).accessToken;
    }
    fails(await api.gql(ROTATE, {}, members.ADMIN), 'FORBIDDEN', 'ADMIN');
    fails(await api.gql(ROTATE, {}, members.MEMBER), 'FORBIDDEN', 'MEMBER');
    fails(await api.gql(ROTATE, {}, owner.plain), 'FORBIDDEN', 'no active organization');
    fails(await api.gql(ROTATE, {}), 'UNAUTHENTICATED', 'anonymous');
    const stdToken = ok<{ signIn: Payload }>(await signInRaw(api, owner.email, { organizationId: std }), 'signIn std').signIn.accessToken;
    fails(await api.gql(ROTATE, {}, stdToken), 'BAD_USER_INPUT', 'STANDARD org (global key)');

    // The owner, with MFA older than 12 h (the session kept alive by refreshes inside the 8 h idle limit).
    let rt = ownerSession.refreshToken;
    let at = '';
    for (const step of [6 * HOUR, 6 * HOUR + MINUTE]) {
      advance(step);
      const r = ok(await api.gql(REFRESH, { r: rt }), 'keep-alive refresh').refreshSession as Payload;
      rt = r.refreshToken;
      at = r.accessToken;
    }
    fails(await api.gql(ROTATE, {}, at), 'MFA_REQUIRED', 'OWNER with MFA older than 12 h');
    assert.equal(await activeKid(conf), k0, 'nothing rotated');
    assert.deepEqual(await api.db.sql(`select 1 from security_events where type = 'SIGNING_KEY_ROTATED' and org_id = $1`, [conf]), []);

    // Passing MFA again (switchOrganization to the same org with a code) makes it fresh.
    const again = ok(await api.gql(`mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`, { o: conf, c: codeAt(owner.secret, clock) }, at), 'fresh MFA');
    const k1 = ok(await api.gql(ROTATE, {}, again.switchOrganization.accessToken), 'rotate with fresh MFA').rotateSigningKey;
    assert.equal(await activeKid(conf), k1);
  });
});

describe('KeyRing: keys this instance just created', () => {
  // A token signed by a key created a moment ago (a new CONFIDENTIAL org, a rotation) must verify at
  // once, and JWKS must publish the key as soon as a live token uses it. FAILS today: KeyRing.find
  // reloads on an unknown kid at most once per second of real time and jwks() at most every 30 s, and
  // nothing adds a key this instance created. The explicit reload() first makes the timing deterministic.
  test("a new CONFIDENTIAL org's first token works immediately and its key is in JWKS", async () => {
    const owner = await enrolledPerson('fresh-key');
    await api.server.services.keys.reload();
    const conf = await createOrg(api, owner.plain, 'CONFIDENTIAL');
    const s = await signInTo(owner, conf);
    const kid = decodeProtectedHeader(s.accessToken).kid!;
    assert.equal(kid, await activeKid(conf));
    const r = await api.gql(VIEWER, {}, s.accessToken);
    assert.equal(r.errors, undefined, `first token of a brand-new org key: ${JSON.stringify(r.errors)}`);
    assert.ok((await jwksKids()).includes(kid), 'the new key is not in JWKS while a live token uses it');
  });

  test('after rotateSigningKey the first token with the new key works immediately and the key is in JWKS', async () => {
    const owner = await enrolledPerson('fresh-rotation');
    const conf = await createOrganization(owner.plain, 'CONFIDENTIAL');
    const s = await signInTo(owner, conf);
    await worksFor(s.accessToken, conf, 'before rotation');
    await api.server.services.keys.reload();
    const k1 = ok(await api.gql(ROTATE, {}, s.accessToken), 'rotate').rotateSigningKey;
    const r = ok(await api.gql(REFRESH, { r: s.refreshToken }), 'refresh').refreshSession as Payload;
    assert.equal(decodeProtectedHeader(r.accessToken).kid, k1);
    const v = await api.gql(VIEWER, {}, r.accessToken);
    assert.equal(v.errors, undefined, `first token of the rotated-in key: ${JSON.stringify(v.errors)}`);
    assert.ok((await jwksKids()).includes(k1), 'the new key is not in JWKS while a live token uses it');
  });
});

describe('operator rotation (npm run keys:rotate)', () => {
  const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
  test('rotates an org key out of band; tokens of the old key keep working', async () => {
    assert.ok(scripts['keys:rotate'], 'package.json has no "keys:rotate" script');
    const owner = await enrolledPerson('operator');
    const conf = await createOrganization(owner.plain, 'CONFIDENTIAL');
    const s = await signInTo(owner, conf);
    const k0 = await activeKid(conf);
    const run = spawnSync('npm', ['run', '--silent', 'keys:rotate', '--', '--org', conf], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, DATABASE_URL: api.db.ownerUrl, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const k1 = await activeKid(conf);
    assert.notEqual(k1, k0);
    assert.ok(run.stdout.includes(k1), run.stdout);
    const [event] = await api.db.sql(`select user_id, detail from security_events where type = 'SIGNING_KEY_ROTATED' and org_id = $1`, [conf]);
    assert.deepEqual(event, { user_id: null, detail: { retired: k0, active: k1, by: 'operator' } });
    await api.server.services.keys.reload();
    await worksFor(s.accessToken, conf, 'token of the retired key');
    const r = ok(await api.gql(REFRESH, { r: s.refreshToken }), 'refresh').refreshSession as Payload;
    assert.equal(decodeProtectedHeader(r.accessToken).kid, k1);
    await worksFor(r.accessToken, conf, 'token of the new key');
  });
});
