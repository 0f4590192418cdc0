/**
 * Writes that run after a response has been sent, tracked so that a shutdown waits for them
 * (src/app/server.ts close) and tests can wait for them (`idle`). Each handles its own failure: one that
 * escapes is reported to `onError` and dropped, never thrown into a request.
 */
export class DeferredWrites {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Starts `work` now, without waiting for it. */
  run(work: () => Promise<void>): void {
    const p: Promise<void> = work()
      .catch((err: unknown) => this.onError(err))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every write started so far (and any they start) has ended. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
