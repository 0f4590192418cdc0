import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';
import { allRowTexts } from '../support/snapshot.ts';
import { createTenant, signIn, signUp, type Tenant } from '../support/tenants.ts';

let api: TestApi;
let owner: Tenant;
before(async () => {
  api = await startTestApi();
  owner = await createTenant(api, 'orgs');
});
after(async () => {
  await api?.close();
});

type Role = 'OWNER' | 'ADMIN' | 'MEMBER';
interface Member {
  readonly userId: string;
  readonly email: string;
  /** Signed in without an organization. */
  readonly plainToken: string;
}

const INVITE = `mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { id token email role expiresAt } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role organization { id } user { id } } }`;
const REMOVE = `mutation($u: ID!) { removeMember(userId: $u) }`;
const PROJECTS = `{ projects { edges { node { id } } } }`;

async function newUser(label: string): Promise<Member> {
  const email = `${label}-${randomUUID()}@example.test`;
  const userId = await signUp(api, email);
  return { userId, email, plainToken: (await signIn(api, email)).accessToken };
}

async function invite(token: string, email: string, role: Role = 'MEMBER'): Promise<GqlResult> {
  return api.gql(INVITE, { e: email, r: role }, token);
}

async function inviteToken(email: string, role: Role = 'MEMBER'): Promise<string> {
  const r = await invite(owner.token, email, role);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.inviteMember.token;
}

/** A user who joined the owner's org with `role`, and their access token for that org. */
async function join(role: Role): Promise<Member & { token: string }> {
  const m = await newUser(role.toLowerCase());
  const accepted = await api.gql(ACCEPT, { t: await inviteToken(m.email, role) }, m.plainToken);
  assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
  return { ...m, token: (await signIn(api, m.email, owner.orgId)).accessToken };
}

/** The NOT_FOUND message of every failed acceptance: one message whatever the reason. */
const notFoundMessages = new Set<string>();
function assertInvitationNotFound(r: GqlResult): void {
  assert.equal(errorCode(r), 'NOT_FOUND', JSON.stringify(r.errors));
  notFoundMessages.add(r.errors![0]!.message);
}

describe('invitations', () => {
  test('invite, store only a hash, accept once, then use the org', async () => {
    const b = await newUser('invitee');
    const r = await invite(owner.token, b.email.toUpperCase());
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const { token, email, role } = r.data.inviteMember;
    assert.deepEqual({ email, role }, { email: b.email, role: 'MEMBER' });
    assert.ok(typeof token === 'string' && token.length >= 32);

    const stored = (await allRowTexts(api.db, 'invitations')).join('\n');
    assert.ok(stored.includes(r.data.inviteMember.id), 'the invitation is not where the test looks');
    assert.ok(!stored.includes(token) && !stored.includes(token.split('.').at(-1)!), 'invitation token stored in clear');

    const accepted = await api.gql(ACCEPT, { t: token }, b.plainToken);
    assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    assert.deepEqual(accepted.data.acceptInvitation, { role: 'MEMBER', organization: { id: owner.orgId }, user: { id: b.userId } });
    assert.deepEqual(await api.db.sql(`select role from memberships where org_id = $1 and user_id = $2`, [owner.orgId, b.userId]), [{ role: 'MEMBER' }]);

    const scoped = (await signIn(api, b.email, owner.orgId)).accessToken;
    const projects = await api.gql(PROJECTS, {}, scoped);
    assert.deepEqual(projects.data.projects.edges.map((e: any) => e.node.id), [owner.projectId]);

    assertInvitationNotFound(await api.gql(ACCEPT, { t: token }, b.plainToken));
  });

  test('someone with another email cannot accept it (and the invitee still can)', async () => {
    const invitee = await newUser('right');
    const other = await newUser('wrong');
    const token = await inviteToken(invitee.email);
    assertInvitationNotFound(await api.gql(ACCEPT, { t: token }, other.plainToken));
    assert.deepEqual(await api.db.sql(`select 1 from memberships where user_id = $1`, [other.userId]), []);
    assert.equal((await api.gql(ACCEPT, { t: token }, invitee.plainToken)).errors, undefined);
  });

  test('a garbage or forged token → NOT_FOUND', async () => {
    const u = await newUser('guess');
    const real = await inviteToken(u.email);
    const forged = real.slice(0, -4) + (real.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const secret = `inv_${'A'.repeat(43)}`;
    // The org part of the token is untrusted input: ids that are not UUIDs must look like any miss.
    const notUuids = ['0'.repeat(36), '-'.repeat(36), `${'a'.repeat(32)}----`].map((id) => `obi.${id}.${secret}`);
    for (const t of ['garbage', '', `obi.${owner.orgId}.${secret}`, `obi.${randomUUID()}.${secret}`, forged, ...notUuids]) {
      assertInvitationNotFound(await api.gql(ACCEPT, { t }, u.plainToken));
    }
  });

  test('an expired invitation → NOT_FOUND', async () => {
    const u = await newUser('late');
    const r = await invite(owner.token, u.email);
    await api.db.sql(`update invitations set expires_at = now() - interval '1 second' where id = $1`, [r.data.inviteMember.id]);
    assertInvitationNotFound(await api.gql(ACCEPT, { t: r.data.inviteMember.token }, u.plainToken));
    assert.deepEqual(await api.db.sql(`select 1 from memberships where user_id = $1`, [u.userId]), []);
  });

  test('every refused acceptance above says the same thing', () => {
    assert.equal(notFoundMessages.size, 1, [...notFoundMessages].join(' | '));
  });
});

describe('roles', () => {
  test('a MEMBER can neither invite nor remove (FORBIDDEN)', async () => {
    const m = await join('MEMBER');
    assert.equal(errorCode(await invite(m.token, `x-${randomUUID()}@example.test`)), 'FORBIDDEN');
    assert.equal(errorCode(await api.gql(REMOVE, { u: owner.userId }, m.token)), 'FORBIDDEN');
    assert.equal((await api.db.sql(`select 1 from memberships where org_id = $1 and user_id = $2`, [owner.orgId, owner.userId])).length, 1);
  });

  test('an ADMIN can invite a MEMBER but not an OWNER (FORBIDDEN)', async () => {
    const admin = await join('ADMIN');
    assert.equal((await invite(admin.token, `m-${randomUUID()}@example.test`, 'MEMBER')).errors, undefined);
    const email = `o-${randomUUID()}@example.test`;
    assert.equal(errorCode(await invite(admin.token, email, 'OWNER')), 'FORBIDDEN');
    assert.deepEqual(await api.db.sql(`select 1 from invitations where email = $1`, [email]), []);
  });

  test('the last OWNER cannot be removed (BAD_USER_INPUT)', async () => {
    assert.equal(errorCode(await api.gql(REMOVE, { u: owner.userId }, owner.token)), 'BAD_USER_INPUT');
    assert.deepEqual(await api.db.sql(`select role from memberships where org_id = $1 and user_id = $2`, [owner.orgId, owner.userId]), [{ role: 'OWNER' }]);
  });

  test("removal takes effect on the removed member's very next request", async () => {
    const m = await join('MEMBER');
    const before = await api.gql(`${PROJECTS.slice(0, -1)} organization { id } }`, {}, m.token);
    assert.equal(before.errors, undefined, JSON.stringify(before.errors));
    assert.equal(before.data.organization.id, owner.orgId);

    const removed = await api.gql(REMOVE, { u: m.userId }, owner.token);
    assert.deepEqual(removed.data, { removeMember: true });

    assert.equal(errorCode(await api.gql(PROJECTS, {}, m.token)), 'FORBIDDEN');
    assert.equal(errorCode(await api.gql(`query($id: ID!) { task(id: $id) { id } }`, { id: owner.taskId }, m.token)), 'FORBIDDEN');
    const now = await api.gql(`{ organization { id } viewer { user { id } activeOrganization { id } } }`, {}, m.token);
    assert.equal(now.errors, undefined, JSON.stringify(now.errors));
    assert.deepEqual(now.data, { organization: null, viewer: { user: { id: m.userId }, activeOrganization: null } });
  });
});

describe('Organization.members', () => {
  let other: Tenant;
  before(async () => {
    other = await createTenant(api, 'other');
    const r = await invite(other.token, owner.email);
    assert.equal((await api.gql(ACCEPT, { t: r.data.inviteMember.token }, owner.token)).errors, undefined);
  });

  test('is readable for the active organization', async () => {
    const r = await api.gql(`{ organization { id members { role user { id } } } }`, {}, owner.token);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.ok(r.data.organization.members.some((m: any) => m.user.id === owner.userId && m.role === 'OWNER'));
    assert.ok(!JSON.stringify(r.data).includes(other.userId));
  });

  test('is FORBIDDEN for another organization the user belongs to', async () => {
    const plain = await api.gql(`{ viewer { memberships { organization { id } } } }`, {}, owner.token);
    assert.ok(plain.data.viewer.memberships.some((m: any) => m.organization.id === other.orgId), 'the other membership is missing');
    const r = await api.gql(`{ viewer { memberships { organization { id members { user { id email } } } } } }`, {}, owner.token);
    const denied = r.errors?.find((e) => e.path?.includes('members'));
    assert.equal(denied?.extensions?.code, 'FORBIDDEN', JSON.stringify(r.errors));
    assert.ok(!JSON.stringify(r).includes(other.userId) && !JSON.stringify(r).includes(other.email));
  });
});

test('a failing mutation in a multi-mutation operation leaves no partial write', async () => {
  const name = `rolled-back ${randomUUID()}`;
  const r = await api.gql(
    `mutation($n: String!, $id: ID!) { a: createProject(name: $n) { id } b: updateProject(id: $id, name: "y") { id } }`,
    { n: name, id: randomUUID() },
    owner.token,
  );
  assert.equal(errorCode(r), 'NOT_FOUND', JSON.stringify(r.errors));
  assert.deepEqual(await api.db.sql(`select id from projects where name = $1`, [name]), []);
  const list = await api.gql(`{ projects(first: 100) { edges { node { name } } } }`, {}, owner.token);
  assert.ok(!list.data.projects.edges.some((e: any) => e.node.name === name));
});
