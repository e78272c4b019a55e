// Spawning one node: its directory, log file, command line, and the wait for its first PONG.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliOf } from './cli.js';
import { liveChildren, sleep } from './processes.js';
import type { Secure } from './security.js';

export interface SpawnedNode {
  host: string;
  port: number;
  pid: number;
  dir: string;
  log: string;
  child: ChildProcess;
  exited: boolean;
  /** redis-cli connection flags (TLS, credentials) for this node. */
  connection: string[];
  /** The cli of the node's engine (redis-cli or valkey-cli). */
  cli: string;
}


async function tail(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function logTails(nodes: SpawnedNode[]): Promise<string> {
  const parts = await Promise.all(nodes.map(async (n) => `--- ${n.host}:${n.port} (pid ${n.pid}) ${n.log}\n${await tail(n.log)}`));
  return parts.join('\n');
}

export function spawnNode(
  { server: serverBin, cli }: { server: string; cli: string },
  host: string,
  port: number,
  dir: string,
  settings: Record<string, string>,
  secure: Secure,
): SpawnedNode {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'redis.log');
  const listen = secure.tls
    ? [
        '--port', '0',
        '--tls-port', String(port),
        '--tls-cert-file', secure.tls.certFile,
        '--tls-key-file', secure.tls.keyFile,
        '--tls-ca-cert-file', secure.tls.caFile,
        '--tls-auth-clients', 'no', // clients prove themselves with ACL credentials, as on ElastiCache
        '--tls-replication', 'yes',
        '--tls-cluster', 'yes',
      ]
    : ['--port', String(port)];
  const auth = secure.aclFile && secure.admin ? ['--aclfile', secure.aclFile, '--masteruser', secure.admin.username, '--masterauth', secure.admin.password] : [];
  const args = [
    ...listen,
    ...auth,
    '--bind', host,
    '--protected-mode', 'no',
    '--cluster-enabled', 'yes',
    '--cluster-config-file', join(dir, 'nodes.conf'),
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
  ];
  for (const [key, value] of Object.entries(settings)) args.push(`--${key.replace(/^-+/, '')}`, value);

  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(serverBin, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  if (child.pid === undefined) throw new Error(`failed to spawn ${serverBin} on port ${port}`);
  const node: SpawnedNode = { host, port, pid: child.pid, dir, log, child, exited: false, connection: secure.connection, cli };
  liveChildren.set(node.pid, child);
  // A pid file per node lets a human (or a later script) stop exactly this process by PID.
  writeFileSync(join(dir, 'redis.pid'), `${node.pid}\n`);
  child.once('exit', () => {
    node.exited = true;
    liveChildren.delete(node.pid);
  });
  child.on('error', () => undefined); // surfaced through `exited` / the log instead
  child.unref(); // a running node must not keep the test runner's event loop alive
  return node;
}

export async function waitForPing(node: SpawnedNode, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (node.exited) throw new Error(`redis-server on ${node.host}:${node.port} exited during start-up`);
    try {
      if ((await cliOf(node, ['PING'])).trim() === 'PONG') return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`redis-server on ${node.host}:${node.port} did not answer PING in time`);
}
