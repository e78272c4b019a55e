// A throwaway Redis Cluster on loopback for integration tests and local runs.
//
// Why this shape:
// - Real redis-server processes (not a mock) so cluster behaviour — slot ownership, MOVED,
//   cross-node pipelines — is the real thing ioredis will meet in ElastiCache.
// - Every node logs to a file, never to a pipe: a background redis-server keeps an inherited
//   pipe open and the caller would hang (FIELD-NOTES).
// - We only ever signal PIDs we spawned ourselves (never by name): other Redis servers, such as
//   the standalone one on :6379, must not be touched.
// - Nodes are spawned detached (own process group, unref'd) so they neither keep the caller's
//   event loop alive nor catch signals meant for it; the exit hook and the reaper below make
//   sure they still die with it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface ClusterNode {
  host: string;
  port: number;
  pid: number;
  role: 'master' | 'replica';
  dir: string;
}

export interface LocalRedisCluster {
  nodes: ClusterNode[];
  seeds: { host: string; port: number }[];
  dir: string;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Number of masters (Redis Cluster needs at least 3). Default 3. */
  masters?: number;
  /** Replicas attached to each master. Default 1. */
  replicasPerMaster?: number;
  /** Loopback address to bind. Default 127.0.0.1. */
  host?: string;
  /** Extra `redis-server --key value` settings, e.g. `{ 'hash-max-listpack-entries': '1024' }`. */
  settings?: Record<string, string>;
  /** Parent directory for node dirs. Default: a fresh mkdtemp under os.tmpdir() (removed on stop). */
  dir?: string;
  /** Budget for the whole start (spawn, create, converge). Default 30 000 ms. */
  timeoutMs?: number;
}

const TOTAL_SLOTS = 16384;
// The cluster bus listens on data port + 10000 unless --cluster-port says otherwise.
const BUS_OFFSET = 10000;
// Data ports 12000..21999 put bus ports at 22000..31999: the two ranges never overlap, and both
// stay below Linux's ephemeral range (32768+), so outgoing connections cannot grab them between
// our bind test and redis' own bind.
const PORT_MIN = 12000;
const PORT_MAX = 21999;
// Defaults we add before the caller's settings (which win); both only shorten start-up.
// - Redis 7 waits 5 s before a diskless full sync, to batch replicas: pure latency here.
// - A replica's replication offset stays 0 until its master sends it something, and Redis 7
//   hides offset-0 replicas from CLUSTER SLOTS; an idle master only pings its replicas every
//   10 s by default.
const DEFAULT_SETTINGS: Record<string, string> = { 'repl-diskless-sync-delay': '0', 'repl-ping-replica-period': '1' };

const INSTALL_HINTS: Record<string, string> = {
  'redis-server':
    'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), ' +
    'or put a redis-server >= 7 binary on PATH.',
  'redis-cli':
    'Install it (Debian/Ubuntu: `sudo apt-get install redis-tools`, also pulled in by redis-server; ' +
    'macOS: `brew install redis`), or put a redis-cli >= 7 binary on PATH.',
};

/** Resolves an executable on PATH once; throws an install hint if it is missing. */
function findExecutable(name: 'redis-server' | 'redis-cli'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new Error(`${name} was not found on PATH (${process.env.PATH ?? ''}). ${INSTALL_HINTS[name]}`);
}

let redisCliPath: string | undefined;
function redisCliBinary(): string {
  redisCliPath ??= findExecutable('redis-cli');
  return redisCliPath;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = [stdout, stderr].filter((s) => s.trim() !== '').join('\n').trim();
        reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}${detail ? `\n${detail}` : ''}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/**
 * Runs `redis-cli -h host -p port ...args` and returns its stdout. `-e` makes an error reply
 * reject instead of being printed with exit status 0.
 */
export async function redisCli(port: number, args: string[], host = '127.0.0.1'): Promise<string> {
  const { stdout } = await run(redisCliBinary(), ['-e', '-h', host, '-p', String(port), ...args], 10_000);
  return stdout;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: nothing we spawn may outlive the process that spawned it, even when that
// process dies without calling stop() (aborted run, thrown globalSetup, Ctrl-C, SIGKILL).
// Two layers:
// - a process 'exit' hook that SIGKILLs what is still alive. It only helps in a real Node
//   process: inside a Jest test file `process` is Jest's sandboxed copy, whose 'exit' event never
//   fires (checked: a cluster leaked from a test file survived the run);
// - a reaper: a tiny detached Node process per cluster that holds the read end of a pipe from
//   us and is told each PID we spawn. The kernel closes the pipe when we die, however we die;
//   on EOF the reaper SIGKILLs those PIDs (if they are still redis-server) and removes the dir.

const liveChildren = new Map<number, ChildProcess>();
const ownedDirs = new Set<string>();
let exitHookInstalled = false;

function killLeftoversSync(): void {
  for (const pid of liveChildren.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  ownedDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killLeftoversSync);
}

// Plain CommonJS for `node -e`. Lines on stdin: "pid N", "dir PATH" (remove on EOF), "disarm".
const REAPER_SOURCE = `
const fs = require('node:fs');
const pids = new Set(); const dirs = new Set(); let armed = true; let buf = '';
const isRedis = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('redis-server'); } catch (e) { return e.code !== 'ENOENT'; } };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk; const lines = buf.split('\\n'); buf = lines.pop();
  for (const line of lines) {
    const [cmd, ...rest] = line.split(' '); const arg = rest.join(' ');
    if (cmd === 'pid') pids.add(Number(arg)); else if (cmd === 'dir') dirs.add(arg); else if (cmd === 'disarm') armed = false;
  }
});
process.stdin.on('end', () => {
  if (!armed) return;
  for (const pid of pids) if (isRedis(pid)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const until = Date.now() + 2000;
  const sweep = () => {
    if ([...pids].some(isRedis) && Date.now() < until) return setTimeout(sweep, 20);
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {} }
  };
  sweep();
});
process.stdin.on('error', () => {});
`;

interface Reaper {
  watch(line: string): void;
  disarm(): void;
}

function startReaper(): Reaper {
  const child = spawn(process.execPath, ['-e', REAPER_SOURCE], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => undefined); // best effort: the exit hook still applies
  child.unref();
  // The pipe must not keep our event loop alive either; child_process stdio pipes are sockets.
  const stdin = child.stdin as Socket | null;
  stdin?.on('error', () => undefined);
  stdin?.unref();
  return {
    watch: (line) => {
      stdin?.write(`${line}\n`);
    },
    disarm: () => {
      stdin?.end('disarm\n');
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else — still "alive" for our purposes.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A dead process that is not our child lingers as a zombie until its parent reaps it (and
  // PID 1 in some sandboxes reaps slowly); it holds no ports or memory, so count it as gone.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust kill(pid, 0)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM each PID, wait for it to disappear, SIGKILL whatever is still there after
 * `timeoutMs`. Resolves once every PID is gone.
 */
export async function stopProcesses(pids: number[], timeoutMs = 5_000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const pending = pids.filter(isAlive);
  pending.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + timeoutMs;
  let remaining = pending.filter(isAlive);
  while (remaining.length > 0 && Date.now() < deadline) {
    await sleep(25);
    remaining = remaining.filter(isAlive);
  }
  remaining.forEach((pid) => signal(pid, 'SIGKILL'));
  // A SIGKILLed child stays a zombie until Node reaps it on SIGCHLD; that is quick, but wait for
  // it so callers can rely on "gone" when this resolves.
  const killDeadline = Date.now() + 2_000;
  while (remaining.some(isAlive) && Date.now() < killDeadline) await sleep(10);
  for (const pid of pids) liveChildren.delete(pid);
}

// ---------------------------------------------------------------------------------------------
// Ports

// Ports handed out by this process and not yet released: two clusters started concurrently in
// one process must not pick the same port between bind-test and redis' own bind.
const reservedPorts = new Set<number>();

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function pickPorts(host: string, count: number): Promise<number[]> {
  const picked: number[] = [];
  for (let attempt = 0; picked.length < count && attempt < 2_000; attempt++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (reservedPorts.has(port) || picked.includes(port)) continue;
    if (!(await canBind(host, port)) || !(await canBind(host, port + BUS_OFFSET))) continue;
    picked.push(port);
    reservedPorts.add(port);
  }
  if (picked.length < count) {
    picked.forEach((p) => reservedPorts.delete(p));
    throw new Error(`could not find ${count} free port pairs (P and P+${BUS_OFFSET}) on ${host}`);
  }
  return picked;
}

// ---------------------------------------------------------------------------------------------
// Nodes

interface SpawnedNode {
  host: string;
  port: number;
  pid: number;
  dir: string;
  log: string;
  child: ChildProcess;
  exited: boolean;
}

// redis-cli colours its --cluster output even when it is not writing to a terminal.
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

async function tail(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function logTails(nodes: SpawnedNode[]): Promise<string> {
  const parts = await Promise.all(nodes.map(async (n) => `--- ${n.host}:${n.port} (pid ${n.pid}) ${n.log}\n${await tail(n.log)}`));
  return parts.join('\n');
}

function spawnNode(
  serverBin: string,
  host: string,
  port: number,
  dir: string,
  settings: Record<string, string>,
): SpawnedNode {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'redis.log');
  const args = [
    '--port', String(port),
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
  const node: SpawnedNode = { host, port, pid: child.pid, dir, log, child, exited: false };
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

async function waitForPing(node: SpawnedNode, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (node.exited) throw new Error(`redis-server on ${node.host}:${node.port} exited during start-up`);
    try {
      if ((await redisCli(node.port, ['PING'], node.host)).trim() === 'PONG') return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`redis-server on ${node.host}:${node.port} did not answer PING in time`);
}

// ---------------------------------------------------------------------------------------------
// Convergence: poll until every node agrees on a complete, healthy topology.

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

// `redis-cli --json CLUSTER SLOTS`: [[start, end, [ip, port, id, {meta}] (master), ...replicas], ...]
type SlotsReply = [number, number, ...[string, number, string, ...unknown[]][]][];

interface NodeState {
  node: SpawnedNode;
  info: Map<string, string>; // CLUSTER INFO
  nodesLines: string[]; // CLUSTER NODES
  ranges: { start: number; end: number; servers: number[] }[]; // CLUSTER SLOTS, sorted, ports only
  repl: Map<string, string>; // INFO replication
}

async function readState(node: SpawnedNode): Promise<NodeState> {
  const cli = (args: string[]) => redisCli(node.port, args, node.host);
  const [info, nodes, slots, repl] = await Promise.all([
    cli(['CLUSTER', 'INFO']),
    cli(['CLUSTER', 'NODES']),
    cli(['--json', 'CLUSTER', 'SLOTS']),
    cli(['INFO', 'replication']),
  ]);
  const ranges = (JSON.parse(slots) as SlotsReply)
    .map(([start, end, ...servers]) => ({ start, end, servers: servers.map(([, port]) => port) }))
    .sort((a, b) => a.start - b.start);
  return { node, info: parseInfo(info), nodesLines: nodes.trim().split('\n'), ranges, repl: parseInfo(repl) };
}

/** Returns null when converged, otherwise why not (the last reason ends up in the timeout error). */
function convergenceProblem(states: NodeState[], masters: number, replicasPerMaster: number): string | null {
  const views = new Set<string>();
  for (const { node, info, nodesLines, ranges, repl } of states) {
    const where = `${node.host}:${node.port}`;
    if (node.exited) return `${where} exited`;

    if (info.get('cluster_state') !== 'ok') return `${where} cluster_state=${info.get('cluster_state')}`;
    if (info.get('cluster_slots_ok') !== String(TOTAL_SLOTS)) return `${where} cluster_slots_ok=${info.get('cluster_slots_ok')}`;
    if (info.get('cluster_known_nodes') !== String(states.length)) {
      return `${where} knows ${info.get('cluster_known_nodes')} of ${states.length} nodes`;
    }

    // CLUSTER NODES: no node may be failing, handshaking or disconnected in anyone's view.
    for (const line of nodesLines) {
      const [, addr, flags = '', , , , , link] = line.split(' ');
      if (/fail|handshake|noaddr/.test(flags) || link !== 'connected') return `${where} sees ${addr} as ${flags} ${link}`;
    }

    // CLUSTER SLOTS is what ioredis reads: every slot exactly once, each range served by its
    // master plus all of that master's replicas, and the same picture from every node.
    let next = 0;
    for (const r of ranges) {
      if (r.start !== next) return `${where} CLUSTER SLOTS gap/overlap at slot ${next}`;
      if (r.servers.length !== 1 + replicasPerMaster) {
        return `${where} CLUSTER SLOTS ${r.start}-${r.end} lists ${r.servers.length} nodes, want ${1 + replicasPerMaster}`;
      }
      next = r.end + 1;
    }
    if (next !== TOTAL_SLOTS) return `${where} CLUSTER SLOTS covers only up to ${next}`;
    const masterPorts = new Set(ranges.map((r) => r.servers[0]));
    if (masterPorts.size !== masters) return `${where} sees ${masterPorts.size} masters, want ${masters}`;
    views.add(ranges.map((r) => `${r.start}-${r.end}:${[r.servers[0], ...r.servers.slice(1).sort()].join(',')}`).join(' '));

    // Replication must actually be flowing, not just configured.
    if (repl.get('role') === 'slave') {
      if (repl.get('master_link_status') !== 'up') return `${where} master_link_status=${repl.get('master_link_status')}`;
    } else {
      if (repl.get('connected_slaves') !== String(replicasPerMaster)) {
        return `${where} connected_slaves=${repl.get('connected_slaves')}, want ${replicasPerMaster}`;
      }
      for (const [key, value] of repl) {
        if (/^slave\d+$/.test(key) && !value.includes('state=online')) return `${where} ${key} ${value}`;
      }
    }
  }
  if (views.size !== 1) return `nodes disagree on CLUSTER SLOTS:\n${[...views].join('\n')}`;
  return null;
}

/**
 * Speeds up convergence from ~5-10 s to ~1 s. Redis 7 leaves a replica out of a node's
 * CLUSTER SLOTS until that node has heard, over the cluster bus and directly from the replica,
 * both that it replicates its master and that its replication offset is non-zero. Idle nodes
 * ping each other only about once a second, one peer at a time, so that takes several rounds.
 * A CLUSTER MEET sent from the replica to a peer it already knows makes it open a connection
 * and send a MEET carrying exactly that header at once; the duplicate handshake entry is
 * dropped by Redis as soon as the peer answers (this is how `redis-cli --cluster create`
 * joins nodes in the first place).
 */
function nudgeGossip(states: NodeState[], lastNudge: Map<string, number>): Promise<unknown> {
  const now = Date.now();
  const ready = states.filter(
    (s) => s.repl.get('role') === 'slave' && s.repl.get('master_link_status') === 'up' && Number(s.repl.get('slave_repl_offset') ?? 0) > 0,
  );
  const meets: Promise<string>[] = [];
  for (const peer of states) {
    const listed = new Set(peer.ranges.flatMap((r) => r.servers));
    for (const replica of ready) {
      if (replica === peer || listed.has(replica.node.port)) continue;
      const key = `${replica.node.port}>${peer.node.port}`;
      if (now - (lastNudge.get(key) ?? 0) < 500) continue; // give the last MEET time to land
      lastNudge.set(key, now);
      meets.push(redisCli(replica.node.port, ['CLUSTER', 'MEET', peer.node.host, String(peer.node.port)], replica.node.host));
    }
  }
  return Promise.allSettled(meets);
}

/**
 * Runs alongside `redis-cli --cluster create`, which MEETs every node with the first one only
 * and then polls once a second until gossip has told every node about every other node and its
 * slots: anywhere from 1 to 8 s here. Whenever a node X has been met (it knows more than itself,
 * so redis-cli is past the config-epoch step, which needs a node that knows nobody) and a peer's
 * CLUSTER NODES lacks X or X's slots, have X MEET that peer: the MEET header carries exactly
 * that, and the mesh completes in a fraction of a second.
 */
async function speedUpJoin(nodes: SpawnedNode[], creating: Promise<unknown>): Promise<void> {
  let done = false;
  const finish = () => {
    done = true;
  };
  creating.then(finish, finish);
  const lastNudge = new Map<string, number>();
  while (!done) {
    const views = await Promise.all(
      nodes.map(async (node) => {
        const text = await redisCli(node.port, ['CLUSTER', 'NODES'], node.host).catch(() => '');
        // id -> "slots as this node sees them"; plus this node's own id.
        const byId = new Map<string, string>();
        let self = '';
        for (const line of text.trim().split('\n')) {
          const [id = '', , flags = '', , , , , , ...slots] = line.split(' ');
          if (flags.includes('handshake')) continue;
          byId.set(id, slots.join(' '));
          if (flags.includes('myself')) self = id;
        }
        return { node, self, byId };
      }),
    );
    const now = Date.now();
    const meets: Promise<string>[] = [];
    for (const x of views) {
      if (x.byId.size < 2) continue; // not met yet
      const ownSlots = x.byId.get(x.self);
      for (const peer of views) {
        if (peer === x || peer.byId.get(x.self) === ownSlots) continue;
        const key = `${x.node.port}>${peer.node.port}`;
        if (now - (lastNudge.get(key) ?? 0) < 500) continue; // give the last MEET time to land
        lastNudge.set(key, now);
        meets.push(redisCli(x.node.port, ['CLUSTER', 'MEET', peer.node.host, String(peer.node.port)], x.node.host));
      }
    }
    await Promise.allSettled(meets);
    await sleep(50);
  }
}

async function roleOf(node: SpawnedNode): Promise<'master' | 'replica'> {
  const repl = parseInfo(await redisCli(node.port, ['INFO', 'replication'], node.host));
  return repl.get('role') === 'slave' ? 'replica' : 'master';
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts `masters * (1 + replicasPerMaster)` redis-server processes in cluster mode on free
 * loopback ports, creates the cluster and resolves only once it is fully converged.
 */
export async function startRedisCluster(opts: StartClusterOptions = {}): Promise<LocalRedisCluster> {
  const masters = opts.masters ?? 3;
  const replicasPerMaster = opts.replicasPerMaster ?? 1;
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!Number.isInteger(masters) || masters < 3) throw new Error(`Redis Cluster needs at least 3 masters (got ${masters})`);
  if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0) {
    throw new Error(`replicasPerMaster must be a non-negative integer (got ${replicasPerMaster})`);
  }
  const serverBin = findExecutable('redis-server');
  redisCliBinary(); // fail fast with the install hint, before spawning anything
  const deadline = Date.now() + timeoutMs;
  const settings = { ...DEFAULT_SETTINGS, ...opts.settings };
  const total = masters * (1 + replicasPerMaster);

  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-redis-cluster-')));
  installExitHook();
  const reaper = startReaper();
  if (ownsDir) {
    ownedDirs.add(dir);
    reaper.watch(`dir ${dir}`);
  }

  const spawned: SpawnedNode[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await stopProcesses(spawned.map((n) => n.pid));
      spawned.forEach((n) => {
        reservedPorts.delete(n.port);
      });
      // Remove only what we created: the whole temp dir, or just our node dirs inside a caller's dir.
      if (ownsDir) {
        await rm(dir, { recursive: true, force: true });
        ownedDirs.delete(dir);
      } else {
        await Promise.all(spawned.map((n) => rm(n.dir, { recursive: true, force: true })));
      }
      reaper.disarm();
    })();
    return stopping;
  };

  try {
    // Spawn all nodes; a node that loses a port race to another process is retried on new ports.
    let ports = await pickPorts(host, total);
    for (let round = 0; ; round++) {
      const batch = ports.map((port) => spawnNode(serverBin, host, port, join(dir, `node-${port}`), settings));
      spawned.push(...batch);
      batch.forEach((n) => reaper.watch(`pid ${n.pid}`));
      const results = await Promise.allSettled(batch.map((n) => waitForPing(n, deadline)));
      const failed = batch.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length === 0) break;
      const logs = await logTails(failed);
      if (round >= 2 || !/Address already in use/i.test(logs)) {
        throw new Error(`redis-server failed to start:\n${logs}`);
      }
      await stopProcesses(failed.map((n) => n.pid));
      for (const n of failed) {
        spawned.splice(spawned.indexOf(n), 1);
        reservedPorts.delete(n.port);
        await rm(n.dir, { recursive: true, force: true });
      }
      ports = await pickPorts(host, failed.length);
    }

    const create = [
      '--cluster', 'create',
      ...spawned.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas', String(replicasPerMaster),
      '--cluster-yes',
    ];
    let created: string;
    const creating = run(redisCliBinary(), create, Math.max(1_000, deadline - Date.now()));
    const joined = speedUpJoin(spawned, creating);
    try {
      created = stripAnsi((await creating).stdout);
      await joined;
    } catch (err) {
      await joined;
      throw new Error(
        `redis-cli --cluster create failed or ran past the ${timeoutMs} ms start budget: ` +
          `${stripAnsi((err as Error).message)}\n${await logTails(spawned)}`,
      );
    }
    if (!created.includes(`All ${TOTAL_SLOTS} slots covered`)) {
      throw new Error(`redis-cli --cluster create did not report full slot coverage:\n${created}\n${await logTails(spawned)}`);
    }

    let problem: string | null = 'not checked yet';
    const lastNudge = new Map<string, number>();
    while (Date.now() < deadline) {
      try {
        const states = await Promise.all(spawned.map(readState));
        problem = convergenceProblem(states, masters, replicasPerMaster);
        if (problem === null) break;
        await nudgeGossip(states, lastNudge);
      } catch (err) {
        problem = (err as Error).message;
      }
      await sleep(50);
    }
    if (problem !== null) {
      throw new Error(`Redis cluster did not converge within ${timeoutMs} ms: ${problem}\n${await logTails(spawned)}`);
    }

    const nodes: ClusterNode[] = await Promise.all(
      spawned.map(async (n) => ({ host: n.host, port: n.port, pid: n.pid, role: await roleOf(n), dir: n.dir })),
    );
    return { nodes, seeds: nodes.map(({ host: h, port }) => ({ host: h, port })), dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
