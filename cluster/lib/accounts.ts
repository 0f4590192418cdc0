import { randomBytes } from 'node:crypto';
import { gql, ok } from './graphql.ts';

export const PASSWORD = 'cluster password, not a secret';

export interface DeviceSession {
  readonly accessToken: string;
  readonly sessionId: string;
}

export interface SeededProject {
  readonly id: string;
  readonly name: string;
  readonly taskTitles: readonly string[];
}

export interface SeededTenant {
  /** A string in this tenant's data only (its org, project and task names). */
  readonly marker: string;
  readonly email: string;
  readonly userId: string;
  readonly orgId: string;
  /** The owner's access token for the org. */
  readonly token: string;
  readonly projects: readonly SeededProject[];
}

export async function signUp(url: string, email: string): Promise<string> {
  const r = await gql(url, `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD });
  return ok(r, `signUp ${email}`).signUp.id;
}

/** A new device session for `email`, entering `orgId` when given. */
export async function signIn(url: string, email: string, orgId: string | null = null, device = 'cluster'): Promise<DeviceSession> {
  const r = await gql(
    url,
    `mutation($e: String!, $p: String!, $d: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: $d, organizationId: $o) { accessToken session { id } } }`,
    { e: email, p: PASSWORD, d: device, o: orgId },
  );
  const { accessToken, session } = ok(r, `signIn ${email}`).signIn;
  return { accessToken, sessionId: session.id };
}

/** A unique email under `label`. */
export function newEmail(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

/**
 * A user, an org they own, `projects` projects of `tasks` tasks each, every name carrying the
 * tenant's marker. Each step goes to the next instance in `urls`, so the tenant is born across them.
 */
export async function seedTenant(urls: readonly string[], label: string, projects = 2, tasks = 2): Promise<SeededTenant> {
  let step = 0;
  const next = () => urls[step++ % urls.length]!;
  const marker = `marker-${label}-${randomBytes(4).toString('hex')}`;
  const email = newEmail(label);
  const userId = await signUp(next(), email);
  const unscoped = await signIn(next(), email);
  const org = await gql(next(), `mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `org ${marker}` }, unscoped.accessToken);
  const orgId = ok(org, 'createOrganization').createOrganization.id;
  const { accessToken: token } = await signIn(next(), email, orgId);
  const seeded: SeededProject[] = [];
  for (let p = 1; p <= projects; p++) {
    const name = `project ${p} ${marker}`;
    const project = await gql(next(), `mutation($n: String!) { createProject(name: $n) { id } }`, { n: name }, token);
    const id = ok(project, 'createProject').createProject.id;
    const taskTitles: string[] = [];
    for (let t = 1; t <= tasks; t++) {
      const title = `task ${p}.${t} ${marker}`;
      ok(await gql(next(), `mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`, { p: id, t: title }, token), 'createTask');
      taskTitles.push(title);
    }
    seeded.push({ id, name, taskTitles });
  }
  return { marker, email, userId, orgId, token, projects: seeded };
}

/** Invites `email` into the owner's org (as MEMBER) and has the member accept with `memberToken`. */
export async function addMember(inviteUrl: string, acceptUrl: string, ownerToken: string, email: string, memberToken: string): Promise<void> {
  const invited = await gql(inviteUrl, `mutation($e: String!) { inviteMember(email: $e, role: MEMBER) { token } }`, { e: email }, ownerToken);
  const invitation = ok(invited, 'inviteMember').inviteMember.token;
  ok(await gql(acceptUrl, `mutation($t: String!) { acceptInvitation(token: $t) { role } }`, { t: invitation }, memberToken), 'acceptInvitation');
}
