import type { Pgbouncer } from './pgbouncer.ts';

export interface PoolPeaks {
  /** Most client connections (the instances' pools) pgbouncer held at once, waiting ones included. */
  readonly clients: number;
  /** Most clients waiting for a server connection at once. */
  readonly waiting: number;
  /** Most server connections (to PostgreSQL) pgbouncer held at once. */
  readonly servers: number;
  readonly samples: number;
}

/** Samples SHOW POOLS for `database` every `everyMs` until stopped; returns the peaks. */
export function watchPool(pgbouncer: Pgbouncer, database: string, everyMs = 50): { stop(): Promise<PoolPeaks> } {
  let peaks: PoolPeaks = { clients: 0, waiting: 0, servers: 0, samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const pool = (await pgbouncer.show('POOLS')).find((p) => p.database === database);
      if (pool) {
        const n = (k: string) => Number(pool[k] ?? 0);
        peaks = {
          clients: Math.max(peaks.clients, n('cl_active') + n('cl_waiting')),
          waiting: Math.max(peaks.waiting, n('cl_waiting')),
          servers: Math.max(peaks.servers, n('sv_active') + n('sv_idle') + n('sv_used') + n('sv_tested') + n('sv_login')),
          samples: peaks.samples + 1,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peaks;
    },
  };
}
