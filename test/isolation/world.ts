/**
 * Two tenants seeded through the API with every kind of row the schema can produce: members of each
 * role, a removed member, pending and accepted invitations, projects and tasks, device sessions
 * (rotated, revoked, switched), a dedicated signing key, TOTP and security events. Every text field
 * carries the tenant's marker, so a leak of any of it shows in a response.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { GqlResult, TestApi } from '../support/harness.ts';
import { enrollTotp } from '../support/mfa.ts';
import { PASSWORD } from '../support/tenants.ts';

export interface Principal {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  readonly role: 'OWNER' | 'ADMIN' | 'MEMBER';
  /** Access token of the principal's main session, scoped to the tenant's org. */
  token: string;
  sessionId: string;
  refreshToken: string;
}

export interface TenantWorld {
  readonly label: string;
  /** Appears in every text this tenant wrote (names, titles, emails, device and display names). */
  readonly marker: string;
  readonly orgId: string;
  readonly owner: Principal;
  readonly admin: Principal;
  readonly member: Principal;
  /** A member nobody acts as: its sessions and refresh tokens may be spent freely. */
  readonly spare: Principal;
  /** A member the owner removed (its sessions revoked first). */
  readonly formerUserId: string;
  readonly projectIds: readonly string[];
  readonly taskIds: readonly string[];
  /** Secrets of invitations (pending and accepted). */
  readonly invitationTokens: readonly string[];
  readonly totpSecret: string;
  /** Every access and refresh token the seeding received. */
  readonly issuedTokens: string[];
  /**
   * Values of this tenant by name, for the modules' argument generators (ProverTenant.samples):
   * `spareRefreshToken`, `invitationTokens`.
   */
  samples(name: string): readonly string[];
}

type Api = Pick<TestApi, 'gql'>;

/** The data of a call that must succeed; the message names the step. */
async function must(what: string, r: Promise<GqlResult>): Promise<any> {
  const res = await r;
  assert.ok(res.status < 500 && !res.errors, `seeding (${what}): HTTP ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data;
}

const SIGN_IN = `mutation($e: String!, $p: String!, $d: String!, $o: ID) {
  signIn(email: $e, password: $p, deviceName: $d, organizationId: $o) { accessToken refreshToken session { id } } }`;

async function signIn(api: Api, world: { issuedTokens: string[] }, email: string, device: string, orgId?: string) {
  const d = await must(`signIn ${email}`, api.gql(SIGN_IN, { e: email, p: PASSWORD, d: device, o: orgId ?? null }));
  world.issuedTokens.push(d.signIn.accessToken, d.signIn.refreshToken);
  return { token: d.signIn.accessToken as string, refreshToken: d.signIn.refreshToken as string, sessionId: d.signIn.session.id as string };
}

async function signUp(api: Api, email: string, displayName: string): Promise<string> {
  const d = await must(`signUp ${email}`, api.gql(`mutation($e: String!, $p: String!, $n: String) { signUp(email: $e, password: $p, displayName: $n) { id } }`, { e: email, p: PASSWORD, n: displayName }));
  return d.signUp.id;
}

async function invite(api: Api, token: string, email: string, role: string): Promise<string> {
  const d = await must(`inviteMember ${email}`, api.gql(`mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { token } }`, { e: email, r: role }, token));
  return d.inviteMember.token;
}

/** Signs `email` up, has it accept `invitation`, and signs it into the org. */
async function join(api: Api, world: { issuedTokens: string[] }, marker: string, orgId: string, role: Principal['role'], invitation: string, name: string): Promise<Principal> {
  const email = `${name}.${marker}@example.test`;
  const userId = await signUp(api, email, `${marker} ${name}`);
  const loose = await signIn(api, world, email, `${marker} ${name} laptop`);
  await must(`acceptInvitation ${name}`, api.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: invitation }, loose.token));
  return { email, password: PASSWORD, userId, role, ...(await signIn(api, world, email, `${marker} ${name} desk`, orgId)) };
}

/** The org, its OWNER (with TOTP) and a dedicated signing key. */
async function foundOrg(api: Api, world: { issuedTokens: string[] }, marker: string) {
  const email = `owner.${marker}@example.test`;
  const userId = await signUp(api, email, `${marker} owner`);
  const loose = await signIn(api, world, email, `${marker} owner laptop`);
  const org = await must('createOrganization', api.gql(`mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `${marker} org` }, loose.token));
  const orgId: string = org.createOrganization.id;
  const first = await signIn(api, world, email, `${marker} owner laptop`, orgId);
  // A dedicated key makes the tokens signed by the global key invalid: sign in again afterwards.
  await must('updateSessionPolicy', api.gql(`mutation { updateSessionPolicy(input: { dedicatedSigningKey: true }) { id } }`, {}, first.token));
  const owner: Principal = { email, password: PASSWORD, userId, role: 'OWNER', ...(await signIn(api, world, email, `${marker} owner desk`, orgId)) };
  const totpSecret = await enrollTotp(api as TestApi, owner.token, new Date());
  return { orgId, owner, totpSecret };
}

async function seedProjects(api: Api, token: string, marker: string): Promise<{ projectIds: string[]; taskIds: string[] }> {
  const projectIds: string[] = [];
  const taskIds: string[] = [];
  for (const p of [0, 1, 2]) {
    const d = await must('createProject', api.gql(`mutation($n: String!) { createProject(name: $n) { id } }`, { n: `${marker} project ${p}` }, token));
    projectIds.push(d.createProject.id);
    for (const t of [0, 1]) {
      const task = await must('createTask', api.gql(`mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`, { p: d.createProject.id, t: `${marker} task ${p}.${t}` }, token));
      taskIds.push(task.createTask.id);
    }
  }
  await must('updateProject', api.gql(`mutation($id: ID!, $n: String!) { updateProject(id: $id, name: $n) { id } }`, { id: projectIds[0], n: `${marker} project 0 renamed` }, token));
  await must('updateTask', api.gql(`mutation($id: ID!) { updateTask(id: $id, done: true) { id } }`, { id: taskIds[0] }, token));
  return { projectIds, taskIds };
}

/** More device sessions of the owner: one rotated, one revoked, and a switch on the main one. */
async function seedSessions(api: Api, world: { issuedTokens: string[] }, marker: string, orgId: string, owner: Principal): Promise<void> {
  const phone = await signIn(api, world, owner.email, `${marker} owner phone`, orgId);
  const rotated = await must('refreshSession', api.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`, { t: phone.refreshToken }));
  world.issuedTokens.push(rotated.refreshSession.accessToken, rotated.refreshSession.refreshToken);
  const old = await signIn(api, world, owner.email, `${marker} owner old tablet`, orgId);
  await must('revokeSession', api.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: old.sessionId }, owner.token));
  const switched = await must('switchOrganization', api.gql(`mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken refreshToken } }`, { o: orgId }, owner.token));
  world.issuedTokens.push(switched.switchOrganization.accessToken, switched.switchOrganization.refreshToken);
  owner.refreshToken = switched.switchOrganization.refreshToken;
}

/** Service accounts of the org (one rotated, one revoked, three live); their secrets count as the tenant's tokens. */
async function seedServiceAccounts(api: Api, world: { issuedTokens: string[] }, marker: string, owner: Principal): Promise<void> {
  const ids: string[] = [];
  for (const n of [0, 1, 2, 3, 4]) {
    const d = await must('createServiceAccount', api.gql(`mutation($n: String!, $s: [String!]!) { createServiceAccount(name: $n, scopes: $s) { clientSecret serviceAccount { id } } }`, { n: `${marker} robot ${n}`, s: ['projects:read', 'projects:write'] }, owner.token));
    world.issuedTokens.push(d.createServiceAccount.clientSecret);
    ids.push(d.createServiceAccount.serviceAccount.id);
  }
  const rotated = await must('rotateServiceAccountSecret', api.gql(`mutation($id: ID!) { rotateServiceAccountSecret(id: $id) { clientSecret } }`, { id: ids[0] }, owner.token));
  world.issuedTokens.push(rotated.rotateServiceAccountSecret.clientSecret);
  await must('revokeServiceAccount', api.gql(`mutation($id: ID!) { revokeServiceAccount(id: $id) }`, { id: ids[1] }, owner.token));
}

/** Seeds one tenant; `label` ("a", "b") goes into its marker. */
export async function seedTenant(api: Api, label: string): Promise<TenantWorld> {
  const marker = `mk-${label}-${randomBytes(6).toString('hex')}`;
  const seen = { issuedTokens: [] as string[] };
  const { orgId, owner, totpSecret } = await foundOrg(api, seen, marker);
  const invitationTokens: string[] = [];
  const joined: Principal[] = [];
  for (const [name, role] of [['admin', 'ADMIN'], ['member', 'MEMBER'], ['spare', 'MEMBER'], ['former', 'MEMBER']] as const) {
    const token = await invite(api, owner.token, `${name}.${marker}@example.test`, role);
    invitationTokens.push(token);
    joined.push(await join(api, seen, marker, orgId, role, token, name));
  }
  invitationTokens.push(await invite(api, owner.token, `pending.${marker}@example.test`, 'MEMBER'));
  const [admin, member, spare, former] = joined as [Principal, Principal, Principal, Principal];
  await must('revokeMemberSessions', api.gql(`mutation($u: ID!) { revokeMemberSessions(userId: $u) }`, { u: former.userId }, owner.token));
  await must('removeMember', api.gql(`mutation($u: ID!) { removeMember(userId: $u) }`, { u: former.userId }, owner.token));
  const { projectIds, taskIds } = await seedProjects(api, owner.token, marker);
  await seedSessions(api, seen, marker, orgId, owner);
  await seedServiceAccounts(api, seen, marker, owner);
  const samples: Record<string, () => readonly string[]> = { spareRefreshToken: () => [spare.refreshToken], invitationTokens: () => invitationTokens };
  const sample = (name: string): readonly string[] => {
    const values = samples[name];
    if (!values) throw new Error(`the prover's world seeds no sample "${name}" (test/isolation/world.ts)`);
    return values();
  };
  return { label, marker, orgId, owner, admin, member, spare, formerUserId: former.userId, projectIds, taskIds, invitationTokens, totpSecret, issuedTokens: seen.issuedTokens, samples: sample };
}
