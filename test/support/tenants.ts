import assert from 'node:assert/strict';
import type { GqlResult, TestApi } from './harness.ts';

export const PASSWORD = 'correct horse battery staple';

export interface Tenant {
  readonly orgId: string;
  readonly userId: string;
  readonly email: string;
  /** Access token scoped to the org (OWNER). */
  readonly token: string;
  readonly projectId: string;
  readonly taskId: string;
  /** A string that appears in this tenant's data only. */
  readonly marker: string;
}

export async function signUp(api: TestApi, email: string): Promise<string> {
  const r = await api.gql(`mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.signUp.id;
}

export async function signIn(api: TestApi, email: string, organizationId?: string): Promise<{ accessToken: string; refreshToken: string; sessionId: string }> {
  const r = await api.gql(
    `mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: "test", organizationId: $o) { accessToken refreshToken session { id } } }`,
    { e: email, p: PASSWORD, o: organizationId ?? null },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return { ...r.data.signIn, sessionId: r.data.signIn.session.id };
}

/** A user, an org they own, a project and a task, each named with a unique marker. */
export async function createTenant(api: TestApi, label: string): Promise<Tenant> {
  const marker = `marker-${label}-${Math.random().toString(36).slice(2, 10)}`;
  const email = `${label}-${marker}@example.test`.toLowerCase();
  const userId = await signUp(api, email);
  const first = await signIn(api, email);
  const org = await api.gql(`mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `org ${marker}` }, first.accessToken);
  assert.equal(org.errors, undefined, JSON.stringify(org.errors));
  const orgId = org.data.createOrganization.id;
  const { accessToken: token } = await signIn(api, email, orgId);
  const p = await api.gql(`mutation($n: String!) { createProject(name: $n) { id } }`, { n: `project ${marker}` }, token);
  assert.equal(p.errors, undefined, JSON.stringify(p.errors));
  const projectId = p.data.createProject.id;
  const t = await api.gql(`mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`, { p: projectId, t: `task ${marker}` }, token);
  assert.equal(t.errors, undefined, JSON.stringify(t.errors));
  return { orgId, userId, email, token, projectId, taskId: t.data.createTask.id, marker };
}

export type Tier = 'STANDARD' | 'CONFIDENTIAL' | 'REGULATED';

/** Every AuthPayload field the session tests look at. */
export const AUTH_PAYLOAD = `accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
  session { id expiresAt boundOrganization { id } } activeOrganization { id tier }`;

/** Creates an organization of `tier` with the caller (any signed-in token) as OWNER; returns its id. */
export async function createOrganization(api: TestApi, token: string, tier: Tier = 'STANDARD', name = `org ${tier.toLowerCase()} ${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
  const r = await api.gql(`mutation($n: String!, $t: SensitivityTier) { createOrganization(name: $n, tier: $t) { id tier } }`, { n: name, t: tier }, token);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.createOrganization.tier, tier);
  return r.data.createOrganization.id;
}

/** signIn with every argument, returning the raw result (errors included) with the full AuthPayload. */
export function signInRaw(
  api: TestApi,
  email: string,
  opts: { organizationId?: string | null; mfaCode?: string | null; deviceName?: string } = {},
): Promise<GqlResult> {
  return api.gql(
    `mutation($e: String!, $p: String!, $d: String!, $o: ID, $c: String) {
      signIn(email: $e, password: $p, deviceName: $d, organizationId: $o, mfaCode: $c) { ${AUTH_PAYLOAD} } }`,
    { e: email, p: PASSWORD, d: opts.deviceName ?? 'test', o: opts.organizationId ?? null, c: opts.mfaCode ?? null },
  );
}
