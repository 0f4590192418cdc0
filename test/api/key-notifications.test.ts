/**
 * Signing-key changes reach every instance at once (issue 9): a key created or rotated on one
 * instance is announced with NOTIFY at commit, and every other instance's LISTEN connection reloads its
 * key ring (before: the periodic reload, up to 30 s for JWKS and 60 s for a retirement). A lost LISTEN
 * connection reconnects with backoff and reloads everything first, since what was announced in between
 * is gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rotateSigningKey } from '../../src/platform/keys/key-ring.ts';
import { ChangeListener, LISTEN_APPLICATION_NAME } from '../../src/platform/change-listener.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { createTestDatabase, startTestApi, type TestApi, type TestDatabase } from '../support/harness.ts';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

describe('two instances: key changes', () => {
  let db: TestDatabase;
  let one: TestApi;
  let two: TestApi;
  before(async () => {
    db = await createTestDatabase();
    one = await startTestApi({ db });
    two = await startTestApi({ db });
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  const globalKid = async () => (await db.sql<{ id: string }>(`select id from signing_keys where owner_org_id is null and retired_at is null`))[0]!.id;
  const jwksKids = async (api: TestApi) => (await api.server.services.keys.jwks()).keys.map((k) => k.kid);

  test('a rotation on instance 1 is in instance 2 key ring at once: the new key in JWKS, the old one retired', async () => {
    const old = await globalKid();
    const { active } = await one.server.services.orm.em.fork().transactional((tx) => rotateSigningKey(tx, one.server.services.config.kek, null, 960, new Date()));
    const jwksMs = await until('instance 2 publishes the new key', async () => (await jwksKids(two)).includes(active));
    await until('instance 2 sees the old key retired', async () => (await two.server.services.keys.find(old))?.retiredAt != null);
    console.log(`# key rotation reached instance 2 in ${jwksMs} ms`);
  });

  test("each instance's LISTEN connection is its own, named for pg_stat_activity", async () => {
    const rows = await db.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = $2`, [db.name, LISTEN_APPLICATION_NAME]);
    assert.equal(rows[0]!.n, 2);
    assert.equal(one.server.changeListener.isListening, true);
  });
});

describe('ChangeListener', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test('delivers notifications, and after its connection is killed reconnects, resyncs, and delivers again', async () => {
    const seen: string[] = [];
    let resyncs = 0;
    const listener = new ChangeListener(db.appUrl, { test_channel: async (p) => void seen.push(p) }, async () => void resyncs++, createLogger('silent'));
    await listener.start();
    try {
      const notify = (payload: string) => db.sql(`select pg_notify('test_channel', $1)`, [payload]);
      await notify('one');
      await until('first notification', () => seen.includes('one'));
      assert.equal(resyncs, 0, 'no resync on the first connection');

      await db.sql(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2`, [db.name, LISTEN_APPLICATION_NAME]);
      const reconnectMs = await until('reconnected', () => listener.connections === 2 && listener.isListening);
      assert.equal(resyncs, 1, 'a full reload after reconnecting');
      await notify('two');
      await until('notification after the reconnect', () => seen.includes('two'));
      console.log(`# change listener reconnected in ${reconnectMs} ms`);
    } finally {
      await listener.close();
    }
    // Closed: killing nothing, notifying nothing, and no reconnect attempts keep the process alive.
    const rows = await db.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = $2`, [db.name, LISTEN_APPLICATION_NAME]);
    assert.equal(rows[0]!.n, 0);
  });

  test('a connection that cannot be made fails start() (a wrong DIRECT_DATABASE_URL stops the server at boot)', async () => {
    const url = new URL(db.appUrl);
    url.port = '9'; // nothing listens there (a wrong password would pass on a trust-auth server)
    const listener = new ChangeListener(url.toString(), { test_channel: async () => undefined }, async () => undefined, createLogger('silent'));
    await assert.rejects(listener.start(), (err: Error) => err instanceof Error);
    await listener.close();
  });
});
