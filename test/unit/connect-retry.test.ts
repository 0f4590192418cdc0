/**
 * retryWhileUnreachable (src/app/operations/connect-retry.ts), used by `npm start` while the database is not up
 * yet: exponential backoff from 250 ms to 5 s, only for connection-class errors, and not past the
 * total. A virtual clock: each wait advances it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay, retryWhileUnreachable } from '../../src/app/operations/connect-retry.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const wrongPassword = () => Object.assign(new Error('password authentication failed for user "orgbound_app"'), { code: '28P01' });

/** A clock that only moves when the retry loop waits, and the waits it was asked for. */
function virtualTime() {
  let t = 0;
  const waits: number[] = [];
  return { waits, now: () => t, sleep: async (ms: number) => void (waits.push(ms), (t += ms)) };
}

describe('retryWhileUnreachable', () => {
  test('backoff doubles from 250 ms and stays at 5 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n)), [250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  test('retries a refused connection until it succeeds, reporting each failed attempt', async () => {
    const time = virtualTime();
    const reported: number[] = [];
    const result = await retryWhileUnreachable(
      async (attempt) => {
        if (attempt < 4) throw refused();
        return `up at attempt ${attempt}`;
      },
      { totalMs: 60_000, ...time, onRetry: ({ attempt }) => reported.push(attempt) },
    );
    assert.equal(result, 'up at attempt 4');
    assert.deepEqual(time.waits, [250, 500, 1000]);
    assert.deepEqual(reported, [1, 2, 3]);
  });

  test('a wrong password fails at once, without waiting', async () => {
    const time = virtualTime();
    let calls = 0;
    await assert.rejects(
      retryWhileUnreachable(async () => {
        calls++;
        throw wrongPassword();
      }, { totalMs: 60_000, ...time }),
      /password authentication failed/,
    );
    assert.equal(calls, 1);
    assert.deepEqual(time.waits, []);
  });

  test('a non-connection error after some refusals stops the retries (a failed migration)', async () => {
    const time = virtualTime();
    await assert.rejects(
      retryWhileUnreachable(async (attempt) => {
        throw attempt < 3 ? refused() : new Error('migration failed: syntax error');
      }, { totalMs: 60_000, ...time }),
      /migration failed/,
    );
    assert.deepEqual(time.waits, [250, 500]);
  });

  test('gives up with the last connection error once the total would be exceeded', async () => {
    const time = virtualTime();
    let calls = 0;
    await assert.rejects(
      retryWhileUnreachable(async () => {
        calls++;
        throw refused();
      }, { totalMs: 20_000, ...time }),
      (err: { code?: string }) => err.code === 'ECONNREFUSED',
    );
    // 250 + 500 + 1000 + 2000 + 4000 + 5000 + 5000 = 17 750 ms waited; one more 5 s wait would pass 20 s.
    assert.deepEqual(time.waits, [250, 500, 1000, 2000, 4000, 5000, 5000]);
    assert.equal(calls, 8);
    assert.ok(time.now() <= 20_000);
  });
});
