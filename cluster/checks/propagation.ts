import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { addMember, newEmail, signIn, signUp, type SeededTenant } from '../lib/accounts.ts';
import type { Cluster } from '../lib/cluster.ts';
import type { Instance } from '../lib/instances.ts';
import { errorCode, gql, ok } from '../lib/graphql.ts';

/** How an instance first refused a token after a change made through another instance. */
export interface Refusal {
  readonly instance: string;
  /** Requests until the first refusal, that one included: 1 means its very next request. */
  readonly attempts: number;
  /** From the change's response to the refusal's response, in ms. */
  readonly delayMs: number;
}

const PROBE = `{ viewer { session { id } } projects { edges { node { id name } } } }`;
const READ = `{ projects { edges { node { id name } } } }`;
const GIVE_UP_MS = 5_000;

/**
 * Signs the tenant's owner in on a new device through instance 1, checks the token works on every
 * instance, revokes that session through instance 1 (`signOut` by itself, or `revokeSession` from
 * another of the owner's sessions), then asks every other instance until it answers SESSION_REVOKED.
 */
export async function revokeAndMeasure(cluster: Cluster, tenant: SeededTenant, how: 'signOut' | 'revokeSession'): Promise<Refusal[]> {
  const [first, ...others] = cluster.instances as [Instance, ...Instance[]];
  const doomed = await signIn(first.url, tenant.email, tenant.orgId, `${how} device`);
  for (const instance of cluster.instances) assert.equal(ok(await gql(instance.url, PROBE, {}, doomed.accessToken), instance.name).viewer.session.id, doomed.sessionId);

  const revoked =
    how === 'signOut'
      ? await gql(first.url, `mutation { signOut }`, {}, doomed.accessToken)
      : await gql(first.url, `mutation($id: ID!) { revokeSession(id: $id) }`, { id: doomed.sessionId }, tenant.token);
  const at = performance.now();
  assert.equal(Object.values(ok(revoked, how))[0], true);
  return Promise.all(others.map((instance) => firstRefusal(instance, doomed.accessToken, PROBE, 'SESSION_REVOKED', at)));
}

/**
 * A new user joins the tenant's org (invited through instance 1, accepting through instance 2) and
 * reads its projects through instances 3 and 1; the owner removes them through instance 2; instance 3,
 * and instance 1, must refuse the member's next read (FORBIDDEN).
 */
export async function removeMemberAndMeasure(cluster: Cluster, tenant: SeededTenant): Promise<Refusal[]> {
  const [one, two, three] = cluster.instances as [Instance, Instance, Instance];
  const email = newEmail('member');
  const userId = await signUp(one.url, email);
  await addMember(one.url, two.url, tenant.token, email, (await signIn(one.url, email)).accessToken);
  const member = await signIn(three.url, email, tenant.orgId);
  for (const instance of [three, one]) {
    const read = ok(await gql(instance.url, READ, {}, member.accessToken), `member read on ${instance.name} before removal`);
    assert.deepEqual(read.projects.edges.map((e: { node: { id: string } }) => e.node.id).sort(), tenant.projects.map((p) => p.id).sort());
  }

  const removed = await gql(two.url, `mutation($u: ID!) { removeMember(userId: $u) }`, { u: userId }, tenant.token);
  const at = performance.now();
  assert.equal(ok(removed, 'removeMember').removeMember, true);
  return Promise.all([three, one].map((instance) => firstRefusal(instance, member.accessToken, READ, 'FORBIDDEN', at)));
}

/** Asks `instance` with `token` until it refuses with `code`; a refusal must carry none of the data. */
async function firstRefusal(instance: Instance, token: string, query: string, code: string, since: number): Promise<Refusal> {
  for (let attempts = 1; ; attempts++) {
    const r = await gql(instance.url, query, {}, token);
    if (errorCode(r) === code) {
      const delayMs = performance.now() - since;
      assert.ok(r.status < 500, `${instance.name}: HTTP ${r.status}`);
      assert.ok(!r.data || Object.values(r.data).every((v) => v == null), `${instance.name} refused with data: ${r.body}`);
      return { instance: instance.name, attempts, delayMs };
    }
    ok(r, `${instance.name}, waiting for ${code}`); // anything but success or the refusal is a failure
    if (performance.now() - since > GIVE_UP_MS) assert.fail(`${instance.name} still served the token ${GIVE_UP_MS} ms after the change`);
  }
}
