import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { errorCode, startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, signIn, type Tenant } from '../support/tenants.ts';

const run = promisify(execFile);
let api: TestApi;
let tenant: Tenant;
before(async () => {
  api = await startTestApi();
  tenant = await createTenant(api, 'keys-script');
});
after(async () => {
  await api?.close();
});

function rotate(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/rotate-key.ts', ...args], { env: { ...process.env, DATABASE_URL: api.db.ownerUrl, NODE_ENV: 'test' } });
}

test('npm run keys:rotate retires the global key; its tokens keep verifying, new tokens use the new key', async () => {
  const before = await signIn(api, tenant.email, tenant.orgId);
  const oldKid = decodeProtectedHeader(before.accessToken).kid;
  const { stdout } = await rotate();
  const newKid = /new kid ([0-9a-f-]{36})/.exec(stdout)?.[1];
  assert.ok(newKid && newKid !== oldKid, stdout);
  const rows = await api.db.sql(`select id, retired_at is not null as retired, verify_until > now() as verifying from signing_keys where owner_org_id is null order by created_at`);
  assert.deepEqual(rows.map((r) => [r.id, r.retired, r.verifying]), [
    [oldKid, true, true],
    [newKid, false, null],
  ]);
  // The old token still works; a token issued now is signed with the new key.
  assert.equal((await api.gql(`{ projects { edges { node { id } } } }`, {}, before.accessToken)).errors, undefined);
  const fresh = await signIn(api, tenant.email, tenant.orgId);
  assert.equal(decodeProtectedHeader(fresh.accessToken).kid, newKid);
  assert.equal((await api.gql(`{ viewer { user { id } } }`, {}, fresh.accessToken)).errors, undefined);
  const events = await api.db.sql(`select detail from security_events where type = 'SIGNING_KEY_ROTATED' and org_id is null`);
  assert.equal(events.length, 1);
  assert.equal(events[0].detail.retired, oldKid);
});

test('--org for an organization without a dedicated key fails with a clear message and changes nothing', async () => {
  const keys = await api.db.sql(`select id from signing_keys order by id`);
  await assert.rejects(rotate('--org', tenant.orgId), (err: { code?: number; stderr?: string }) => err.code === 1 && /has no dedicated signing key/.test(err.stderr ?? ''));
  await assert.rejects(rotate('--org', 'not-a-uuid'), (err: { stderr?: string }) => /must be an organization id/.test(err.stderr ?? ''));
  assert.deepEqual(await api.db.sql(`select id from signing_keys order by id`), keys);
  assert.equal(errorCode(await api.gql(`{ viewer { user { id } } }`, {}, 'garbage')), 'UNAUTHENTICATED');
});
