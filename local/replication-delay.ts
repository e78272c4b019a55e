// Slow replication on loopback, for tests that need a replica to lag its master the way it can
// across availability zones. A TCP proxy is put in front of one master (the master announces the
// proxy's port to the cluster, so its replicas reconnect through it); bytes from the master to
// its replicas are held for `delayMs` before they are passed on. Everything else (clients, the
// replicas' acknowledgements) passes straight through. When the master dies, what the proxy
// still holds is dropped, as a dead master's unsent replication stream is: that is exactly the
// data an asynchronous failover loses. Replica connections are recognised by the process that
// owns them (/proc, Linux only): the replica processes are our own children, known by PID.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import type { LocalRedisCluster } from './redis-cluster.js';

export interface ReplicationDelay {
  /** The proxy's port: the port the master now announces. */
  port: number;
  /** Replica links through the proxy open now. */
  replicaLinks(): number;
  /** Changes the delay for bytes received from now on (0: pass straight through). */
  setDelay(ms: number): void;
  /** Closes the proxy; a master still alive announces its own port again. */
  stop(): Promise<void>;
}

/** The socket inode of a loopback TCP connection from local port `from` to port `to` (IPv4). */
async function socketInode(from: number, to: number): Promise<string | null> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = parseInt(cols[1]!.split(':')[1]!, 16);
    const remote = parseInt(cols[2]!.split(':')[1]!, 16);
    if (local === from && remote === to) return cols[9]!;
  }
  return null;
}

async function ownedBy(pids: readonly number[], inode: string): Promise<boolean> {
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === target) return true;
    }
  }
  return false;
}

/** The PIDs of the replicas of the master on `masterPort`, from the cluster's own view. */
async function replicaPids(cluster: LocalRedisCluster, masterPort: number): Promise<number[]> {
  const id = (await cluster.cli(masterPort, ['CLUSTER', 'MYID'])).trim();
  const lines = (await cluster.cli(masterPort, ['CLUSTER', 'NODES'])).trim().split('\n');
  const ports = lines.map((l) => l.split(' ')).filter((f) => f[3] === id).map((f) => Number(/:(\d+)@/.exec(f[1]!)?.[1]));
  return cluster.nodes.filter((n) => ports.includes(n.port)).map((n) => n.pid);
}

/**
 * Puts a delaying proxy in front of the master on `masterPort` and resolves once every replica
 * of it replicates through the proxy (or rejects after `timeoutMs`).
 */
export async function delayReplication(cluster: LocalRedisCluster, masterPort: number, delayMs: number, timeoutMs = 20_000): Promise<ReplicationDelay> {
  const pids = await replicaPids(cluster, masterPort);
  if (pids.length === 0) throw new Error(`the master on port ${masterPort} has no replica to delay`);
  let delay = delayMs;
  const links = new Set<Socket>();
  const sockets = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    void (async () => {
      const inode = await socketInode(client.remotePort ?? -1, server.address() && typeof server.address() === 'object' ? (server.address() as { port: number }).port : -1);
      const isReplica = inode !== null && (await ownedBy(pids, inode));
      const upstream = createConnection({ host: '127.0.0.1', port: masterPort });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      // A dead master takes its unsent stream with it: drop what is held, cut the link at once.
      upstream.on('close', () => client.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
      client.on('data', (b) => upstream.write(b));
      if (!isReplica) {
        upstream.on('data', (b) => client.write(b));
      } else {
        links.add(client);
        client.on('close', () => links.delete(client));
        upstream.on('data', (b) => {
          if (delay === 0) client.write(b);
          else setTimeout(() => !upstream.destroyed && client.write(b), delay);
        });
      }
      client.resume();
    })().catch(() => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const announce = cluster.tls ? 'cluster-announce-tls-port' : 'cluster-announce-port';
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // 0: announce the real port (fails harmlessly when the master is dead).
    await cluster.cli(masterPort, ['CONFIG', 'SET', announce, '0']).catch(() => undefined);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await cluster.cli(masterPort, ['CONFIG', 'SET', announce, String(port)]);
    const deadline = Date.now() + timeoutMs;
    let online = 0;
    while (links.size < pids.length || online < pids.length) {
      if (Date.now() > deadline) throw new Error(`replicas of ${masterPort} did not reconnect through the proxy within ${timeoutMs} ms (${links.size} links, ${online} online)`);
      await new Promise((r) => setTimeout(r, 50));
      const info = await cluster.cli(masterPort, ['INFO', 'replication']);
      online = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, replicaLinks: () => links.size, setDelay: (ms) => (delay = ms), stop };
}
