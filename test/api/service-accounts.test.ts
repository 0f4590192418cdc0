/**
 * Service accounts and the client credentials grant (issue 7): a service account of org A cannot read
 * org B; scopes narrow what it can do and it never acts as a person; secret rotation keeps the old
 * secret for the grace period only; revocation ends its tokens at the next request; the token
 * endpoint answers OAuth's error shapes. The API runs on a clock the tests move by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { createTenant, signIn, signUp, type Tenant } from '../support/tenants.ts';
import { activeKid } from '../support/tokens.ts';

let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));

let api: TestApi;
let a: Tenant;
let b: Tenant;
let memberToken: string;
before(async () => {
  api = await startTestApi({ now: () => clock });
  a = await createTenant(api, 'sa-a');
  b = await createTenant(api, 'sa-b');
  const inv = await api.gql(`mutation($e: String!) { inviteMember(email: $e, role: MEMBER) { token } }`, { e: 'member.sa-a@example.test' }, a.token);
  assert.equal(inv.errors, undefined, JSON.stringify(inv.errors));
  await signUp(api, 'member.sa-a@example.test');
  const loose = await signIn(api, 'member.sa-a@example.test');
  const acc = await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: inv.data.inviteMember.token }, loose.accessToken);
  assert.equal(acc.errors, undefined, JSON.stringify(acc.errors));
  memberToken = (await signIn(api, 'member.sa-a@example.test', a.orgId)).accessToken;
});
after(async () => {
  await api?.close();
});

const CREATE = `mutation($n: String!, $s: [String!]!) { createServiceAccount(name: $n, scopes: $s) { clientId clientSecret serviceAccount { id name scopes clientId revokedAt } } }`;
const ROTATE = `mutation($id: ID!) { rotateServiceAccountSecret(id: $id) { clientId clientSecret } }`;
const REVOKE = `mutation($id: ID!) { revokeServiceAccount(id: $id) }`;
const PROJECTS = `{ projects { edges { node { id name } } } }`;

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}
function fails(r: GqlResult, code: string, what: string): void {
  assert.equal(errorCode(r), code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
}

interface Credentials {
  clientId: string;
  clientSecret: string;
  id: string;
}
async function createAccount(token: string, scopes: string[], name = 'robot'): Promise<Credentials> {
  const d = ok(await api.gql(CREATE, { n: name, s: scopes }, token), 'createServiceAccount');
  return { clientId: d.createServiceAccount.clientId, clientSecret: d.createServiceAccount.clientSecret, id: d.createServiceAccount.serviceAccount.id };
}

interface TokenResponse {
  status: number;
  headers: Headers;
  body: any;
}
async function tokenRequest(form: Record<string, string> | string, headers: Record<string, string> = {}): Promise<TokenResponse> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  const res = await fetch(`${api.server.url.replace(/\/graphql$/, '')}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

async function accessToken(c: Credentials, scope?: string): Promise<string> {
  const r = await tokenRequest({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, basic(c.clientId, c.clientSecret));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token;
}

describe('service accounts', () => {
  test('ADMIN/OWNER only; the secret is shown once and stored hashed; scopes are checked', async () => {
    const c = await createAccount(a.token, ['projects:read']);
    assert.match(c.clientSecret, /^obs_[A-Za-z0-9_-]{43}$/);
    assert.equal(c.clientId, `sa.${a.orgId}.${c.id}`);
    const rows = await api.db.sql<Record<string, unknown>>(`select * from service_accounts where id = $1`, [c.id]);
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(c.clientSecret), 'the secret is not stored');
    const list = ok(await api.gql(`{ serviceAccounts { id clientId } }`, {}, a.token), 'serviceAccounts');
    assert.ok(!JSON.stringify(list).includes(c.clientSecret));
    fails(await api.gql(CREATE, { n: 'x', s: ['projects:read'] }, memberToken), 'FORBIDDEN', 'a MEMBER');
    fails(await api.gql(CREATE, { n: 'x', s: ['projects:admin'] }, a.token), 'BAD_USER_INPUT', 'an unknown scope');
    fails(await api.gql(CREATE, { n: 'x', s: [] }, a.token), 'BAD_USER_INPUT', 'no scope');
    // B's admin cannot see, rotate or revoke A's account.
    assert.deepEqual(ok(await api.gql(`{ serviceAccounts { id } }`, {}, b.token), 'B list').serviceAccounts, []);
    fails(await api.gql(ROTATE, { id: c.id }, b.token), 'NOT_FOUND', "B rotates A's");
    fails(await api.gql(REVOKE, { id: c.id }, b.token), 'NOT_FOUND', "B revokes A's");
  });

  test("the token: the org's key, org_id, sub, scope, client_id, the tier's TTL, no refresh token", async () => {
    const c = await createAccount(a.token, ['projects:read', 'projects:write']);
    const r = await tokenRequest({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(r.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.expires_in, 900);
    assert.equal(r.body.scope, 'projects:read projects:write');
    const claims = decodeJwt(r.body.access_token);
    assert.equal(claims.org_id, a.orgId);
    assert.equal(claims.sub, c.id);
    assert.equal(claims.sid, c.id);
    assert.equal(claims.client_id, c.clientId);
    assert.equal(claims.scope, 'projects:read projects:write');
    assert.equal(claims.role, undefined);
    assert.equal(claims.exp! - claims.iat!, 900);
    assert.equal(decodeProtectedHeader(r.body.access_token).kid, await activeKid(api, null));
  });

  test("a dedicated key signs the service tokens of an org that has one", async () => {
    ok(await api.gql(`mutation { updateSessionPolicy(input: { dedicatedSigningKey: true, accessTokenTtlSeconds: 300 }) { id } }`, {}, b.token), 'policy');
    b = { ...b, token: (await signIn(api, b.email, b.orgId)).accessToken };
    const c = await createAccount(b.token, ['projects:read']);
    const t = await accessToken(c);
    assert.equal(decodeProtectedHeader(t).kid, await activeKid(api, b.orgId));
    assert.equal(decodeJwt(t).exp! - decodeJwt(t).iat!, 300, "the org's effective access-token TTL");
    const projects = ok(await api.gql(PROJECTS, {}, t), 'B projects');
    assert.deepEqual(projects.projects.edges.map((e: any) => e.node.id), [b.projectId]);
  });

  test('a service account of org A cannot read org B', async () => {
    const c = await createAccount(a.token, ['projects:read', 'projects:write', 'audit:read']);
    const t = await accessToken(c);
    const own = ok(await api.gql(PROJECTS, {}, t), 'own projects');
    assert.ok(JSON.stringify(own).includes(a.marker));
    assert.ok(!JSON.stringify(own).includes(b.marker));
    const theirs = await api.gql(`query($id: ID!) { project(id: $id) { id name } }`, { id: b.projectId }, t);
    assert.ok(!JSON.stringify(theirs).includes(b.marker));
    assert.equal(theirs.data?.project ?? null, null);
    const task = await api.gql(`query($id: ID!) { task(id: $id) { id title } }`, { id: b.taskId }, t);
    assert.equal(task.data?.task ?? null, null);
    assert.ok(!JSON.stringify(task).includes(b.marker));
    fails(await api.gql(`mutation($id: ID!) { deleteProject(id: $id) }`, { id: b.projectId }, t), 'NOT_FOUND', "B's project deleted");
    const audit = ok(await api.gql(`{ auditEvents(first: 100) { edges { node { organizationId } } } }`, {}, t), 'audit');
    assert.ok(audit.auditEvents.edges.every((e: any) => e.node.organizationId === a.orgId));
    // The org of the client id is the tenant: A's account id under B's org id is nobody.
    const forged = await tokenRequest({ grant_type: 'client_credentials' }, basic(`sa.${b.orgId}.${c.id}`, c.clientSecret));
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'invalid_client');
    // A token with org_id changed is no longer signed (decideServiceScope also refuses a mismatch).
    const rows = await api.db.sql(`select org_id from service_accounts where id = $1`, [c.id]);
    assert.deepEqual(rows, [{ org_id: a.orgId }]);
  });

  test('scopes narrow what a service token can do, and it never acts as a person', async () => {
    const reader = await accessToken(await createAccount(a.token, ['projects:read']));
    ok(await api.gql(PROJECTS, {}, reader), 'read');
    fails(await api.gql(`mutation { createProject(name: "nope") { id } }`, {}, reader), 'FORBIDDEN', 'write without projects:write');
    fails(await api.gql(`{ auditEvents { edges { node { id } } } }`, {}, reader), 'FORBIDDEN', 'audit without audit:read');

    const full = await createAccount(a.token, ['projects:read', 'projects:write']);
    const narrowed = await accessToken(full, 'projects:read');
    assert.equal(decodeJwt(narrowed).scope, 'projects:read');
    fails(await api.gql(`mutation { createProject(name: "nope") { id } }`, {}, narrowed), 'FORBIDDEN', 'a narrowed token');
    const writer = await accessToken(full);
    ok(await api.gql(`mutation { createProject(name: "made by a robot") { id } }`, {}, writer), 'write with projects:write');
    const wider = await tokenRequest({ grant_type: 'client_credentials', scope: 'projects:read audit:read' }, basic(full.clientId, full.clientSecret));
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');

    for (const [what, query, variables] of [
      ['switchOrganization', `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`, { o: b.orgId }],
      ['switchOrganization (same org)', `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`, { o: a.orgId }],
      ['createServiceAccount', CREATE, { n: 'child', s: ['projects:read'] }],
      ['inviteMember', `mutation { inviteMember(email: "x@example.test") { token } }`, {}],
      ['removeMember', `mutation($u: ID!) { removeMember(userId: $u) }`, { u: a.userId }],
      ['revokeAllSessions', `mutation { revokeAllSessions }`, {}],
      ['sessions', `{ sessions { id } }`, {}],
      ['viewer', `{ viewer { user { id } } }`, {}],
      ['delegateToAgent', `mutation { delegateToAgent(agentName: "x", scopes: ["projects:read"], ttlSeconds: 60) { accessToken } }`, {}],
      ['createOrganization', `mutation { createOrganization(name: "robot org") { id } }`, {}],
    ] as const) {
      fails(await api.gql(query, variables as Record<string, unknown>, writer), 'FORBIDDEN', what);
    }
  });

  test('secret rotation: the old secret works for the grace period only', async () => {
    const c = await createAccount(a.token, ['projects:read']);
    const rotated = ok(await api.gql(ROTATE, { id: c.id }, a.token), 'rotate').rotateServiceAccountSecret;
    assert.equal(rotated.clientId, c.clientId);
    assert.notEqual(rotated.clientSecret, c.clientSecret);
    await accessToken(c); // old, within the grace
    await accessToken({ ...c, clientSecret: rotated.clientSecret });
    advance(60 * 60 * 1000 - 1000);
    await accessToken(c);
    advance(2000);
    const late = await tokenRequest({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    assert.equal(late.status, 401);
    assert.equal(late.body.error, 'invalid_client');
    await accessToken({ ...c, clientSecret: rotated.clientSecret });
    a = { ...a, token: (await signIn(api, a.email, a.orgId)).accessToken };
    b = { ...b, token: (await signIn(api, b.email, b.orgId)).accessToken };
    memberToken = (await signIn(api, 'member.sa-a@example.test', a.orgId)).accessToken;
  });

  test('revocation ends the account and its tokens at the next request', async () => {
    const c = await createAccount(a.token, ['projects:read']);
    const t = await accessToken(c);
    ok(await api.gql(PROJECTS, {}, t), 'before');
    fails(await api.gql(REVOKE, { id: c.id }, memberToken), 'FORBIDDEN', 'a MEMBER revokes');
    assert.equal(ok(await api.gql(REVOKE, { id: c.id }, a.token), 'revoke').revokeServiceAccount, true);
    fails(await api.gql(PROJECTS, {}, t), 'SESSION_REVOKED', 'the next request');
    const again = await tokenRequest({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid_client');
    fails(await api.gql(ROTATE, { id: c.id }, a.token), 'NOT_FOUND', 'rotating a revoked account');
    const events = await api.db.sql<{ type: string }>(`select type from security_events where org_id = $1 and detail->>'service_account_id' = $2 order by at, type`, [a.orgId, c.id]);
    assert.deepEqual(new Set(events.map((e) => e.type)), new Set(['SERVICE_ACCOUNT_CREATED', 'SERVICE_TOKEN_ISSUED', 'SERVICE_ACCOUNT_REVOKED']));
  });

  test("the token endpoint's error shapes", async () => {
    const c = await createAccount(a.token, ['projects:read']);
    const expect = async (r: Promise<TokenResponse>, status: number, error: string, what: string) => {
      const res = await r;
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error, what);
      assert.equal(typeof res.body.error_description, 'string', what);
      assert.equal(res.headers.get('cache-control'), 'no-store', what);
      assert.equal(res.body.access_token, undefined, what);
      return res;
    };
    await expect(tokenRequest({ client_id: c.clientId, client_secret: c.clientSecret }), 400, 'invalid_request', 'no grant_type');
    await expect(tokenRequest({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret }), 400, 'unsupported_grant_type', 'password grant');
    await expect(tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, basic(c.clientId, c.clientSecret)), 400, 'unsupported_grant_type', 'refresh grant');
    await expect(tokenRequest('grant_type=client_credentials&grant_type=client_credentials', basic(c.clientId, c.clientSecret)), 400, 'invalid_request', 'a repeated parameter');
    const jsonBody = await fetch(`${api.server.url.replace(/\/graphql$/, '')}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
    assert.equal(jsonBody.status, 400);
    assert.equal(((await jsonBody.json()) as any).error, 'invalid_request');
    await expect(tokenRequest({ grant_type: 'client_credentials' }), 401, 'invalid_client', 'no client authentication');
    const wrong = await expect(tokenRequest({ grant_type: 'client_credentials' }, basic(c.clientId, `obs_${'A'.repeat(43)}`)), 401, 'invalid_client', 'a wrong secret (Basic)');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
    await expect(tokenRequest({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'short' }), 401, 'invalid_client', 'a malformed secret (body)');
    await expect(tokenRequest({ grant_type: 'client_credentials', client_id: 'orgbound', client_secret: c.clientSecret }), 401, 'invalid_client', 'an unknown client id');
    await expect(tokenRequest({ grant_type: 'client_credentials', client_secret: c.clientSecret }, basic(c.clientId, c.clientSecret)), 400, 'invalid_request', 'two authentication methods');
    await expect(tokenRequest({ grant_type: 'client_credentials', scope: 'projects:write' }, basic(c.clientId, c.clientSecret)), 400, 'invalid_scope', 'a scope the account lacks');
    await expect(tokenRequest({ grant_type: 'client_credentials', scope: 'root' }, basic(c.clientId, c.clientSecret)), 400, 'invalid_scope', 'an unknown scope');
    // A service token is no refresh token, and GraphQL's refreshSession knows nothing of it.
    const t = await accessToken(c);
    fails(await api.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }`, { r: t }), 'UNAUTHENTICATED', 'refresh with an access token');
  });
});

describe('token endpoint rate limit', () => {
  test('attempts are limited per client id', async () => {
    const limited = await startTestApi({ env: { RATE_LIMIT_TOKEN_PER_CLIENT: '3/60' } });
    try {
      const t = await createTenant(limited, 'sa-rl');
      const d = ok(await limited.gql(CREATE, { n: 'robot', s: ['projects:read'] }, t.token), 'create');
      const { clientId, clientSecret } = d.createServiceAccount;
      const url = `${limited.server.url.replace(/\/graphql$/, '')}/oauth/token`;
      const post = (secret: string) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString() });
      const statuses: number[] = [];
      for (const secret of [`obs_${'B'.repeat(43)}`, `obs_${'C'.repeat(43)}`, clientSecret, clientSecret]) statuses.push((await post(secret)).status);
      assert.deepEqual(statuses, [401, 401, 200, 429]);
      const last = await post(clientSecret);
      assert.equal(last.status, 429);
      assert.equal(((await last.json()) as any).error, 'slow_down');
    } finally {
      await limited.close();
    }
  });
});
