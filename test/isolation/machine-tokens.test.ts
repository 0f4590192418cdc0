/**
 * The isolation prover's attacks, sent with machine tokens of tenant A (issue 7): a service account's
 * token (client credentials, every scope) and an agent's delegated token (the OWNER's, every scope).
 * Every root field is called with B's ids in every id position (and compared with an id of nothing),
 * then plainly and with B's hostile values; no response may carry anything of B, nothing may succeed
 * on B's objects, and B's rows must be byte-identical afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rootFields, type RootField } from './operations.ts';
import { attackWithIdsOfB, callPlainAndHostile, isLate, positionsOf } from './phases.ts';
import { Prover, type Actor } from './prover.ts';
import { startIsolationWorld, type IsolationWorld } from './setup.ts';

let world: IsolationWorld;
let prover: Prover;
let roots: RootField[];
let service: Actor;
let agent: Actor;
let mintService: () => Promise<string>;

before(async () => {
  world = await startIsolationWorld();
  prover = new Prover(world);
  roots = rootFields(world.schema);
  const { api, a } = world;
  const created = await api.gql(
    `mutation { createServiceAccount(name: "${a.marker} prover robot", scopes: ["projects:read", "projects:write", "audit:read"]) { clientId clientSecret } }`,
    {},
    a.owner.token,
  );
  assert.equal(created.errors, undefined, JSON.stringify(created.errors));
  const { clientId, clientSecret } = created.data.createServiceAccount;
  a.issuedTokens.push(clientSecret);
  mintService = async () => {
    const res = await fetch(api.server.url.replace(/\/graphql$/, '/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
    const body = (await res.json()) as { access_token: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.access_token;
  };
  service = { name: 'SERVICE', principal: { ...a.owner, token: await mintService() } };
  const delegated = await api.gql(
    `mutation { delegateToAgent(agentName: "prover", scopes: ["projects:read", "projects:write", "audit:read"], ttlSeconds: 900) { accessToken } }`,
    {},
    a.owner.token,
  );
  assert.equal(delegated.errors, undefined, JSON.stringify(delegated.errors));
  agent = { name: 'AGENT', principal: { ...a.owner, token: delegated.data.delegateToAgent.accessToken } };
});
after(async () => {
  await world?.api.close();
});

const nonLate = () => roots.filter((r) => !isLate(r));
function none(problems: string[], what: string): void {
  if (problems.length === 0) return;
  assert.fail(`${what}: ${problems.length} problem(s):\n${problems.slice(0, 40).join('\n')}`);
}

test("service and agent tokens of A: every root field with B's ids, plainly and with B's values, leaks nothing of B", async () => {
  const actors = [service, agent];
  none(await attackWithIdsOfB(prover, actors, nonLate().filter((r) => positionsOf(r).length > 0)), "B's ids");
  service.principal.token = await mintService();
  none(await callPlainAndHostile(prover, actors, nonLate()), 'plain and hostile');
  assert.deepEqual(await world.snapshotB(), world.bBefore);
  assert.ok(prover.calls > 200, `only ${prover.calls} calls`);
});

test('the machine tokens were live: they read A and are refused what a person alone may do', async () => {
  service.principal.token = await mintService();
  for (const actor of [service, agent]) {
    const r = await world.api.gql(`{ projects { edges { node { name } } } }`, {}, actor.principal.token);
    assert.equal(r.errors, undefined, `${actor.name}: ${JSON.stringify(r.errors)}`);
    assert.ok(JSON.stringify(r.data).includes(world.a.marker), actor.name);
    const s = await world.api.gql(`mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`, { o: world.b.orgId }, actor.principal.token);
    assert.equal(s.errors?.[0]?.extensions?.code, 'FORBIDDEN', actor.name);
  }
});
