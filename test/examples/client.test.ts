/**
 * examples/client (issue 10, item 5) against a live test API on a clock the test moves by hand: the
 * helper signs in, refreshes before expiry and on UNAUTHENTICATED with exactly one refreshSession for
 * ten concurrent calls, hands every rotated refresh token to onTokens, fails with SessionEndedError on
 * reuse and revocation, and the service-account client works through POST /oauth/token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, createServiceClient, OrgboundError, SessionEndedError, type SessionTokens } from '../../examples/client/client.ts';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, PASSWORD, type Tenant } from '../support/tenants.ts';

let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));
const MINUTE = 60_000;

let api: TestApi;
let tenant: Tenant;
/** Its user's sessions are all revoked by the reuse test. */
let victimTenant: Tenant;
before(async () => {
  api = await startTestApi({ now: () => clock });
  tenant = await createTenant(api, 'client');
  victimTenant = await createTenant(api, 'victim');
});
after(async () => {
  await api?.close();
});

const PROJECTS = `{ projects { edges { node { name } } } }`;

/** A fetch that counts the requests whose body or URL contains each of `needles`. */
function countingFetch(...needles: string[]) {
  const counts: Record<string, number> = Object.fromEntries(needles.map((n) => [n, 0]));
  const counted: typeof fetch = async (input, init) => {
    const seen = `${String(input)} ${typeof init?.body === 'string' ? init.body : ''}`;
    for (const n of needles) if (seen.includes(n)) counts[n]! += 1;
    return fetch(input, init);
  };
  return { fetch: counted, counts };
}

function personClient(extra: { now?: () => number; fetch?: typeof fetch; onTokens?: (t: SessionTokens) => void } = {}, who: Tenant = tenant) {
  return createClient({ url: api.server.url, email: who.email, password: PASSWORD, organizationId: who.orgId, now: () => clock.getTime(), ...extra });
}

const names = (d: any): string[] => d.projects.edges.map((e: any) => e.node.name);

describe('session client', () => {
  test('signs in to the organization and sends operations with its access token', async () => {
    const stored: SessionTokens[] = [];
    const client = personClient({ onTokens: (t) => void stored.push(t) });
    assert.deepEqual(names(await client.request(PROJECTS)), [`project ${tenant.marker}`]);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.organizationId, tenant.orgId);
  });

  test('ten concurrent calls shortly before expiry trigger exactly one refresh, and the rotated token is stored', async () => {
    const { fetch: counted, counts } = countingFetch('refreshSession', 'signIn');
    const stored: SessionTokens[] = [];
    const client = personClient({ fetch: counted, onTokens: (t) => void stored.push(t) });
    await client.request(PROJECTS);
    const first = client.tokens()!;
    clock = new Date(first.accessTokenExpiresAt.getTime() - 10_000); // within the 30 s refresh margin
    const results = await Promise.all(Array.from({ length: 10 }, () => client.request(PROJECTS)));
    assert.ok(results.every((r) => names(r).length === 1));
    assert.deepEqual(counts, { refreshSession: 1, signIn: 1 });
    assert.equal(stored.length, 2);
    assert.notEqual(stored[1]!.refreshToken, first.refreshToken, 'the refresh token rotated');
    assert.ok(stored[1]!.accessTokenExpiresAt > first.accessTokenExpiresAt);
  });

  test('ten concurrent calls refused as UNAUTHENTICATED (a client clock running behind) share one refresh and succeed', async () => {
    const { fetch: counted, counts } = countingFetch('refreshSession', 'projects');
    const behind = () => clock.getTime() - 20 * MINUTE;
    const client = personClient({ fetch: counted, now: behind });
    await client.request(PROJECTS);
    advance(16 * MINUTE); // the server sees the 15-minute token expired; the client's clock does not
    const results = await Promise.all(Array.from({ length: 10 }, () => client.request(PROJECTS)));
    assert.ok(results.every((r) => names(r).length === 1));
    assert.equal(counts.refreshSession, 1);
    assert.equal(counts.projects, 1 + 10 + 10, 'each of the ten was refused once and retried once');
  });

  test('a client started from a stored refresh token refreshes first and keeps rotating it', async () => {
    const signedIn = personClient();
    await signedIn.request(PROJECTS);
    let stored = signedIn.tokens()!.refreshToken;
    const resumed = createClient({ url: api.server.url, refreshToken: stored, now: () => clock.getTime(), onTokens: (t) => void (stored = t.refreshToken) });
    assert.equal(names(await resumed.request(PROJECTS)).length, 1);
    assert.notEqual(stored, signedIn.tokens()!.refreshToken);
    await assert.rejects(resumed.signIn(), TypeError, 'no password to sign in with');
  });

  test('a reused refresh token fails clearly, and the revoked session fails every later call', async () => {
    const { fetch: counted, counts } = countingFetch('/graphql');
    const victim = personClient({ fetch: counted }, victimTenant);
    await victim.request(PROJECTS);
    const copied = victim.tokens()!.refreshToken;
    clock = new Date(victim.tokens()!.accessTokenExpiresAt.getTime() - 5_000);
    await victim.request(PROJECTS); // rotates: `copied` is now retired
    advance(11_000); // past the STANDARD reuse leeway (10 s)
    const thief = createClient({ url: api.server.url, refreshToken: copied, now: () => clock.getTime() });
    await assert.rejects(thief.request(PROJECTS), (err: unknown) => err instanceof SessionEndedError && err.code === 'REFRESH_TOKEN_REUSED' && /sign in again/.test(err.message));
    // Reuse revoked every session of the user: the victim's next call fails, and so does every one after it, without a request.
    const revoked = (err: unknown) => err instanceof SessionEndedError && err.code === 'SESSION_REVOKED';
    await assert.rejects(victim.request(PROJECTS), revoked);
    assert.equal(victim.tokens(), null);
    const sent = counts['/graphql'];
    await assert.rejects(victim.request(PROJECTS), revoked);
    assert.equal(counts['/graphql'], sent);
    // A new sign-in starts over.
    await victim.signIn();
    assert.equal(names(await victim.request(PROJECTS)).length, 1);
  });
});

describe('service-account client', () => {
  let credentials: { clientId: string; clientSecret: string; id: string };
  // The org's OWNER, through the session client.
  const owner = () => personClient();
  before(async () => {
    const d = await owner().request(`mutation { createServiceAccount(name: "example", scopes: ["projects:read"]) { clientId clientSecret serviceAccount { id } } }`);
    credentials = { ...d.createServiceAccount, id: d.createServiceAccount.serviceAccount.id };
  });

  test('fetches one token for concurrent calls, a new one after expiry, and reads only what its scope allows', async () => {
    const { fetch: counted, counts } = countingFetch('/oauth/token');
    const client = createServiceClient({ url: api.server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret, fetch: counted, now: () => clock.getTime() });
    const results = await Promise.all(Array.from({ length: 10 }, () => client.request(PROJECTS)));
    assert.ok(results.every((r) => names(r).length === 1));
    assert.equal(counts['/oauth/token'], 1);
    advance(16 * MINUTE);
    await client.request(PROJECTS);
    assert.equal(counts['/oauth/token'], 2);
    await assert.rejects(client.request(`mutation { createProject(name: "nope") { id } }`), (err: unknown) => err instanceof OrgboundError && err.code === 'FORBIDDEN');
  });

  test('a wrong secret fails with invalid_client; a revoked account with SESSION_REVOKED', async () => {
    const wrong = createServiceClient({ url: api.server.url, clientId: credentials.clientId, clientSecret: 'obs_wrong', now: () => clock.getTime() });
    await assert.rejects(wrong.request(PROJECTS), (err: unknown) => err instanceof OrgboundError && err.code === 'invalid_client');
    const client = createServiceClient({ url: api.server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret, now: () => clock.getTime() });
    await client.request(PROJECTS);
    assert.equal((await owner().request(`mutation($id: ID!) { revokeServiceAccount(id: $id) }`, { id: credentials.id })).revokeServiceAccount, true);
    await assert.rejects(client.request(PROJECTS), (err: unknown) => err instanceof SessionEndedError && err.code === 'SESSION_REVOKED');
  });
});
