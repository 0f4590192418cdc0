/**
 * The operator CLI (`npm run orgbound -- <command>`, scripts/orgbound.ts), run as a child process
 * against this file's test database with its owner URL, as an operator would.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { errorCode, startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, signIn, type Tenant } from '../support/tenants.ts';

const run = promisify(execFile);
let api: TestApi;
let a: Tenant;
let b: Tenant;
before(async () => {
  api = await startTestApi();
  a = await createTenant(api, 'cli-a');
  b = await createTenant(api, 'cli-b');
});
after(async () => {
  await api?.close();
});

function orgbound(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/orgbound.ts', ...args], { env: { ...process.env, DATABASE_URL: api.db.ownerUrl, NODE_ENV: 'test' } });
}

test('help, and an unknown command fails with the usage', async () => {
  const { stdout } = await orgbound('help');
  for (const command of ['orgs', 'revoke-sessions', 'rotate-key', 'export-audit']) assert.ok(stdout.includes(command), stdout);
  await assert.rejects(orgbound('nope'), (err: { code?: number; stderr?: string }) => err.code === 1 && /unknown command/.test(err.stderr ?? '') && /usage:/.test(err.stderr ?? ''));
});

test('orgs lists every organization with its tier and member count', async () => {
  const { stdout, stderr } = await orgbound('orgs');
  const rows = stdout.trim().split('\n').map((l) => l.split('\t'));
  for (const t of [a, b]) {
    const row = rows.find((r) => r[0] === t.orgId);
    assert.ok(row, stdout);
    assert.deepEqual(row.slice(1, 3), ['STANDARD', '1']);
  }
  assert.match(stderr, /2 organizations/);
});

test('revoke-sessions --user <email> ends every session of that user and records an event', async () => {
  const extra = await signIn(api, a.email, a.orgId);
  const { stdout } = await orgbound('revoke-sessions', '--user', a.email.toUpperCase());
  assert.match(stdout, /revoked [1-9]\d* sessions?/);
  assert.equal(errorCode(await api.gql(`{ viewer { user { id } } }`, {}, extra.accessToken)), 'SESSION_REVOKED');
  assert.equal(errorCode(await api.gql(`{ viewer { user { id } } }`, {}, a.token)), 'SESSION_REVOKED');
  // B is untouched.
  assert.equal((await api.gql(`{ viewer { user { id } } }`, {}, b.token)).errors, undefined);
  const events = await api.db.sql(`select detail from security_events where type = 'SESSIONS_REVOKED_ALL' and user_id = $1`, [a.userId]);
  assert.equal(events.length, 1);
  assert.equal(events[0].detail.by, 'operator');
  await assert.rejects(orgbound('revoke-sessions', '--user', 'nobody@example.test'), (err: { stderr?: string }) => /no user/.test(err.stderr ?? ''));
  await assert.rejects(orgbound('revoke-sessions'), (err: { stderr?: string }) => /needs --user/.test(err.stderr ?? ''));
});

test('rotate-key rotates the global key', async () => {
  const { stdout } = await orgbound('rotate-key');
  assert.match(stdout, /new kid [0-9a-f-]{36}/);
  await assert.rejects(orgbound('rotate-key', '--org', a.orgId), (err: { stderr?: string }) => /has no dedicated signing key/.test(err.stderr ?? ''));
});

test('export-audit writes the org’s events as JSON lines, oldest first, with a progress line', async () => {
  const { stdout, stderr } = await orgbound('export-audit', '--org', a.orgId);
  const events = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.length >= 1);
  assert.ok(events.every((e) => e.organizationId === a.orgId));
  assert.ok(events.some((e) => e.type === 'SIGN_IN_SUCCEEDED'));
  const times = events.map((e) => Date.parse(e.at));
  assert.deepEqual(times, [...times].sort((x, y) => x - y));
  assert.ok(!stdout.includes(b.orgId));
  assert.match(stderr, new RegExp(`exported ${events.length}/${events.length} events`));
  const later = await orgbound('export-audit', '--org', a.orgId, '--since', new Date(Date.now() + 3_600_000).toISOString());
  assert.equal(later.stdout, '');
  await assert.rejects(orgbound('export-audit', '--org', a.orgId, '--since', 'yesterday'), (err: { stderr?: string }) => /--since must be/.test(err.stderr ?? ''));
  await assert.rejects(orgbound('export-audit'), (err: { stderr?: string }) => /needs --org/.test(err.stderr ?? ''));
});
