// Bulk writes and deletes, grouped by owning master and sent as pipelines on that master's own
// connection: measured fastest for one Node process (FIELD-NOTES). If a batch meets a
// redirect or a dropped connection (failover, resharding), the slot map is refreshed and the
// batch re-grouped and re-sent: every command here (HSET of a fixed field, UNLINK) is
// idempotent, so re-sending is safe.
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { TransientError } from '../errors.js';

export type WriteCommand = { op: 'hset'; key: string; field: string; value: string } | { op: 'unlink'; key: string };

export interface BulkWriterOptions {
  batchSize: number;
  batchesInFlight: number;
  /** Attempts per batch before giving up with a TransientError. */
  attempts?: number;
}

export class ClusterBulkWriter {
  private readonly pending = new Map<string, WriteCommand[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: BulkWriterOptions,
  ) {}

  /** Queues commands; resolves once the number of batches in flight is back under the limit. */
  async write(commands: readonly WriteCommand[]): Promise<void> {
    this.throwIfFailed();
    for (const command of commands) {
      const node = this.ownerOf(command.key);
      let queue = this.pending.get(node);
      if (!queue) this.pending.set(node, (queue = []));
      queue.push(command);
      if (queue.length >= this.options.batchSize) {
        this.pending.delete(node);
        this.send(queue);
      }
    }
    // Backpressure: the caller stops reading input while Redis is behind.
    while (this.inFlight.size >= this.options.batchesInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /** Sends what is queued and waits for every batch. */
  async flush(): Promise<void> {
    for (const [node, queue] of this.pending) {
      this.pending.delete(node);
      this.send(queue);
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private send(batch: WriteCommand[]): void {
    const p = this.sendWithRetry(batch).catch((err: unknown) => {
      this.failure ??= err;
    });
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async sendWithRetry(batch: WriteCommand[]): Promise<void> {
    const attempts = this.options.attempts ?? 8;
    let remaining = batch;
    for (let attempt = 1; ; attempt++) {
      const groups = new Map<string, WriteCommand[]>();
      for (const c of remaining) {
        const node = this.ownerOf(c.key);
        let g = groups.get(node);
        if (!g) groups.set(node, (g = []));
        g.push(c);
      }
      const failed: WriteCommand[] = [];
      let lastError: unknown;
      await Promise.all(
        [...groups].map(async ([node, cmds]) => {
          try {
            const results = await this.pipelineFor(node, cmds).exec();
            results?.forEach(([err], i) => {
              if (err) {
                lastError = err;
                failed.push(cmds[i]!);
              }
            });
            if (!results) failed.push(...cmds);
          } catch (err) {
            lastError = err;
            failed.push(...cmds);
          }
        }),
      );
      if (failed.length === 0) return;
      if (isFatal(lastError) || attempt >= attempts) {
        const message = lastError instanceof Error ? lastError.message : String(lastError);
        if (isFatal(lastError)) throw lastError;
        throw new TransientError(`Redis rejected ${failed.length} writes after ${attempt} attempts: ${message}`, { cause: lastError });
      }
      remaining = failed;
      await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      await this.refreshSlots();
    }
  }

  private pipelineFor(node: string, cmds: WriteCommand[]) {
    const connection = this.masterConnection(node);
    const pipeline = connection.pipeline();
    for (const c of cmds) {
      if (c.op === 'hset') pipeline.hset(c.key, c.field, c.value);
      else pipeline.unlink(c.key);
    }
    return pipeline;
  }

  private ownerOf(key: string): string {
    const owner = this.cluster.slots[calculateSlot(key)]?.[0];
    if (!owner) throw new TransientError(`no Redis node serves the slot of ${key} (cluster not ready or resharding)`);
    return owner;
  }

  private masterConnection(nodeKey: string): Redis {
    for (const node of this.cluster.nodes('master')) {
      if (`${node.options.host}:${node.options.port}` === nodeKey) return node;
    }
    throw new TransientError(`no connection to Redis master ${nodeKey}`);
  }

  private refreshSlots(): Promise<void> {
    return new Promise((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
  }
}

/** Errors that re-sending cannot fix. */
function isFatal(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /^(OOM|NOPERM|WRONGTYPE|NOAUTH|WRONGPASS)/.test(message);
}
