import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface TcpConnection {
  readonly localPort: number;
  readonly remotePort: number;
}

/**
 * The established TCP connections a process holds open, read from Linux's /proc: which sockets the
 * process's file descriptors are, and where each one goes. Lets a check see where an instance's
 * connections lead (pgbouncer or PostgreSQL) without trusting the instance to say.
 */
export function tcpConnectionsOf(pid: number): TcpConnection[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = safely(() => readlinkSync(`/proc/${pid}/fd/${fd}`)) ?? '';
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const connections: TcpConnection[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = (safely(() => readFileSync(`/proc/${pid}/net/${table}`, 'utf8')) ?? '').split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const [, local, remote, state] = fields;
      if (!local || !remote || state !== '01' || !inodes.has(fields[9] ?? '')) continue; // 01: ESTABLISHED
      connections.push({ localPort: portOf(local), remotePort: portOf(remote) });
    }
  }
  return connections;
}

function portOf(address: string): number {
  return parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined; // the fd closed or the table is absent (no IPv6) while we looked
  }
}
