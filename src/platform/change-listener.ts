import pg from 'pg';
import type { Logger } from './observability/logger.ts';

/** Channel on which a committed signing-key change (created, rotated, retired) is announced. */
export const KEYS_CHANNEL = 'orgbound_keys';
/** The listening connection's application_name (pg_stat_activity; the cluster test looks for it). */
export const LISTEN_APPLICATION_NAME = 'orgbound listen';

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * One session-level connection per instance that LISTENs for changes other instances commit, so the
 * in-process copies they affect (the key ring) follow at once instead of at their next periodic
 * reload. LISTEN needs a session: behind pgbouncer in transaction mode this connection must go to
 * PostgreSQL directly (DIRECT_DATABASE_URL). A notification sent while the connection was down is
 * lost, so every (re)connection first runs `resync` (a full reload) and only then listens on.
 * Reconnects with exponential backoff (250 ms to 5 s) until closed.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connected: Promise<void> | undefined;
  /** Times connected (the first connection included); tests and logs read it. */
  connections = 0;

  constructor(
    private readonly url: string,
    private readonly handlers: Readonly<Record<string, (payload: string) => Promise<void>>>,
    private readonly resync: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Connects and listens; resolves after the first successful connection (or rejects on its failure). */
  start(): Promise<void> {
    this.connected ??= this.connect();
    return this.connected;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: LISTEN_APPLICATION_NAME, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (msg) => {
      const handler = this.handlers[msg.channel];
      handler?.(msg.payload ?? '').catch((err: unknown) => this.logger.warn({ channel: msg.channel, err: String(err) }, 'change notification handler failed'));
    });
    try {
      await client.connect();
      for (const channel of Object.keys(this.handlers)) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.connections++;
    // Listening before the resync: a change committed in between is both reloaded and announced.
    if (this.connections > 1) {
      await this.resync().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'resync after reconnecting the change listener failed'));
      this.logger.info({ connections: this.connections }, 'change listener reconnected; caches reloaded');
    }
  }

  private lost(client: pg.Client, err: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn({ err: err ? String(err) : 'connection ended' }, 'change listener lost its connection; reconnecting');
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt++);
    this.timer = setTimeout(() => {
      this.connect().catch((err: unknown) => {
        this.logger.warn({ err: String(err), retry_in_ms: Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) }, 'change listener could not reconnect');
        this.schedule();
      });
    }, delay);
  }

  get isListening(): boolean {
    return this.client !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
