import assert from 'node:assert/strict';
import type { GqlResult, TestApi } from '../../../test/support/harness.ts';
import { enrollTotp } from '../../../test/support/mfa.ts';

export interface SeededOrg {
  readonly id: string;
  readonly name: string;
  readonly projects: readonly string[];
}

export interface SeededUser {
  readonly email: string;
  readonly password: string;
  /** Base32 TOTP secret; the code of the step of `enrolledAt` is spent. */
  readonly totpSecret: string;
  readonly enrolledAt: Date;
  readonly standard: SeededOrg;
  readonly confidential: SeededOrg;
}

function ok<T>(result: GqlResult<T>): T {
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data as T;
}

/**
 * Through the API: a user who owns a STANDARD org and a CONFIDENTIAL org (MFA required), each with
 * projects named after it, and has TOTP enrolled. Confirming the enrollment counts as this session's
 * MFA, so the seed enters the CONFIDENTIAL org without spending a second code.
 */
export async function seedUser(api: TestApi, now: () => Date): Promise<SeededUser> {
  const email = 'ada@e2e.test';
  const password = 'correct horse battery staple';
  ok(await api.gql(`mutation($e: String!, $p: String!) { signUp(email: $e, password: $p, displayName: "Ada") { id } }`, { e: email, p: password }));
  const signedIn = ok<{ signIn: { accessToken: string } }>(
    await api.gql(`mutation($e: String!, $p: String!) { signIn(email: $e, password: $p, deviceName: "e2e seed") { accessToken } }`, { e: email, p: password }),
  );
  let token = signedIn.signIn.accessToken;
  const createOrg = async (name: string, tier: string) =>
    ok<{ createOrganization: { id: string } }>(await api.gql(`mutation($n: String!, $t: SensitivityTier!) { createOrganization(name: $n, tier: $t) { id } }`, { n: name, t: tier }, token))
      .createOrganization.id;
  const standard = { id: await createOrg('Acme Corp', 'STANDARD'), name: 'Acme Corp', projects: ['Acme Launch', 'Acme Website redesign'] };
  const confidential = { id: await createOrg('Northwind Labs', 'CONFIDENTIAL'), name: 'Northwind Labs', projects: ['Northwind Secret formula', 'Northwind Audit 2026'] };
  const enrolledAt = now();
  const totpSecret = await enrollTotp(api, token, enrolledAt);
  for (const org of [confidential, standard]) {
    token = ok<{ switchOrganization: { accessToken: string } }>(await api.gql(`mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`, { o: org.id }, token))
      .switchOrganization.accessToken;
    for (const name of org.projects) ok(await api.gql(`mutation($n: String!) { createProject(name: $n) { id } }`, { n: name }, token));
  }
  return { email, password, totpSecret, enrolledAt, standard, confidential };
}
