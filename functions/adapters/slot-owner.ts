// Which master owns a key, and that master's own connection: the basis for sending one
// pipeline per node (ioredis rejects a cluster pipeline whose keys span nodes).
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { TransientError } from '../errors.js';

/**
 * The slot map no longer matches the cluster (a failover, a resharding): ask ioredis to reload
 * it, so the retry the TransientError leads to finds the new owner. Commands that meet MOVED
 * refresh it themselves; per-master pipelines looked up here would not.
 */
function stale(cluster: Cluster, message: string): TransientError {
  cluster.refreshSlotsCache(() => undefined);
  return new TransientError(message);
}

export function ownerOf(cluster: Cluster, key: string): string {
  const owner = cluster.slots[calculateSlot(key)]?.[0];
  if (!owner) throw stale(cluster, `no Redis node serves the slot of ${key} (cluster not ready or resharding)`);
  return owner;
}

export function masterConnection(cluster: Cluster, nodeKey: string): Redis {
  for (const node of cluster.nodes('master')) {
    if (`${node.options.host}:${node.options.port}` === nodeKey) return node;
  }
  throw stale(cluster, `no connection to Redis master ${nodeKey}`);
}

/** Groups items by the master that owns each one's key, keeping their positions. */
export function groupByOwner<T>(cluster: Cluster, items: readonly T[], keyOf: (item: T) => string): Map<string, { item: T; index: number }[]> {
  const groups = new Map<string, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    const owner = ownerOf(cluster, keyOf(item));
    let g = groups.get(owner);
    if (!g) groups.set(owner, (g = []));
    g.push({ item, index });
  });
  return groups;
}

/**
 * A connection to one replica of the slot holding `key` (the first the slot map lists that has
 * a connection), or null. ioredis opens replica connections READONLY, so they serve reads.
 */
export function replicaConnection(cluster: Cluster, key: string): Redis | null {
  const owners = cluster.slots[calculateSlot(key)];
  if (!owners || owners.length < 2) return null;
  const all = cluster.nodes('all');
  for (const nodeKey of owners.slice(1)) {
    const found = all.find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
    if (found) return found;
  }
  return null;
}
