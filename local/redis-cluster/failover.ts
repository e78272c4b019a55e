// Failover on demand: SIGKILL one master and wait until a replica has taken over and every
// surviving node agrees the cluster is whole again.
import { cliOf } from './cli.js';
import { parseInfo } from '../../functions/domain/redis-info.js';
import type { SpawnedNode } from './nodes.js';
import { sleep } from './processes.js';
import type { ClusterNode, LocalRedisCluster } from './types.js';

/** CLUSTER NODES lines as fields: id, host:port@bus, flags, master id (or '-'), ... */
function nodesTable(text: string): { id: string; port: number; flags: string; masterId: string }[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .map(([id = '', addr = '', flags = '', masterId = '']) => ({ id, port: Number(addr.split('@')[0]?.split(':').pop()), flags, masterId }));
}

/**
 * killMaster for one cluster. `nodes` and `seeds` are the cluster's own lists: the killed
 * master leaves both, the promoted replica's role changes in place.
 */
export function killMasterOf(host: string, spawned: SpawnedNode[], nodes: ClusterNode[], seeds: { host: string; port: number }[]): LocalRedisCluster['killMaster'] {
  return async (port, o = {}) => {
    const started = Date.now();
    const killDeadline = started + (o.timeoutMs ?? 30_000);
    const victim = nodes.find((n) => n.port === port);
    const process_ = spawned.find((n) => n.port === port);
    const survivors = spawned.filter((n) => n.port !== port && !n.exited);
    if (!victim || !process_ || process_.exited || survivors.length === 0) throw new Error(`no running node on port ${port}`);
    const table = nodesTable(await cliOf(survivors[0]!, ['CLUSTER', 'NODES']));
    // By its own id: a master may announce another port (local/replication-delay.ts).
    const ownId = (await cliOf(process_, ['CLUSTER', 'MYID'])).trim();
    const victimId = table.find((t) => t.id === ownId && t.flags.includes('master'))?.id;
    if (!victimId) throw new Error(`node on port ${port} is not a master`);
    const replicaPorts = new Set(table.filter((t) => t.masterId === victimId).map((t) => t.port));
    if (replicaPorts.size === 0) throw new Error(`master on port ${port} has no replica to promote`);
    process.kill(process_.pid, 'SIGKILL'); // our own child, by PID
    let why = 'not checked yet';
    while (Date.now() < killDeadline) {
      await sleep(50);
      try {
        const views = await Promise.all(survivors.map(async (n) => ({ info: parseInfo(await cliOf(n, ['CLUSTER', 'INFO'])), table: nodesTable(await cliOf(n, ['CLUSTER', 'NODES'])) })));
        const promoted = views[0]!.table.find((t) => replicaPorts.has(t.port) && t.flags.includes('master') && !t.flags.includes('fail'));
        if (!promoted) {
          why = 'no replica promoted yet';
          continue;
        }
        const notOk = views.find((v) => v.info.get('cluster_state') !== 'ok' || !v.table.some((t) => t.port === promoted.port && t.flags.includes('master')));
        if (notOk) {
          why = `a node still sees cluster_state=${notOk.info.get('cluster_state')}`;
          continue;
        }
        const promotedNode = nodes.find((n) => n.port === promoted.port)!;
        promotedNode.role = 'master';
        nodes.splice(nodes.indexOf(victim), 1);
        seeds.splice(seeds.findIndex((x) => x.port === port), 1);
        return { killed: victim, promoted: promotedNode, ms: Date.now() - started };
      } catch (err) {
        why = (err as Error).message;
      }
    }
    throw new Error(`no replica of ${host}:${port} was promoted within ${o.timeoutMs ?? 30_000} ms: ${why}`);
  };
}
