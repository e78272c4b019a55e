// Bulk writes and deletes, grouped by owning master and sent as pipelines on that master's own
// connection (cluster.pipeline() refuses keys of several nodes; bench/baselines.ts measures
// this way against one awaited command per record, figures in BENCHMARKS.md). If a batch meets a
// redirect or a dropped connection (failover, resharding), the slot map is refreshed and the
// batch re-grouped and re-sent: every command here (HSET of a fixed field, UNLINK) is
// idempotent, so re-sending is safe.
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { BulkWriter, HsetCommand, WriteCommand } from '../domain/bulk-writer.js';
import { TransientError } from '../errors.js';
import { awaitReplicas, type ReplicaAckOptions } from './replica-ack.js';
import { groupByOwner, masterConnection, ownerOf } from './slot-owner.js';

/**
 * ARGV: key, field, value, ... HSETs of keys in many slots of the one master it is sent to: a
 * packed writer's batch in one call, not one command each (ioredis spends ~5x the CPU on a
 * command than on an argument; bench/replay-micro.ts). Redis 7's allow-cross-slot-keys lets a
 * script touch keys of several slots of its node; they are not declared as KEYS, which the
 * cluster would refuse as CROSSSLOT before the script ran. A key whose slot moved away stops the
 * call with an error there; the writer re-sends the batch regrouped, like any failed batch (each
 * HSET of a fixed field is idempotent). Each HSET is atomic on its own, as a single command is.
 * Returns the positions (1-based) of the fields that were already stored, as HSET's 0 says.
 */
const PUT_FIELDS =
  "#!lua flags=allow-cross-slot-keys\nlocal existing = {}\nfor i = 1, #ARGV, 3 do\n  if redis.call('HSET', ARGV[i], ARGV[i + 1], ARGV[i + 2]) == 0 then existing[#existing + 1] = (i + 2) / 3 end\nend\nreturn existing";

/** HSETs per script call of a packed writer: each call stays well under a millisecond of Redis time. */
const FIELDS_PER_CALL = 250;

export interface BulkWriterOptions {
  batchSize: number;
  batchesInFlight: number;
  /** Attempts per batch before giving up with a TransientError. */
  attempts?: number;
  /** Set: awaitReplicas() waits for every written master's replicas (see replica-ack.ts). */
  replicaAck?: ReplicaAckOptions;
  /** HSETs sent as script calls of FIELDS_PER_CALL fields (PUT_FIELDS). */
  packed?: boolean;
}

export class ClusterBulkWriter implements BulkWriter {
  private readonly pending = new Map<string, WriteCommand[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  private existing: ((command: HsetCommand) => void) | null = null;
  /** Per master written to (by the node it was sent to, not the slot's owner now), its last HSET or HDEL. */
  private readonly lastWrite = new Map<string, Extract<WriteCommand, { op: 'hset' | 'hdel' }>>();

  constructor(
    private readonly cluster: Cluster,
    private readonly options: BulkWriterOptions,
  ) {}

  /** Queues commands; resolves once the number of batches in flight is back under the limit. */
  async write(commands: readonly WriteCommand[]): Promise<void> {
    this.throwIfFailed();
    for (const command of commands) {
      const node = ownerOf(this.cluster, command.key);
      let queue = this.pending.get(node);
      if (!queue) this.pending.set(node, (queue = []));
      queue.push(command);
      if (queue.length >= this.options.batchSize) {
        this.pending.delete(node);
        this.send(queue, node);
      }
    }
    // Backpressure: the caller stops reading input while Redis is behind.
    while (this.inFlight.size >= this.options.batchesInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /**
   * Calls `fn` for each HSET whose field already existed (Redis replied 0): a key written twice.
   * Only replies to a batch's first sending count: a re-sent command may have landed the first
   * time, and its 0 would then be our own earlier write.
   */
  onExistingField(fn: (command: HsetCommand) => void): void {
    this.existing = fn;
  }

  /** Sends what is queued and waits for every batch. */
  async flush(): Promise<void> {
    for (const [node, queue] of this.pending) {
      this.pending.delete(node);
      this.send(queue, node);
    }
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /**
   * After flush(): resolves once the replicas of every master this writer sent an HSET to have
   * acknowledged it, or throws a TransientError (a retried chunk rewrites the same fields).
   * A master that failed over meanwhile is no longer in the slot map and fails the check: what
   * it acknowledged may not have reached the replica that replaced it. No-op without `replicaAck`.
   */
  async awaitReplicas(): Promise<void> {
    const ack = this.options.replicaAck;
    if (!ack) return;
    await Promise.all(
      // WAIT covers every write this connection sent; the rewrite (an HDEL again is a no-op that
      // WAIT still counts up to) only moves the offset past writes sent before a reconnection.
      [...this.lastWrite].map(([node, last]) =>
        awaitReplicas(this.cluster, node, ack, (p) => (last.op === 'hset' ? p.hset(last.key, last.field, last.value) : p.hdel(last.key, last.field)), last.op === 'hset' ? 'chunk writes' : 'erasures'),
      ),
    );
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** `node` owns every command of `batch` (write() grouped them), as far as the slot map knew. */
  private send(batch: WriteCommand[], node: string): void {
    const p = this.sendWithRetry(batch, node).catch((err: unknown) => {
      this.failure ??= err;
    });
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async sendWithRetry(batch: WriteCommand[], node: string): Promise<void> {
    const attempts = this.options.attempts ?? 8;
    let remaining = batch;
    for (let attempt = 1; ; attempt++) {
      // The first attempt goes where write() grouped it; a retry regroups on the refreshed slot map.
      const groups = attempt === 1 ? new Map([[node, remaining]]) : this.regroup(remaining);
      const failed: WriteCommand[] = [];
      let lastError: unknown;
      await Promise.all(
        [...groups].map(async ([node, cmds]) => {
          try {
            const results = await this.execBatch(node, cmds);
            const existing = attempt === 1 ? this.existing : null;
            results?.forEach(([err, reply], i) => {
              const c = cmds[i]!;
              if (err) {
                lastError = err;
                failed.push(c);
              } else if (c.op === 'hset') {
                this.lastWrite.set(node, c);
                if (existing && reply === 0) existing(c);
              } else if (c.op === 'hdel') {
                this.lastWrite.set(node, c);
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

  /** Commands by the master that owns each one's key now (after a slot map refresh). */
  private regroup(commands: readonly WriteCommand[]): Map<string, WriteCommand[]> {
    const groups = new Map<string, WriteCommand[]>();
    for (const [node, members] of groupByOwner(this.cluster, commands, (c) => c.key)) groups.set(node, members.map((m) => m.item));
    return groups;
  }

  /** One pipeline on the master's own connection (see exec). */
  private execBatch(node: string, cmds: WriteCommand[]): Promise<[Error | null, unknown][] | null> {
    const connection: Redis = masterConnection(this.cluster, node);
    const pipeline = connection.pipeline();
    if (this.options.packed) return this.execPacked(connection, pipeline, cmds);
    for (const c of cmds) {
      if (c.op === 'hset') pipeline.hset(c.key, c.field, c.value);
      else if (c.op === 'hdel') pipeline.hdel(c.key, c.field);
      else pipeline.unlink(c.key);
    }
    return this.exec(connection, pipeline);
  }

  /** Runs of HSETs as PUT_FIELDS calls, other commands as they are; one reply per command, as execBatch gives. */
  private async execPacked(connection: Redis, pipeline: ChainableCommander, cmds: WriteCommand[]): Promise<[Error | null, unknown][] | null> {
    const spans: number[] = []; // commands per pipeline entry
    for (let i = 0; i < cmds.length; ) {
      const c = cmds[i]!;
      if (c.op !== 'hset') {
        if (c.op === 'hdel') pipeline.hdel(c.key, c.field);
        else pipeline.unlink(c.key);
        spans.push(1);
        i++;
        continue;
      }
      const args: string[] = [];
      let n = 0;
      for (let h: WriteCommand | undefined = c; h?.op === 'hset' && n < FIELDS_PER_CALL; h = cmds[i + ++n]) args.push(h.key, h.field, h.value);
      pipeline.eval(PUT_FIELDS, 0, ...args);
      spans.push(n);
      i += n;
    }
    const replies = await this.exec(connection, pipeline);
    if (!replies) return null;
    // A call that failed may have run part of its HSETs: all of them count as failed and are re-sent.
    // Otherwise each HSET's reply as HSET gives it: 0 for a field already stored.
    return replies.flatMap(([err, reply], k) => {
      const existed = new Set(err || !Array.isArray(reply) ? [] : (reply as number[]));
      return Array.from({ length: spans[k]! }, (_, j): [Error | null, unknown] => [err, err ? null : existed.has(j + 1) ? 0 : 1]);
    });
  }

  /**
   * A pipeline, under one deadline for the whole batch.
   * With `commandTimeout` set, ioredis arms and clears a timer for every command it sends:
   * a third of the bulk write rate (BENCHMARKS.md). The commands of a pipeline are all written
   * at once, so one timer of the same length gives them the same deadline. ioredis reads the
   * option as it sends each command, and exec() sends synchronously, so it is lifted only for
   * that synchronous call: nothing else can send on the connection meanwhile.
   */
  private exec(connection: Redis, pipeline: ChainableCommander): Promise<[Error | null, unknown][] | null> {
    const timeoutMs = connection.options.commandTimeout;
    if (typeof timeoutMs !== 'number') return pipeline.exec();
    let sent: Promise<[Error | null, unknown][] | null>;
    connection.options.commandTimeout = undefined;
    try {
      sent = pipeline.exec();
    } finally {
      connection.options.commandTimeout = timeoutMs;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), timeoutMs);
    });
    return Promise.race([sent, deadline]).finally(() => clearTimeout(timer));
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
