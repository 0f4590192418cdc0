import assert from 'node:assert/strict';
import { LISTEN_APPLICATION_NAME } from '../../src/platform/change-listener.ts';
import { RATE_LIMIT_APPLICATION_NAME } from '../../src/platform/limits/rate-limit-buckets.queries.ts';
import type { Cluster } from '../lib/cluster.ts';
import { gql } from '../lib/graphql.ts';
import { tcpConnectionsOf } from '../lib/sockets.ts';

export interface ListenFigures {
  /** Per instance: its LISTEN backend's pid, and how many connections it holds to pgbouncer. */
  readonly instances: readonly { name: string; listenBackendPid: number; pgbouncerConnections: number }[];
}

/**
 * Each instance's LISTEN connection goes straight to PostgreSQL (DIRECT_DATABASE_URL), and so do its
 * rate-limit counters (a pool of at most 4); the request transactions go through pgbouncer. Seen from
 * three sides: PostgreSQL's pg_stat_activity, pgbouncer's SHOW SERVERS (none of its server connections
 * is a listener), and the instance processes' own sockets (/proc).
 */
export async function checkListenBypassesPgbouncer(cluster: Cluster): Promise<ListenFigures> {
  const { database, pgbouncer, instances } = cluster;
  // A request on each instance, so each holds pooled connections to look at as well.
  for (const instance of instances) assert.equal((await gql(instance.url, '{ __typename }')).status, 200);

  const listeners = await database.sql<{ pid: number; client_port: number; usename: string; query: string }>(
    `select pid, client_port, usename, query from pg_stat_activity where datname = $1 and application_name = $2`,
    [database.server.database, LISTEN_APPLICATION_NAME],
  );
  assert.equal(listeners.length, instances.length, `one '${LISTEN_APPLICATION_NAME}' backend per instance: ${JSON.stringify(listeners)}`);
  for (const l of listeners) {
    assert.equal(l.usename, 'orgbound_app', 'the listener runs as the confined runtime role');
    assert.match(l.query, /^listen /i, 'the backend is LISTENing');
  }

  const viaPgbouncer = new Set((await pgbouncer.show('SERVERS')).map((s) => Number(s.local_port)));
  assert.ok(listeners.every((l) => !viaPgbouncer.has(l.client_port)), 'a listener is one of pgbouncer\'s server connections');
  const clients = await pgbouncer.show('CLIENTS');
  assert.ok(clients.every((c) => c.application_name !== LISTEN_APPLICATION_NAME), 'a listener connected to pgbouncer');

  const counters = new Set(
    (
      await database.sql<{ client_port: number }>(`select client_port from pg_stat_activity where datname = $1 and application_name = $2`, [
        database.server.database,
        RATE_LIMIT_APPLICATION_NAME,
      ])
    ).map((r) => r.client_port),
  );
  const pgbouncerPort = Number(new URL(pgbouncer.appUrl).port);
  return {
    instances: instances.map((instance) => {
      const sockets = tcpConnectionsOf(instance.pid);
      const direct = sockets.filter((s) => s.remotePort === database.server.port);
      const own = direct.filter((d) => listeners.some((l) => l.client_port === d.localPort));
      assert.equal(own.length, 1, `${instance.name} holds ${own.length} direct LISTEN connections, not 1`);
      const others = direct.filter((d) => !listeners.some((l) => l.client_port === d.localPort));
      assert.ok(others.every((d) => counters.has(d.localPort)), `${instance.name} holds a direct connection that is neither its listener nor a rate-limit counter`);
      const backend = listeners.find((l) => l.client_port === own[0]!.localPort)!;
      return { name: instance.name, listenBackendPid: backend.pid, pgbouncerConnections: sockets.filter((s) => s.remotePort === pgbouncerPort).length };
    }),
  };
}
