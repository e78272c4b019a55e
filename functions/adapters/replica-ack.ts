// Replication in Redis is asynchronous: a master acknowledges a write before its replicas have
// it, and a master that dies then is replaced by a replica that never saw the write. WAIT on
// the master's own connection blocks until its replicas acknowledge every write that
// connection sent, which is what a chunk or a commit needs before it reports success.
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { TransientError } from '../errors.js';
import { masterConnection } from './slot-owner.js';

export interface ReplicaAckOptions {
  /** How long a master may wait for its replicas; past it the step fails with a TransientError. */
  timeoutMs: number;
}

/**
 * The replicas of `node` as the slot map lists them (CLUSTER SLOTS leaves out failed replicas,
 * so a replica that is down does not hold every write hostage). A master that owns no slot any
 * more has been replaced: its writes cannot be vouched for.
 */
export function replicaCount(cluster: Cluster, node: string): number {
  for (const owners of cluster.slots) {
    if (owners?.[0] === node) return owners.length - 1;
  }
  throw new TransientError(`Redis master ${node} no longer serves any slot (failover?); its writes cannot be confirmed`);
}

/**
 * Sends `rewrite` (an idempotent write that propagates: it moves this connection's replication
 * offset up to the master's, so writes sent before a reconnection are covered too) and WAIT on
 * `node`'s own connection, and throws a TransientError unless every listed replica acknowledged
 * within the timeout. The replication stream is ordered, so acknowledging the last write
 * acknowledges all earlier ones on that master.
 */
export async function awaitReplicas(cluster: Cluster, node: string, options: ReplicaAckOptions, rewrite: (p: ChainableCommander) => void, what: string): Promise<void> {
  const wanted = replicaCount(cluster, node);
  if (wanted === 0) return;
  const connection: Redis = masterConnection(cluster, node);
  const pipeline = connection.pipeline();
  rewrite(pipeline);
  pipeline.wait(wanted, options.timeoutMs);
  // ioredis' per-command timeout would cut WAIT short: lift it for the synchronous exec() only
  // (nothing else can send on the connection meanwhile) and bound the whole call ourselves.
  const commandTimeout = connection.options.commandTimeout;
  let sent: Promise<[Error | null, unknown][] | null>;
  connection.options.commandTimeout = undefined;
  try {
    sent = pipeline.exec();
  } finally {
    connection.options.commandTimeout = commandTimeout;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Command timed out')), options.timeoutMs + (commandTimeout ?? 1000));
  });
  let results: [Error | null, unknown][] | null;
  try {
    results = await Promise.race([sent, deadline]);
  } catch (err) {
    throw new TransientError(`${what}: no answer from Redis master ${node} while waiting for its replicas: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
  const failed = results?.find(([err]) => err);
  if (!results || failed) {
    const err = failed?.[0];
    throw new TransientError(`${what}: Redis master ${node} refused the replica check: ${err?.message ?? 'no reply'}`, { cause: err });
  }
  const acked = Number(results[results.length - 1]![1]);
  if (acked < wanted) {
    throw new TransientError(`${what}: only ${acked} of ${wanted} replicas of Redis master ${node} acknowledged the writes within ${options.timeoutMs} ms`);
  }
}
