/**
 * KeyedGate (src/platform/limits/keyed-gate.ts): one holder per key, waiters in order, and no cycle of
 * waits: a holder passes its own key again at once, and a holder of another key is refused instead
 * of waiting (an operation with aliased refreshSession fields used to wait on itself for ever).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../src/core/errors.ts';
import { KeyedGate } from '../../src/platform/limits/keyed-gate.ts';

/** Settles within a few turns of the event loop, or reports 'waiting'. */
async function outcome(p: Promise<unknown>): Promise<'acquired' | 'waiting' | string> {
  const settled = p.then(
    () => 'acquired',
    (err: unknown) => (err instanceof AppError ? String(err.extensions.code) : `threw ${String(err)}`),
  );
  const waiting = new Promise<string>((resolve) => setImmediate(() => setImmediate(() => resolve('waiting'))));
  return Promise.race([settled, waiting]);
}

describe('KeyedGate', () => {
  const cases: { name: string; held: [holder: number, key: string][]; ask: [holder: number, key: string]; expect: string }[] = [
    { name: 'a free key, holding nothing', held: [], ask: [1, 'x'], expect: 'acquired' },
    { name: 'a free key, holding another', held: [[1, 'y']], ask: [1, 'x'], expect: 'acquired' },
    { name: 'its own key again', held: [[1, 'x']], ask: [1, 'x'], expect: 'acquired' },
    { name: "another's key, holding nothing", held: [[2, 'x']], ask: [1, 'x'], expect: 'waiting' },
    { name: "another's key, holding one of its own", held: [[2, 'x'], [1, 'y']], ask: [1, 'x'], expect: 'RATE_LIMITED' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const gate = new KeyedGate();
      const holders = new Map<number, object>();
      const holder = (n: number) => holders.get(n) ?? holders.set(n, { n }).get(n)!;
      for (const [n, key] of c.held) await gate.acquire(key, holder(n));
      assert.equal(await outcome(gate.acquire(c.ask[1], holder(c.ask[0]))), c.expect);
    });
  }

  test('waiters get the key in order, each once the one before released it; the gate forgets released keys', async () => {
    const gate = new KeyedGate();
    const order: number[] = [];
    const first = await gate.acquire('x', { n: 1 });
    const later = [2, 3, 4].map((n) => gate.acquire('x', { n }).then((release) => (order.push(n), release)));
    assert.deepEqual(order, []);
    first();
    for (const p of later) (await p)();
    assert.deepEqual(order, [2, 3, 4]);
    assert.equal(gate.size, 0);
  });

  test('two holders crossing keys (X then Y beside Y then X): one is refused, neither waits for ever', async () => {
    const gate = new KeyedGate();
    const a = { n: 'a' };
    const b = { n: 'b' };
    const releaseAx = await gate.acquire('x', a);
    const releaseBy = await gate.acquire('y', b);
    assert.equal(await outcome(gate.acquire('y', a)), 'RATE_LIMITED');
    assert.equal(await outcome(gate.acquire('x', b)), 'RATE_LIMITED');
    releaseAx();
    releaseBy();
    assert.equal(gate.size, 0);
  });

  test('a release is idempotent, and the release of a key held twice by one holder is released once', async () => {
    const gate = new KeyedGate();
    const h = {};
    const release = await gate.acquire('x', h);
    const again = await gate.acquire('x', h);
    again();
    const other = gate.acquire('x', {});
    assert.equal(await outcome(other), 'waiting', 'the second acquire by the holder does not release the key');
    release();
    release();
    (await other)();
    assert.equal(gate.size, 0);
  });

  test('a flood on one key: beyond 256 waiters, RATE_LIMITED at once', async () => {
    const gate = new KeyedGate();
    await gate.acquire('x', {});
    const waiters = Array.from({ length: 255 }, () => gate.acquire('x', {}));
    assert.equal(await outcome(gate.acquire('x', {})), 'RATE_LIMITED');
    void waiters;
  });
});
