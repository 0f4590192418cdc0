import type { MikroORM } from '@mikro-orm/postgresql';

/** The parts of knex's tarn pool the recorder needs: its events and whether anything is still out. */
interface TarnPool {
  on(event: 'acquireSuccess', listener: (eventId: number, connection: PgConnection) => void): void;
  removeListener(event: 'acquireSuccess', listener: (eventId: number, connection: PgConnection) => void): void;
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

interface PgConnection {
  query(config: unknown, ...rest: unknown[]): unknown;
}

/**
 * Every statement the server's ORM sends, seen on the wire side of knex: each pg connection of the
 * ORM's pool has its `query` wrapped the first time it is handed out. Hooking knex's client instead
 * would miss BEGIN/COMMIT: knex runs them through a transaction client built from the client's
 * prototype, not through the instance. Raw `em.execute` and the entity queries go the same way.
 */
export class StatementRecorder {
  private readonly wrapped = new WeakSet<PgConnection>();
  /** The open recording, if any: statements outside `record` (seeding, sign-in) are not kept. */
  private statements: string[] | null = null;
  /** The open recording with the connection each statement went on (recordByConnection). */
  private sent: { connection: PgConnection; text: string }[] | null = null;
  private readonly pool: TarnPool;
  private readonly onAcquire = (_id: number, connection: PgConnection) => this.wrap(connection);

  constructor(orm: MikroORM) {
    const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
    if (!pool) throw new Error('the ORM has no connection pool yet');
    this.pool = pool;
    pool.on('acquireSuccess', this.onAcquire);
  }

  /** The statements sent from the start of `request` until the pool is idle again after it. */
  async record<T>(request: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    await this.idle();
    const statements: string[] = [];
    this.statements = statements;
    try {
      const result = await request();
      await this.idle(); // anything run after the response (afterFinish hooks) still counts
      return { result, statements };
    } finally {
      this.statements = null;
    }
  }

  /**
   * The statements sent from the start of `request` until it resolves (not waiting for work after the
   * response), grouped by connection, in the order each connection was first used: the first group is
   * the request's own transaction.
   */
  async recordByConnection<T>(request: () => Promise<T>): Promise<{ result: T; byConnection: string[][] }> {
    await this.idle();
    const sent: { connection: PgConnection; text: string }[] = [];
    this.sent = sent;
    try {
      const result = await request();
      const groups = new Map<PgConnection, string[]>();
      for (const { connection, text } of sent) groups.set(connection, [...(groups.get(connection) ?? []), text]);
      return { result, byConnection: [...groups.values()] };
    } finally {
      this.sent = null;
    }
  }

  detach(): void {
    this.pool.removeListener('acquireSuccess', this.onAcquire);
  }

  private wrap(connection: PgConnection): void {
    if (this.wrapped.has(connection)) return;
    this.wrapped.add(connection);
    const query = connection.query.bind(connection);
    connection.query = (config: unknown, ...rest: unknown[]) => {
      const text = typeof config === 'string' ? config : String((config as { text?: unknown }).text);
      this.statements?.push(text);
      this.sent?.push({ connection, text });
      return query(config, ...rest);
    };
  }

  async idle(): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (this.pool.numUsed() + this.pool.numPendingAcquires() + this.pool.numPendingCreates() > 0) {
      if (Date.now() > deadline) throw new Error('the ORM pool did not become idle');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

