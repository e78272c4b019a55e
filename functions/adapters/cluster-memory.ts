// How much memory each Redis master has left, and what share of the data it will receive
// (its share of the 16384 slots: data keys spread evenly over all of them). Read with INFO
// memory on each master's own connection.
import type { Cluster } from 'ioredis';
import { infoNumber, parseInfo } from '../domain/redis-info.js';
import { guardRedis } from './redis-errors.js';

export interface MasterMemory {
  node: string;
  /** Memory that counts against maxmemory, with the replication backlog at its full size. */
  usedBytes: number;
  /** maxmemory; 0 means no limit is configured. */
  maxBytes: number;
  /** Fraction of the slots this master serves (0..1). */
  slotShare: number;
}

export interface MemoryProbe {
  masters(): Promise<MasterMemory[]>;
}


export class ClusterMemoryProbe implements MemoryProbe {
  constructor(private readonly cluster: Cluster) {}

  async masters(): Promise<MasterMemory[]> {
    if (this.cluster.status !== 'ready') await guardRedis(this.cluster.ping()); // connects and loads the slot map
    const owned = new Map<string, number>();
    for (const nodes of this.cluster.slots) {
      const master = nodes?.[0];
      if (master) owned.set(master, (owned.get(master) ?? 0) + 1);
    }
    const total = this.cluster.slots.length || 16384;
    return Promise.all(
      this.cluster.nodes('master').map(async (node) => {
        const key = `${node.options.host}:${node.options.port}`;
        const info = parseInfo(await guardRedis(node.info('memory', 'replication')));
        // What Redis compares with maxmemory: used_memory less the buffers it does not count
        // (replica output beyond the backlog, AOF). The replication backlog does count, and it
        // fills up to repl_backlog_size during any sizeable write: count it at that size.
        const backlogToCome = Math.max(0, infoNumber(info, 'repl_backlog_size') - infoNumber(info, 'mem_replication_backlog'));
        const usedBytes = infoNumber(info, 'used_memory') - infoNumber(info, 'mem_not_counted_for_evict') + backlogToCome;
        return { node: key, usedBytes, maxBytes: infoNumber(info, 'maxmemory'), slotShare: (owned.get(key) ?? 0) / total };
      }),
    );
  }
}
