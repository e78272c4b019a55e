// Convergence: poll until every node agrees on a complete, healthy topology, and nudge gossip
// so that takes about a second instead of several.
import { parseInfo } from '../../functions/domain/redis-info.js';
import { cliOf } from './cli.js';
import type { SpawnedNode } from './nodes.js';
import { sleep } from './processes.js';

export const TOTAL_SLOTS = 16384;


// `redis-cli --json CLUSTER SLOTS`: [[start, end, [ip, port, id, {meta}] (master), ...replicas], ...]
type SlotsReply = [number, number, ...[string, number, string, ...unknown[]][]][];

export interface NodeState {
  node: SpawnedNode;
  info: Map<string, string>; // CLUSTER INFO
  nodesLines: string[]; // CLUSTER NODES
  ranges: { start: number; end: number; servers: number[] }[]; // CLUSTER SLOTS, sorted, ports only
  repl: Map<string, string>; // INFO replication
}

export async function readState(node: SpawnedNode): Promise<NodeState> {
  const cli = (args: string[]) => cliOf(node, args);
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
export function convergenceProblem(states: NodeState[], masters: number, replicasPerMaster: number): string | null {
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
export function nudgeGossip(states: NodeState[], lastNudge: Map<string, number>): Promise<unknown> {
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
      meets.push(cliOf(replica.node, ['CLUSTER', 'MEET', peer.node.host, String(peer.node.port)]));
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
export async function speedUpJoin(nodes: SpawnedNode[], creating: Promise<unknown>): Promise<void> {
  let done = false;
  const finish = () => {
    done = true;
  };
  creating.then(finish, finish);
  const lastNudge = new Map<string, number>();
  while (!done) {
    const views = await Promise.all(
      nodes.map(async (node) => {
        const text = await cliOf(node, ['CLUSTER', 'NODES']).catch(() => '');
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
        meets.push(cliOf(x.node, ['CLUSTER', 'MEET', peer.node.host, String(peer.node.port)]));
      }
    }
    await Promise.allSettled(meets);
    await sleep(50);
  }
}

export async function roleOf(node: SpawnedNode): Promise<'master' | 'replica'> {
  const repl = parseInfo(await cliOf(node, ['INFO', 'replication']));
  return repl.get('role') === 'slave' ? 'replica' : 'master';
}
