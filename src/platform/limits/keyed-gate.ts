import { rateLimited } from './rate-limiter.ts';

/** Waiters allowed per key; beyond that, RATE_LIMITED at once (a flood on one key costs memory, nothing else). */
const MAX_WAITING_PER_KEY = 256;

/**
 * In-process mutual exclusion per key: `acquire` resolves when every earlier holder of the key has
 * released it. A request waits here before it takes a database connection, so a burst on one key
 * (100 presentations of one refresh token) queues in memory instead of holding pooled connections
 * while it waits on a row lock (issue 15: such a burst used to drain the pool for everyone).
 *
 * A holder (one request) keeps its keys until its transaction ends, and one operation may present
 * keys several times (aliased root fields), so without care one request could wait on itself (the
 * same key twice) or two requests on each other (X then Y beside Y then X). Hence two rules: a
 * holder that already holds `key` passes at once, and a holder that holds any other key never
 * waits: a busy key is RATE_LIMITED for it. Only a request holding nothing waits, so no cycle of
 * waits can form.
 */
export class KeyedGate {
  private readonly queues = new Map<string, { tail: Promise<void>; waiting: number }>();
  private readonly held = new WeakMap<object, Set<string>>();

  /**
   * Waits for `key` on behalf of `holder` (the request's transaction). Raises RATE_LIMITED when
   * MAX_WAITING_PER_KEY are already queued on `key`, or when `holder` holds another key and `key` is
   * busy. Returns the release (idempotent; a no-op when `holder` already held `key`).
   */
  async acquire(key: string, holder: object): Promise<() => void> {
    const mine = this.held.get(holder) ?? new Set<string>();
    if (mine.has(key)) return () => undefined;
    const busy = this.queues.get(key);
    if (busy && (mine.size > 0 || busy.waiting >= MAX_WAITING_PER_KEY)) throw rateLimited();
    const queue = busy ?? { tail: Promise.resolve(), waiting: 0 };
    let open!: () => void;
    const turn = new Promise<void>((resolve) => (open = resolve));
    const previous = queue.tail;
    queue.tail = previous.then(() => turn);
    queue.waiting++;
    this.queues.set(key, queue);
    await previous;
    mine.add(key);
    this.held.set(holder, mine);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      mine.delete(key);
      queue.waiting--;
      if (queue.waiting === 0 && this.queues.get(key) === queue) this.queues.delete(key);
      open();
    };
  }

  /** Keys with a holder or waiters (tests). */
  get size(): number {
    return this.queues.size;
  }
}
