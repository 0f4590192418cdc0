import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorCode, startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, signIn, signUp, type Tenant } from '../support/tenants.ts';

/** A clock the tests move by hand. */
let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

let api: TestApi;
let tenant: Tenant;
before(async () => {
  api = await startTestApi({ now: () => clock });
  tenant = await createTenant(api, 'sessions');
});
after(async () => {
  await api?.close();
});

const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken refreshTokenExpiresAt session { id } activeOrganization { id } } }`;
const VIEWER = `{ viewer { user { id } session { id } } }`;

async function refresh(token: string) {
  return api.gql(REFRESH, { t: token });
}

describe('rotation', () => {
  test('a chain of 20 rotations: each token works once, the last one is the only live token', async () => {
    const s = await signIn(api, tenant.email, tenant.orgId);
    let current = s.refreshToken;
    const seen = new Set([current]);
    for (let i = 0; i < 20; i++) {
      advance(60_000); // outside the 10 s leeway
      const r = await refresh(current);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.refreshSession.session.id, s.sessionId);
      assert.equal(r.data.refreshSession.activeOrganization.id, tenant.orgId);
      assert.ok(!seen.has(r.data.refreshSession.refreshToken));
      current = r.data.refreshSession.refreshToken;
      seen.add(current);
      assert.equal((await api.gql(VIEWER, {}, r.data.refreshSession.accessToken)).errors, undefined);
    }
    const live = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1 and rotated_at is null`, [s.sessionId]);
    assert.equal(live[0].n, 1);
    const all = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1`, [s.sessionId]);
    assert.equal(all[0].n, 21);
  });

  test('grand-parent reuse → REFRESH_TOKEN_REUSED and every session of the user is dead; others untouched', async () => {
    const email = `reuse-${randomUUID()}@example.test`;
    await signUp(api, email);
    const deviceA = await signIn(api, email);
    const deviceB = await signIn(api, email);
    const bystander = await signIn(api, tenant.email, tenant.orgId);
    const t0 = deviceA.refreshToken;
    advance(60_000);
    const r1 = await refresh(t0);
    advance(60_000);
    const r2 = await refresh(r1.data.refreshSession.refreshToken);
    assert.equal(r2.errors, undefined);
    advance(60_000);
    const reuse = await refresh(t0);
    assert.equal(errorCode(reuse), 'REFRESH_TOKEN_REUSED');
    for (const access of [deviceA.accessToken, deviceB.accessToken, r2.data.refreshSession.accessToken]) {
      assert.equal(errorCode(await api.gql(VIEWER, {}, access)), 'SESSION_REVOKED');
    }
    assert.equal(errorCode(await refresh(r2.data.refreshSession.refreshToken)), 'SESSION_REVOKED');
    assert.equal(errorCode(await refresh(deviceB.refreshToken)), 'SESSION_REVOKED');
    assert.equal((await api.gql(VIEWER, {}, bystander.accessToken)).errors, undefined);
    const events = await api.db.sql(`select type from security_events where type = 'REFRESH_TOKEN_REUSED' and session_id = $1`, [deviceA.sessionId]);
    assert.equal(events.length, 1);
  });

  test('a retry within the leeway returns the same successor and leaves one live chain', async () => {
    const s = await signIn(api, tenant.email, tenant.orgId);
    const first = await refresh(s.refreshToken);
    advance(3_000);
    const retry = await refresh(s.refreshToken);
    assert.equal(retry.errors, undefined, JSON.stringify(retry.errors));
    assert.equal(retry.data.refreshSession.refreshToken, first.data.refreshSession.refreshToken);
    advance(60_000);
    const next = await refresh(retry.data.refreshSession.refreshToken);
    assert.equal(next.errors, undefined);
    const live = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1 and rotated_at is null`, [s.sessionId]);
    assert.equal(live[0].n, 1);
  });
});
