// A throwaway Redis Cluster on loopback for integration tests and local runs.
//
// Why this shape:
// - Real redis-server processes (not a mock) so cluster behaviour — slot ownership, MOVED,
//   cross-node pipelines — is the real thing ioredis will meet in ElastiCache.
// - Every node logs to a file, never to a pipe: a background redis-server keeps an inherited
//   pipe open and the caller would hang (seen with `redis-server ... | sed` in the background).
// - We only ever signal PIDs we spawned ourselves (never by name): other Redis servers, such as
//   the standalone one on :6379, must not be touched.
// - Nodes are spawned detached (own process group, unref'd) so they neither keep the caller's
//   event loop alive nor catch signals meant for it; the exit hook and the reaper (redis-cluster/processes.ts) make
//   sure they still die with it.
// - Optionally production-shaped (the reliability suite): TLS only, with a CA and node
//   certificate made by the openssl CLI for this cluster; ACL users instead of an open default
//   user; maxmemory with noeviction, as the template's parameter group sets it.
//
// This file is the front: startRedisCluster and the public API. The pieces live in
// redis-cluster/: types, engine (redis or valkey), executables, cli (redis-cli), security (TLS, ACL), processes (+ reaper.cjs),
// ports, nodes (spawn), convergence, failover.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisCli, run, stripAnsi } from './redis-cluster/cli.js';
import { findEngine } from './redis-cluster/engine.js';
import { convergenceProblem, nudgeGossip, readState, roleOf, speedUpJoin, TOTAL_SLOTS } from './redis-cluster/convergence.js';
import { killMasterOf } from './redis-cluster/failover.js';
import { logTails, spawnNode, waitForPing, type SpawnedNode } from './redis-cluster/nodes.js';
import { pickPorts, reservedPorts } from './redis-cluster/ports.js';
import { installExitHook, ownedDirs, sleep, startReaper, stopProcesses } from './redis-cluster/processes.js';
import { prepareSecurity, type Secure } from './redis-cluster/security.js';
import type { ClusterNode, LocalRedisCluster, StartClusterOptions } from './redis-cluster/types.js';

export { redisCli } from './redis-cluster/cli.js';
export { engineName, findEngine, serverSupportsTls, valkeyPresent, type EngineName } from './redis-cluster/engine.js';
export { stopProcesses } from './redis-cluster/processes.js';
export { generateTlsMaterial, SLUICE_ACL_RULES } from './redis-cluster/security.js';
export type { AclUser, ClusterNode, LocalRedisCluster, StartClusterOptions } from './redis-cluster/types.js';

// Defaults we add before the caller's settings (which win); both only shorten start-up.
// - Redis 7 waits 5 s before a diskless full sync, to batch replicas: pure latency here.
// - A replica's replication offset stays 0 until its master sends it something, and Redis 7
//   hides offset-0 replicas from CLUSTER SLOTS; an idle master only pings its replicas every
//   10 s by default.
const DEFAULT_SETTINGS: Record<string, string> = { 'repl-diskless-sync-delay': '0', 'repl-ping-replica-period': '1' };

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
  // Both binaries are found before anything is spawned: a missing one fails with an install hint.
  const engine = findEngine(opts.engine);
  const serverBin = engine.server;
  const version = (await run(serverBin, ['--version'], 10_000)).stdout.trim();
  const deadline = Date.now() + timeoutMs;
  const settings = {
    ...DEFAULT_SETTINGS,
    ...(opts.maxmemory ? { maxmemory: opts.maxmemory, 'maxmemory-policy': 'noeviction' } : {}),
    ...opts.settings,
  };
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
  let secure: Secure = { connection: [] };
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
        if (secure.dir) await rm(secure.dir, { recursive: true, force: true });
      }
      reaper.disarm();
    })();
    return stopping;
  };

  try {
    secure = await prepareSecurity(opts, dir);
    // Spawn all nodes; a node that loses a port race to another process is retried on new ports.
    let ports = await pickPorts(host, total);
    for (let round = 0; ; round++) {
      const batch = ports.map((port) => spawnNode(engine, host, port, join(dir, `node-${port}`), settings, secure));
      spawned.push(...batch);
      batch.forEach((n) => reaper.watch(`pid ${n.pid}`));
      const results = await Promise.allSettled(batch.map((n) => waitForPing(n, deadline)));
      const failed = batch.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length === 0) break;
      const logs = await logTails(failed);
      if (round >= 2 || !/Address already in use/i.test(logs)) {
        throw new Error(`${engine.name}-server failed to start:\n${logs}`);
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
      ...secure.connection,
      '--cluster', 'create',
      ...spawned.map((n) => `${n.host}:${n.port}`),
      '--cluster-replicas', String(replicasPerMaster),
      '--cluster-yes',
    ];
    let created: string;
    const creating = run(engine.cli, create, Math.max(1_000, deadline - Date.now()));
    const joined = speedUpJoin(spawned, creating);
    try {
      created = stripAnsi((await creating).stdout);
      await joined;
    } catch (err) {
      await joined;
      throw new Error(
        `${engine.name}-cli --cluster create failed or ran past the ${timeoutMs} ms start budget: ` +
          `${stripAnsi((err as Error).message)}\n${await logTails(spawned)}`,
      );
    }
    if (!created.includes(`All ${TOTAL_SLOTS} slots covered`)) {
      throw new Error(`${engine.name}-cli --cluster create did not report full slot coverage:\n${created}\n${await logTails(spawned)}`);
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
    const cli = (port: number, args: string[]) => redisCli(port, args, host, secure.connection, engine.cli);
    const seeds = nodes.map(({ host: h, port }) => ({ host: h, port }));
    const killMaster = killMasterOf(host, spawned, nodes, seeds);
    const result: LocalRedisCluster = { nodes, seeds, dir, engine: { name: engine.name, version }, cli, killMaster, stop };
    if (secure.tls) result.tls = { caFile: secure.tls.caFile, ca: readFileSync(secure.tls.caFile) };
    if (secure.admin) result.admin = { ...secure.admin };
    return result;
  } catch (err) {
    await stop();
    throw err;
  }
}
