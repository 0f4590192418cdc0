/**
 * Agent delegation (issue 7): delegateToAgent mints a down-scoped, short-lived token with an `act`
 * claim (RFC 8693 section 4.1) bound to the user's device session. It cannot escalate (more scope
 * than the user's role, longer than the policy, another org), it dies with the user's session, and
 * what it does is audited with both identities.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { createTenant, signIn, signUp, type Tenant } from '../support/tenants.ts';

let api: TestApi;
let a: Tenant;
let b: Tenant;
let member: { accessToken: string; sessionId: string; userId: string };
before(async () => {
  api = await startTestApi();
  a = await createTenant(api, 'dg-a');
  b = await createTenant(api, 'dg-b');
  const inv = await api.gql(`mutation($e: String!) { inviteMember(email: $e, role: MEMBER) { token } }`, { e: 'member.dg-a@example.test' }, a.token);
  assert.equal(inv.errors, undefined, JSON.stringify(inv.errors));
  const userId = await signUp(api, 'member.dg-a@example.test');
  const loose = await signIn(api, 'member.dg-a@example.test');
  const acc = await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: inv.data.inviteMember.token }, loose.accessToken);
  assert.equal(acc.errors, undefined, JSON.stringify(acc.errors));
  member = { ...(await signIn(api, 'member.dg-a@example.test', a.orgId)), userId };
});
after(async () => {
  await api?.close();
});

const DELEGATE = `mutation($n: String!, $s: [String!]!, $t: Int!) { delegateToAgent(agentName: $n, scopes: $s, ttlSeconds: $t) { accessToken expiresAt } }`;
const PROJECTS = `{ projects { edges { node { id name } } } }`;

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}
function fails(r: GqlResult, code: string, what: string): void {
  assert.equal(errorCode(r), code, `${what}: ${JSON.stringify(r.errors ?? r.data)}`);
}
async function delegate(token: string, scopes: string[], ttl = 60, name = 'helper'): Promise<string> {
  return ok(await api.gql(DELEGATE, { n: name, s: scopes, t: ttl }, token), 'delegateToAgent').delegateToAgent.accessToken;
}

describe('agent delegation', () => {
  test('the token: act claim, down-scoped, bound to the session, same org', async () => {
    const session = await signIn(api, a.email, a.orgId);
    const t = await delegate(session.accessToken, ['projects:read'], 120, 'summarizer');
    const claims = decodeJwt(t);
    assert.deepEqual(claims.act, { sub: 'agent:summarizer' });
    assert.equal(claims.sub, a.userId);
    assert.equal(claims.sid, session.sessionId);
    assert.equal(claims.org_id, a.orgId);
    assert.equal(claims.scope, 'projects:read');
    assert.equal(claims.exp! - claims.iat!, 120);
    const read = ok(await api.gql(PROJECTS, {}, t), 'agent reads');
    assert.ok(JSON.stringify(read).includes(a.marker));
    fails(await api.gql(`mutation { createProject(name: "agent") { id } }`, {}, t), 'FORBIDDEN', 'write without projects:write');
    fails(await api.gql(`{ auditEvents { edges { node { id } } } }`, {}, t), 'FORBIDDEN', 'audit without audit:read');
    const writer = await delegate(session.accessToken, ['projects:read', 'projects:write']);
    ok(await api.gql(`mutation { createProject(name: "written by an agent") { id } }`, {}, writer), 'agent writes');
  });

  test('an agent never acts as a person: no switching, sessions, members, service accounts or further delegation', async () => {
    const t = await delegate(a.token, ['projects:read', 'projects:write', 'audit:read']);
    for (const [what, query, variables] of [
      ['switchOrganization', `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`, { o: b.orgId }],
      ['createServiceAccount', `mutation { createServiceAccount(name: "x", scopes: ["projects:read"]) { clientSecret } }`, {}],
      ['delegateToAgent', DELEGATE, { n: 'sub', s: ['projects:read'], t: 30 }],
      ['inviteMember', `mutation { inviteMember(email: "x@example.test") { token } }`, {}],
      ['revokeAllSessions', `mutation { revokeAllSessions }`, {}],
      ['signOut', `mutation { signOut }`, {}],
      ['viewer', `{ viewer { user { id } } }`, {}],
    ] as const) {
      fails(await api.gql(query, variables as Record<string, unknown>, t), 'FORBIDDEN', what);
    }
  });

  test('delegation cannot escalate: more scope than the role, longer than the policy, another org', async () => {
    fails(await api.gql(DELEGATE, { n: 'x', s: ['audit:read'], t: 60 }, member.accessToken), 'FORBIDDEN', 'a MEMBER grants audit:read');
    fails(await api.gql(DELEGATE, { n: 'x', s: ['projects:admin'], t: 60 }, a.token), 'BAD_USER_INPUT', 'an unknown scope');
    fails(await api.gql(DELEGATE, { n: 'x', s: ['projects:read'], t: 901 }, a.token), 'BAD_USER_INPUT', 'longer than the STANDARD TTL');
    fails(await api.gql(DELEGATE, { n: 'x', s: ['projects:read'], t: 0 }, a.token), 'BAD_USER_INPUT', 'zero TTL');
    fails(await api.gql(DELEGATE, { n: 'bad name!', s: ['projects:read'], t: 60 }, a.token), 'BAD_USER_INPUT', 'a bad agent name');
    // A tighter org policy caps it.
    ok(await api.gql(`mutation { updateSessionPolicy(input: { accessTokenTtlSeconds: 120 }) { id } }`, {}, b.token), 'tighten B');
    const bToken = (await signIn(api, b.email, b.orgId)).accessToken;
    fails(await api.gql(DELEGATE, { n: 'x', s: ['projects:read'], t: 121 }, bToken), 'BAD_USER_INPUT', "longer than B's policy");
    ok(await api.gql(DELEGATE, { n: 'x', s: ['projects:read'], t: 120 }, bToken), "within B's policy");
    // Without an active org there is nothing to delegate.
    const loose = await signIn(api, a.email);
    fails(await api.gql(DELEGATE, { n: 'x', s: ['projects:read'], t: 60 }, loose.accessToken), 'FORBIDDEN', 'no organization');
    // The agent's token serves A only: B's rows stay out of reach.
    const t = await delegate(a.token, ['projects:read', 'projects:write']);
    const theirs = await api.gql(`query($id: ID!) { project(id: $id) { id name } }`, { id: b.projectId }, t);
    assert.equal(theirs.data?.project ?? null, null);
    assert.ok(!JSON.stringify(theirs).includes(b.marker));
    const list = ok(await api.gql(PROJECTS, {}, t), 'list');
    assert.ok(!JSON.stringify(list).includes(b.marker));
  });

  test("a demoted user's agent loses what the new role lacks", async () => {
    const inv = await api.gql(`mutation($e: String!) { inviteMember(email: $e, role: ADMIN) { token } }`, { e: 'admin.dg-a@example.test' }, a.token);
    const adminId = await signUp(api, 'admin.dg-a@example.test');
    const loose = await signIn(api, 'admin.dg-a@example.test');
    ok(await api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: inv.data.inviteMember.token }, loose.accessToken), 'accept');
    const admin = await signIn(api, 'admin.dg-a@example.test', a.orgId);
    const t = await delegate(admin.accessToken, ['audit:read']);
    ok(await api.gql(`{ auditEvents(first: 1) { edges { node { id } } } }`, {}, t), 'audit as ADMIN');
    ok(await api.gql(`mutation($u: ID!) { removeMember(userId: $u) }`, { u: adminId }, a.token), 'remove');
    fails(await api.gql(`{ auditEvents(first: 1) { edges { node { id } } } }`, {}, t), 'FORBIDDEN', 'after removal');
  });

  test("the agent's token dies with the user's session", async () => {
    const session = await signIn(api, a.email, a.orgId);
    const t = await delegate(session.accessToken, ['projects:read']);
    ok(await api.gql(PROJECTS, {}, t), 'before');
    ok(await api.gql(`mutation { signOut }`, {}, session.accessToken), 'signOut');
    fails(await api.gql(PROJECTS, {}, t), 'SESSION_REVOKED', 'after signOut');
  });

  test('audited with both identities', async () => {
    const session = await signIn(api, a.email, a.orgId);
    const t = await delegate(session.accessToken, ['projects:read'], 60, 'auditor');
    const delegated = await api.db.sql<{ user_id: string; session_id: string; detail: any }>(
      `select user_id, session_id, detail from security_events where type = 'AGENT_DELEGATED' and detail->>'agent' = 'agent:auditor'`,
    );
    assert.deepEqual(delegated.map((e) => [e.user_id, e.session_id, e.detail.scopes]), [[a.userId, session.sessionId, ['projects:read']]]);
    // A cross-tenant attempt by the agent is recorded in B's trail, naming A's user and the agent for the operator.
    await api.gql(`query($id: ID!) { project(id: $id) { id } }`, { id: b.projectId }, t);
    await api.server.services.deferred.idle();
    const rows = await api.db.sql<{ org_id: string; detail: any }>(`select org_id, detail from security_events where type = 'CROSS_TENANT_ACCESS_DENIED' and detail->>'actor_agent' = 'agent:auditor'`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.org_id, b.orgId);
    assert.equal(rows[0]!.detail.fromUserId, a.userId);
    assert.equal(rows[0]!.detail.fromOrganizationId, a.orgId);
  });
});
