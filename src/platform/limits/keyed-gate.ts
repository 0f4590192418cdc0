import { rateLimited } from './rate-limiter.ts';

/** Waiters allowed per key; beyond that, RATE_LIMITED at once (a flood on one key costs memory, nothing else). */
const MAX_WAITING_PER_KEY = 256;

/**
 * In-process mutual exclusion per key: `acquire` resolves when every earlier holder of the key has
 * released it. A request waits here before it takes a database connection, so a burst on one key
 * (100 presentations of one refresh token) queues in memory instead of holding pooled connections
 * while it waits on a row lock (issue 15: such a burst used to drain the pool for everyone).
 */
export class KeyedGate {
  private readonly queues = new Map<string, { tail: Promise<void>; waiting: number }>();

  /** Raises RATE_LIMITED when MAX_WAITING_PER_KEY are already queued on `key`. Returns the release (idempotent). */
  async acquire(key: string): Promise<() => void> {
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (queue.waiting >= MAX_WAITING_PER_KEY) throw rateLimited();
    let open!: () => void;
    const mine = new Promise<void>((resolve) => (open = resolve));
    const previous = queue.tail;
    queue.tail = previous.then(() => mine);
    queue.waiting++;
    this.queues.set(key, queue);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
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
