/**
 * The audit trail (issue 6 items 1-2): auditEvents for an org's ADMIN/OWNER, viewer.securityEvents,
 * and cross-tenant attempt detection (an event for the probed org, a metric, and an answer, a trail
 * and a request path identical to a miss for the prober).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestApi, errorCode, type TestApi } from '../support/harness.ts';
import { codeAt, enrollTotp, TOTP_STEP_MS, wrongCodeAt } from '../support/mfa.ts';
import { parseSamples, valueOf } from '../support/prometheus.ts';
import { StatementRecorder } from '../support/statements.ts';
import { createTenant, PASSWORD, signIn, signUp, type Tenant } from '../support/tenants.ts';

let api: TestApi;
let t = Date.parse('2026-12-01T09:00:00Z');
/** Moves the API's clock: events of later steps are newer. */
const tick = (ms = 1000) => {
  t += ms;
};
let a: Tenant;
let b: Tenant;
let member: { userId: string; email: string; token: string };

interface Ev {
  id: string;
  type: string;
  at: string;
  actorId: string | null;
  sessionId: string | null;
  organizationId: string | null;
  detail: Record<string, unknown>;
}
const NODE = 'id type at actorId sessionId organizationId detail';

async function gqlOk(query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const r = await api.gql(query, variables, token);
  assert.equal(r.errors, undefined, `${query}: ${JSON.stringify(r.errors)}`);
  return r.data;
}

async function auditEvents(token: string, args: { first?: number; after?: string; type?: string } = {}) {
  const r = await api.gql(
    `query($f: Int, $a: String, $t: String) { auditEvents(first: $f, after: $a, type: $t) { edges { cursor node { ${NODE} } } pageInfo { hasNextPage endCursor } } }`,
    { f: args.first ?? 100, a: args.after ?? null, t: args.type ?? null },
    token,
  );
  return r;
}

async function allAuditEvents(token: string): Promise<Ev[]> {
  const r = await auditEvents(token);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.auditEvents.edges.map((e: { node: Ev }) => e.node);
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const res = await fetch(api.server.url.replace('/graphql', '/metrics'));
  return valueOf(parseSamples(await res.text()), name, labels);
}

before(async () => {
  api = await startTestApi({ now: () => new Date(t) });
  a = await createTenant(api, 'a');
  b = await createTenant(api, 'b');
  // A member of A who joined by invitation.
  const email = `member-${randomUUID()}@example.test`;
  const userId = await signUp(api, email);
  tick();
  const invited = await gqlOk(`mutation($e: String!) { inviteMember(email: $e) { token } }`, { e: email }, a.token);
  tick();
  const noOrg = await signIn(api, email);
  await gqlOk(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: invited.inviteMember.token }, noOrg.accessToken);
  tick();
  member = { userId, email, token: (await signIn(api, email, a.orgId)).accessToken };
});
after(async () => {
  await api?.close();
});

describe('auditEvents', () => {
  test('FORBIDDEN for a MEMBER; without an org it is FORBIDDEN too', async () => {
    assert.equal(errorCode(await auditEvents(member.token)), 'FORBIDDEN');
    const noOrg = await signIn(api, member.email);
    assert.equal(errorCode(await auditEvents(noOrg.accessToken)), 'FORBIDDEN');
  });

  test('sign-ins, invitations and joins appear for their org only', async () => {
    const events = await allAuditEvents(a.token);
    assert.ok(events.every((e) => e.organizationId === a.orgId));
    const types = new Set(events.map((e) => e.type));
    for (const type of ['SIGN_IN_SUCCEEDED', 'MEMBER_INVITED', 'MEMBER_JOINED']) assert.ok(types.has(type), `${type} missing: ${[...types]}`);
    const joined = events.find((e) => e.type === 'MEMBER_JOINED')!;
    assert.equal(joined.actorId, member.userId);
    assert.equal(joined.detail.role, 'MEMBER');
    const invited = events.find((e) => e.type === 'MEMBER_INVITED')!;
    assert.equal(invited.actorId, a.userId);
    assert.ok(!JSON.stringify(invited).includes(member.email), 'the invitee email is in the event');
    assert.ok(events.some((e) => e.type === 'SIGN_IN_SUCCEEDED' && e.actorId === member.userId));
  });

  test('org switches into the org, MFA passed and failed, policy changes and key rotations', async () => {
    tick(TOTP_STEP_MS);
    const noOrg = await signIn(api, a.email);
    const secret = await enrollTotp(api, noOrg.accessToken, new Date(t));
    tick(TOTP_STEP_MS);
    const wrong = await api.gql(`mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`, { o: a.orgId, c: wrongCodeAt(secret, new Date(t)) }, noOrg.accessToken);
    assert.equal(errorCode(wrong), 'MFA_REQUIRED');
    tick();
    const switched = await gqlOk(`mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken } }`, { o: a.orgId, c: codeAt(secret, new Date(t)) }, noOrg.accessToken);
    const token = switched.switchOrganization.accessToken;
    tick();
    await gqlOk(`mutation { updateSessionPolicy(input: { dedicatedSigningKey: true }) { id } }`, {}, token);
    tick();
    // The org now signs with its own key: sign in again for a token it verifies.
    const owner = await signIn(api, a.email, a.orgId);
    tick();
    await gqlOk(`mutation { rotateSigningKey }`, {}, owner.accessToken);

    const events = await allAuditEvents(owner.accessToken);
    const types = events.map((e) => e.type);
    for (const type of ['ORGANIZATION_SWITCHED', 'MFA_PASSED', 'MFA_FAILED', 'SESSION_POLICY_UPDATED', 'SIGNING_KEY_ROTATED']) assert.ok(types.includes(type), `${type} missing: ${types}`);
    const sw = events.find((e) => e.type === 'ORGANIZATION_SWITCHED')!;
    assert.equal(sw.sessionId, noOrg.sessionId);
    assert.equal('from' in sw.detail, false, 'the org the session came from is not shown');
    // B's admin sees none of it.
    const bEvents = await allAuditEvents(b.token);
    assert.ok(bEvents.every((e) => e.organizationId === b.orgId));
    const aIds = new Set(events.map((e) => e.id));
    assert.deepEqual(bEvents.filter((e) => aIds.has(e.id)), []);
    assert.deepEqual(bEvents.filter((e) => ['MFA_PASSED', 'MFA_FAILED', 'SIGNING_KEY_ROTATED', 'MEMBER_INVITED'].includes(e.type)), []);
    a = { ...a, token: owner.accessToken };
  });

  test('newest first, paginated by cursor, filtered by type', async () => {
    const all = await allAuditEvents(a.token);
    const times = all.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));
    const seen: Ev[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await auditEvents(a.token, { first: 2, ...(cursor ? { after: cursor } : {}) });
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const page = r.data.auditEvents;
      assert.ok(page.edges.length <= 2);
      seen.push(...page.edges.map((e: { node: Ev }) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      cursor = page.pageInfo.endCursor;
    }
    assert.deepEqual(seen.map((e) => e.id), all.map((e) => e.id));
    const signIns = (await auditEvents(a.token, { type: 'SIGN_IN_SUCCEEDED' })).data.auditEvents.edges.map((e: { node: Ev }) => e.node.type);
    assert.ok(signIns.length >= 2);
    assert.ok(signIns.every((type: string) => type === 'SIGN_IN_SUCCEEDED'));
    assert.equal(errorCode(await auditEvents(a.token, { type: 'NOT_A_TYPE' })), 'BAD_USER_INPUT');
    assert.equal(errorCode(await auditEvents(a.token, { first: 101 })), 'BAD_USER_INPUT');
  });

  test('sessions revoked and members removed', async () => {
    tick();
    assert.equal((await gqlOk(`mutation($u: ID!) { revokeMemberSessions(userId: $u) }`, { u: member.userId }, a.token)).revokeMemberSessions >= 1, true);
    tick();
    await gqlOk(`mutation($u: ID!) { removeMember(userId: $u) }`, { u: member.userId }, a.token);
    tick();
    const extra = await signIn(api, a.email, a.orgId);
    await gqlOk(`mutation { signOut }`, {}, extra.accessToken);
    const events = await allAuditEvents(a.token);
    const types = events.map((e) => e.type);
    for (const type of ['MEMBER_SESSIONS_REVOKED', 'MEMBER_REMOVED', 'SESSION_SIGNED_OUT']) assert.ok(types.includes(type), `${type} missing`);
    assert.equal(events.find((e) => e.type === 'MEMBER_REMOVED')!.actorId, member.userId);
    assert.equal(events.find((e) => e.type === 'MEMBER_REMOVED')!.detail.by, a.userId);
  });
});

describe('cross-tenant attempts', () => {
  const project = `query($id: ID!) { project(id: $id) { id name } }`;
  const update = `mutation($id: ID!) { updateProject(id: $id, name: "x") { id } }`;
  const task = `mutation($id: ID!) { deleteTask(id: $id) }`;

  const crossTenantOf = async (token: string) => (await allAuditEvents(token)).filter((e) => e.type === 'CROSS_TENANT_ACCESS_DENIED');
  /** The victim's event is written after the response: wait for the server's deferred writes. */
  const settled = () => api.server.services.deferred.idle();

  test('another tenant’s id: the answer of a missing id, nothing in the prober’s trail, an event in the probed org’s trail, a metric', async () => {
    await settled();
    const aBefore = await crossTenantOf(a.token);
    const bBefore = await crossTenantOf(b.token);
    const metricBefore = await metric('orgbound_cross_tenant_denied_total', { object: 'Project' });
    const theirs = await api.gql(project, { id: b.projectId }, a.token);
    const missing = await api.gql(project, { id: randomUUID() }, a.token);
    assert.deepEqual(theirs, missing);
    assert.deepEqual(theirs.data, { project: null });
    // Mutations fail and roll back; the event is still recorded.
    const upd = await api.gql(update, { id: b.projectId }, a.token);
    const updMissing = await api.gql(update, { id: randomUUID() }, a.token);
    assert.deepEqual(upd, updMissing);
    assert.equal(errorCode(upd), 'NOT_FOUND');
    const del = await api.gql(task, { id: b.taskId }, a.token);
    assert.deepEqual(del, await api.gql(task, { id: randomUUID() }, a.token));
    await settled();

    // The prober's own trail is the same as after probing ids that exist nowhere (issue 15: no existence oracle).
    assert.deepEqual(await crossTenantOf(a.token), aBefore);
    const bAfter = await crossTenantOf(b.token);
    assert.equal(bAfter.length - bBefore.length, 3);
    const fresh = bAfter.slice(0, 3);
    assert.deepEqual(fresh.map((e) => e.detail.object).sort(), ['Project', 'Project', 'Task']);
    assert.deepEqual(fresh.map((e) => e.detail.objectId).sort(), [b.projectId, b.projectId, b.taskId].sort());
    for (const e of fresh) {
      assert.equal(e.organizationId, b.orgId);
      assert.equal(e.actorId, null);
      const text = JSON.stringify(e);
      for (const secret of [a.orgId, a.userId, a.email]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
    assert.equal(await metric('orgbound_cross_tenant_denied_total', { object: 'Project' }), metricBefore + 2);
    assert.equal(await metric('orgbound_cross_tenant_denied_total', { object: 'Task' }) >= 1, true);
    // Raw rows: stored under B; who probed is there for the operator's export only.
    const rows = await api.db.sql(`select org_id, detail from security_events where type = 'CROSS_TENANT_ACCESS_DENIED'`);
    assert.ok(rows.length >= 3 && rows.every((r: { org_id: string }) => r.org_id === b.orgId));
    assert.ok(rows.every((r: { detail: { fromOrganizationId: string; fromUserId: string } }) => r.detail.fromOrganizationId === a.orgId && r.detail.fromUserId === a.userId));
  });

  test('the prober’s request sends the same statements for another tenant’s id as for a missing one', async () => {
    await settled();
    const recorder = new StatementRecorder(api.server.services.orm);
    try {
      // The request's own transaction: its connection's statements up to its COMMIT (the connection may serve the deferred write next).
      const own = async (id: string) => {
        const sent = (await recorder.recordByConnection(() => api.gql(project, { id }, a.token))).byConnection[0]!.map((s) => s.replace(/\s+/g, ' ').replaceAll(id, '<id>'));
        return sent.slice(0, sent.findIndex((s) => /^(COMMIT|ROLLBACK)/i.test(s)) + 1);
      };
      const theirs = await own(b.projectId);
      const missing = await own(randomUUID());
      assert.ok(theirs.some((s) => /cross_tenant_owner/.test(s)), theirs.join('\n'));
      // The victim's event goes on another connection, after the request's transaction: the request's own path is the same.
      assert.deepEqual(theirs, missing);
    } finally {
      recorder.detach();
      await settled();
    }
  });

  test('an id missing in the own org (or anywhere) records nothing', async () => {
    const own = await gqlOk(`mutation { createProject(name: "gone") { id } }`, {}, a.token);
    await gqlOk(`mutation($id: ID!) { deleteProject(id: $id) }`, { id: own.createProject.id }, a.token);
    await settled();
    const before = await crossTenantOf(a.token);
    const bBefore = await crossTenantOf(b.token);
    const metricBefore = await metric('orgbound_cross_tenant_denied_total', {});
    assert.deepEqual((await api.gql(project, { id: own.createProject.id }, a.token)).data, { project: null });
    assert.deepEqual((await api.gql(project, { id: randomUUID() }, a.token)).data, { project: null });
    assert.equal(errorCode(await api.gql(update, { id: own.createProject.id }, a.token)), 'NOT_FOUND');
    await settled();
    assert.equal((await crossTenantOf(a.token)).length, before.length);
    assert.equal((await crossTenantOf(b.token)).length, bBefore.length);
    assert.equal(await metric('orgbound_cross_tenant_denied_total', {}), metricBefore);
  });
});

describe('viewer.securityEvents', () => {
  test('lists only the viewer’s own events', async () => {
    const m = await signIn(api, member.email);
    const r = await gqlOk(`{ viewer { securityEvents(first: 100) { edges { node { ${NODE} } } pageInfo { hasNextPage } } } }`, {}, m.accessToken);
    const events: Ev[] = r.viewer.securityEvents.edges.map((e: { node: Ev }) => e.node);
    assert.ok(events.length >= 1);
    assert.ok(events.every((e) => e.actorId === member.userId), JSON.stringify(events));
    // No org now: only the org-less ones (A's events about the member stay A's).
    assert.ok(events.every((e) => e.organizationId === null));
    const bView = await gqlOk(`{ viewer { securityEvents(first: 100) { edges { node { ${NODE} } } } } }`, {}, b.token);
    assert.ok(bView.viewer.securityEvents.edges.every((e: { node: Ev }) => e.node.actorId === b.userId && e.node.organizationId !== a.orgId));
  });
});

describe('refresh-token reuse', () => {
  test('reuse by a session that entered the org is in that org’s audit trail', async () => {
    const owner = await api.gql(
      `mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: "reuse", organizationId: $o) { refreshToken session { id } } }`,
      { e: a.email, p: PASSWORD, o: a.orgId },
    );
    const first = owner.data.signIn.refreshToken;
    const refreshed = await gqlOk(`mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }`, { r: first });
    assert.ok(refreshed.refreshSession.refreshToken);
    tick(60_000);
    const reused = await api.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }`, { r: first });
    assert.equal(errorCode(reused), 'REFRESH_TOKEN_REUSED');
    // Every session of A's owner is gone: sign in again to read the trail.
    const again = await signIn(api, a.email, a.orgId);
    const events = await allAuditEvents(again.accessToken);
    const reuse = events.filter((e) => e.type === 'REFRESH_TOKEN_REUSED');
    assert.equal(reuse.length, 1);
    assert.equal(reuse[0]!.sessionId, owner.data.signIn.session.id);
    assert.equal(reuse[0]!.organizationId, a.orgId);
    assert.deepEqual((await allAuditEvents(b.token)).filter((e) => e.type === 'REFRESH_TOKEN_REUSED'), []);
  });
});
