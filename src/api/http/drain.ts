import type { Server, ServerResponse } from 'node:http';

/**
 * Tracks the requests a server is serving so that closing it can let them finish (graceful
 * shutdown, README "Operating orgbound"). Attach it before the server serves its first request.
 */
export class RequestTracker {
  private readonly open = new Set<ServerResponse>();
  private readonly whenEmpty: (() => void)[] = [];
  private draining = false;

  constructor(private readonly server: Server) {
    // Before the app's own listener, so the response can still be told to close its connection.
    server.prependListener('request', (_req, res: ServerResponse) => this.track(res));
  }

  get inFlight(): number {
    return this.open.size;
  }

  /**
   * Stops accepting connections at once (new ones are refused), closes idle keep-alive connections,
   * lets the requests in flight finish (each then closes its connection: `Connection: close`), and
   * cuts whatever connection is still open after `timeoutMs`. Resolves, once every connection is
   * closed, with how many requests were cut.
   */
  async drain(timeoutMs: number): Promise<{ cut: number }> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const res of this.open) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutMs)));
    // Done when the server has closed and every response has emitted 'close' (its log line is written
    // then): the socket's close and the response's are separate events whose order Node does not fix.
    const outcome = await Promise.race([closed.then(() => this.allClosed()).then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    const cut = outcome === 'deadline' ? this.open.size : 0;
    if (outcome === 'deadline') {
      this.server.closeAllConnections();
      await closed;
      await this.allClosed();
    }
    return { cut };
  }

  private track(res: ServerResponse): void {
    this.open.add(res);
    if (this.draining) res.setHeader('Connection', 'close'); // a request that slipped in on a kept-alive connection
    res.once('close', () => {
      this.open.delete(res);
      // Resolved after this event's other listeners ran (promise callbacks wait for the emit to finish).
      if (this.open.size === 0) for (const resolve of this.whenEmpty.splice(0)) resolve();
      // A response whose headers went out before the drain began leaves its connection idle: close it.
      if (this.draining) setImmediate(() => this.server.closeIdleConnections());
    });
  }

  private allClosed(): Promise<void> {
    return this.open.size === 0 ? Promise.resolve() : new Promise((resolve) => this.whenEmpty.push(resolve));
  }
}
