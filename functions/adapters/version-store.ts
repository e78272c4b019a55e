// The version lifecycle in Redis: registration under a lock, chunk results, the pointer swap,
// failure and deletion. Everything that must be atomic is a Lua script on the control slot.
import type { ChainableCommander, Cluster } from 'ioredis';
import { bucketOf, controlKeys, correctionKeys, dataKey, type ControlKeys } from '../domain/key-layout.js';
import type { Chunk } from '../domain/chunk-plan.js';
import type { ChunkResult } from '../domain/load-summary.js';
import type { VersionStatus } from '../domain/version-lifecycle.js';
import type { DeleteClaim, HoldOutcome, LivePointer, RegisterOutcome, SwapOutcome, VersionRecord, VersionRepository } from '../domain/version-repository.js';
import type { BulkWriter } from '../domain/bulk-writer.js';
import { randomUUID } from 'node:crypto';
import { CorrectionsMovedError, TransientError, VersionStateError } from '../errors.js';
import { guardRedis } from './redis-errors.js';
import { awaitReplicas, type ReplicaAckOptions } from './replica-ack.js';
import { groupByOwner, masterConnection, ownerOf } from './slot-owner.js';
import * as lua from './version-scripts.js';

/** A deletion holds the version's lock this long; a deleter that dies frees it after this. */
const DELETE_LOCK_MS = 15 * 60 * 1000;

/** Failed, discarded and retired versions keep their metadata this long, for operators. */
const METADATA_TTL_SECONDS = 30 * 24 * 3600;

export function parsePointer(raw: string | null): LivePointer | null {
  if (!raw) return null;
  const p = JSON.parse(raw) as LivePointer;
  return { version: String(p.version), orderKey: Number(p.orderKey), buckets: Number(p.buckets) };
}

export class VersionStore implements VersionRepository {
  private readonly keys: ControlKeys;

  constructor(
    private readonly redis: Cluster,
    readonly dataset: string,
    /** Set: a swap reports success only once the control master's replicas have it. */
    private readonly replicaAck?: ReplicaAckOptions,
    /** What `get` calls a stale load by (a loading version's lockUntil against it), and beginDelete's default now. */
    private readonly now: () => number = Date.now,
  ) {
    this.keys = controlKeys(dataset);
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    // EVAL keeps this independent of script caches that a failover or restart may empty.
    return guardRedis(this.redis.eval(script, keys.length, ...keys, ...args.map(String)));
  }

  async register(input: { version: string; orderKey: number; owner: string; buckets: number; lockTtlMs: number; now: number; metadata: Record<string, string | number> }): Promise<RegisterOutcome> {
    const { version, orderKey, owner, buckets, lockTtlMs, now, metadata } = input;
    const pairs = Object.entries({ ...metadata, buckets }).flat();
    const [outcome, detail] = (await this.run(
      lua.REGISTER,
      [this.keys.version(version), this.keys.versions, this.keys.current, this.keys.lock(version)],
      [version, orderKey, owner, lockTtlMs, now, ...pairs],
    )) as [string, string];
    if (outcome === 'registered' || outcome === 'abandoned') return { outcome };
    if (outcome === 'stale') return { outcome, live: detail };
    return { outcome: 'duplicate', status: detail };
  }

  /** Throws unless the version is loading under this owner; returns its bucket count. */
  async assertLoading(version: string, owner: string): Promise<number> {
    const [ok, detail] = (await this.run(lua.CHECK_OWNER, [this.keys.version(version)], [owner])) as [string, string];
    if (ok !== 'ok') throw new VersionStateError(`version ${version} of ${this.dataset} is ${detail}, not loading under this execution`);
    return Number(detail);
  }

  /** A running load is alive: refreshes its lock. False when the version is no longer loading under this owner. */
  async heartbeat(version: string, owner: string, now: number, lockTtlMs: number): Promise<boolean> {
    return (await this.run(lua.HEARTBEAT, [this.keys.version(version), this.keys.lock(version)], [owner, now, lockTtlMs])) === 'ok';
  }

  /** Keeps a complete load of this owner as 'held' (never live) with its figures and check report. */
  async hold(input: { version: string; owner: string; now: number; reason: string; fields: Record<string, string | number> }): Promise<HoldOutcome> {
    const [outcome, detail] = (await this.run(
      lua.HOLD,
      [this.keys.version(input.version), this.keys.current, this.keys.lock(input.version)],
      [input.owner, input.now, input.reason, ...Object.entries(input.fields).flat()],
    )) as [string, string];
    if (outcome === 'wrong-status') throw new VersionStateError(`version ${input.version} of ${this.dataset} is ${detail}, not loading under this execution`);
    return { outcome: outcome as HoldOutcome['outcome'], live: detail };
  }

  /** Stores one chunk's result; false when the version stopped loading meanwhile (the caller must undo its writes). */
  async recordChunk(version: string, owner: string, result: ChunkResult): Promise<boolean> {
    const status = await this.run(lua.RECORD_CHUNK, [this.keys.version(version), this.keys.chunkResults(version)], [owner, result.index, JSON.stringify(result)]);
    return status === 'ok';
  }

  /**
   * The chunk list lives in Redis, not in the state machine's payload (capped at 256 KiB):
   * the Map iterates over chunk numbers and each worker fetches its own chunk.
   */
  async savePlan(version: string, chunks: readonly Chunk[]): Promise<void> {
    const key = this.keys.chunkPlan(version);
    await guardRedis(this.redis.del(key));
    for (let i = 0; i < chunks.length; i += 500) {
      const fields = chunks.slice(i, i + 500).flatMap((c) => [String(c.index), JSON.stringify(c)]);
      await guardRedis(this.redis.hset(key, ...fields));
    }
  }

  async planChunk(version: string, index: number): Promise<Chunk | null> {
    const raw = await guardRedis(this.redis.hget(this.keys.chunkPlan(version), String(index)));
    return raw ? (JSON.parse(raw) as Chunk) : null;
  }

  /** Counts this attempt at a chunk (1 = its first), in the plan hash so it goes with the version. */
  async chunkAttempt(version: string, index: number): Promise<number> {
    return guardRedis(this.redis.hincrby(this.keys.chunkPlan(version), `attempt:${index}`, 1));
  }

  /**
   * Stores fields on a version's metadata (the release checks' report and stats), only while
   * the version exists: a late write must not bring back an expired or deleted hash.
   */
  async recordFields(version: string, fields: Record<string, string>): Promise<boolean> {
    const status = await this.run(lua.SET_FIELDS, [this.keys.version(version)], Object.entries(fields).flat());
    return status !== 'missing';
  }

  /** Distinct records of a version: the sum of HLEN over its buckets, pipelined per master (no SCAN, no read-back). */
  async countRecords(version: string, buckets: number): Promise<number> {
    const keys = Array.from({ length: buckets }, (_, b) => dataKey(this.dataset, version, b));
    const replies = await this.perMaster(keys, (p, key) => p.hlen(key));
    return replies.reduce<number>((sum, n) => sum + Number(n ?? 0), 0);
  }

  /**
   * Up to `n` keys of a version, drawn from randomly chosen buckets (HRANDFIELD): enough buckets
   * that each gives a few keys, so no one bucket dominates the sample.
   */
  async sampleKeys(version: string, buckets: number, n: number): Promise<string[]> {
    const chosen = new Set<number>();
    const want = Math.min(buckets, n);
    // Distinct random buckets; when most are wanted, take all of them instead of drawing.
    if (want * 2 >= buckets) for (let b = 0; b < buckets; b++) chosen.add(b);
    else while (chosen.size < want) chosen.add(Math.floor(Math.random() * buckets));
    const perBucket = Math.max(1, Math.ceil(n / chosen.size));
    const keys = [...chosen].map((b) => dataKey(this.dataset, version, b));
    const replies = await this.perMaster(keys, (p, key) => p.hrandfield(key, perBucket));
    const out: string[] = [];
    for (const r of replies) for (const k of (r as string[] | null) ?? []) if (out.length < n) out.push(k);
    return out;
  }

  /** How many of `keys` a version holds (HEXISTS on each key's bucket, pipelined per master). */
  async countPresent(version: string, buckets: number, keys: readonly string[]): Promise<number> {
    const targets = keys.map((k) => ({ key: dataKey(this.dataset, version, bucketOf(k, buckets)), field: k }));
    const replies = await this.perMaster(targets.map((t) => t.key), (p, key, i) => p.hexists(key, targets[i]!.field));
    return replies.filter((r) => Number(r) === 1).length;
  }

  /** One command per key, sent as pipelines of up to 1000 on each owning master's connection, in parallel. */
  private async perMaster(keys: readonly string[], add: (p: ChainableCommander, key: string, index: number) => void): Promise<unknown[]> {
    const replies: unknown[] = new Array(keys.length);
    const groups = groupByOwner(this.redis, keys, (k) => k);
    await Promise.all(
      [...groups].map(async ([node, items]) => {
        const connection = masterConnection(this.redis, node);
        for (let from = 0; from < items.length; from += 1000) {
          const slice = items.slice(from, from + 1000);
          const pipeline = connection.pipeline();
          for (const { item, index } of slice) add(pipeline, item, index);
          const results = (await guardRedis(pipeline.exec())) ?? [];
          results.forEach(([err, reply], i) => {
            if (err) throw err;
            replies[slice[i]!.index] = reply;
          });
        }
      }),
    );
    return replies;
  }

  async chunkResults(version: string): Promise<ChunkResult[]> {
    const all = await guardRedis(this.redis.hgetall(this.keys.chunkResults(version)));
    return Object.values(all).map((v) => JSON.parse(v) as ChunkResult);
  }

  async current(): Promise<LivePointer | null> {
    return parsePointer(await guardRedis(this.redis.get(this.keys.current)));
  }

  /**
   * Compare-and-set of the pointer. `requiredStatus` is 'loading' for a load's commit and
   * 'superseded' for a rollback; `force` allows going back in order (rollback only).
   */
  async swap(input: { version: string; owner: string; requiredStatus: VersionStatus; force: boolean; now: number; fields: Record<string, string | number>; correctionsGen?: number }): Promise<SwapOutcome> {
    const meta = await this.get(input.version);
    if (!meta) throw new VersionStateError(`version ${input.version} of ${this.dataset} does not exist`);
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = (await guardRedis(this.redis.get(this.keys.current))) ?? '';
      const previous = parsePointer(raw || null)?.version ?? '';
      const pointer = JSON.stringify({ version: input.version, orderKey: meta.orderKey, buckets: meta.buckets });
      const [outcome, detail] = (await this.run(
        lua.SWAP,
        [this.keys.version(input.version), this.keys.current, this.keys.lock(input.version), this.keys.version(previous || input.version), correctionKeys(this.dataset).gen],
        [input.version, input.owner, raw, pointer, input.now, input.force ? '1' : '0', input.requiredStatus, input.correctionsGen ?? '', ...Object.entries(input.fields).flat()],
      )) as [string, string];
      if (outcome === 'conflict') continue; // the pointer moved between our read and the script: read again
      if (outcome === 'corrections-moved') throw new CorrectionsMovedError(`a correction was put to ${this.dataset} while ${input.version} was made ready to go live; apply it, then swap`);
      if (outcome === 'wrong-status') throw new VersionStateError(`version ${input.version} of ${this.dataset} is ${detail}, expected ${input.requiredStatus}`);
      if (outcome === 'wrong-owner') throw new VersionStateError(`version ${input.version} of ${this.dataset} belongs to another execution (${detail})`);
      // Confirmed whatever the outcome but 'refused': 'already-live' and 'superseded' found an
      // earlier attempt's swap, never confirmed; its committedAt stamp is the one read above.
      if (outcome !== 'refused') await this.confirmPointer(input.version, input.now, outcome === 'swapped' ? String(input.now) : meta.fields.committedAt);
      return { outcome: outcome as SwapOutcome['outcome'], previous: detail };
    }
    throw new VersionStateError(`the pointer of ${this.dataset} kept changing; swap of ${input.version} abandoned`);
  }

  /**
   * Waits until the control master's replicas acknowledge the swap, then checks that master
   * still has it: if the control slot failed over between the swap and now, the new master may
   * have lost the swap, and the retried commit must swap again. The witness is the version's
   * committedAt, which the swap script wrote with the pointer: the pointer alone is not one,
   * since a newer version may rightly have gone live in the meantime (two commits close
   * together), and a retry would then find this version superseded and fail a load that landed.
   */
  private async confirmPointer(version: string, now: number, committedAt: string | undefined): Promise<void> {
    if (!this.replicaAck) return;
    const node = ownerOf(this.redis, this.keys.current);
    const versionKey = this.keys.version(version);
    // A propagating write on the control slot (a field of the version's own metadata) moves the
    // connection's replication offset past the swap, whichever connection sent the swap.
    await awaitReplicas(this.redis, node, this.replicaAck, (p) => p.hset(versionKey, 'replicatedAt', String(now)), `pointer swap to ${version}`);
    const master = masterConnection(this.redis, node);
    const [pointerRaw, stamp] = await guardRedis(Promise.all([master.get(this.keys.current), master.hget(versionKey, 'committedAt')]));
    const pointer = parsePointer(pointerRaw);
    if (pointer?.version === version || (committedAt !== undefined && stamp === committedAt)) return;
    throw new TransientError(
      `the pointer of ${this.dataset} names ${pointer?.version ?? 'nothing'} on Redis master ${node} after the swap to ${version}, and ${version} does not carry that swap's stamp (lost in a failover?); retry the commit`,
    );
  }

  /** Marks a loading version failed if this owner holds it; false when it is not ours to fail. */
  async markFailed(version: string, owner: string, error: string, now: number): Promise<{ failed: boolean; status: string }> {
    const [who, status] = (await this.run(lua.MARK_FAILED, [this.keys.version(version), this.keys.lock(version)], [owner, now, error.slice(0, 2000)])) as [string, string];
    return { failed: who === 'ours', status };
  }

  /**
   * Claims a version for deleting its data (see BEGIN_DELETE): superseded, held, failed, refused,
   * discarded, half-retired, or a stale load (marked failed with `abandonedError`).
   */
  async beginDelete(version: string, now = this.now(), abandonedError = 'abandoned load: no heartbeat', claimant?: string): Promise<DeleteClaim> {
    const token = `delete:${claimant ?? randomUUID()}`;
    return (await this.run(lua.BEGIN_DELETE, [this.keys.version(version), this.keys.lock(version)], [token, DELETE_LOCK_MS, now, abandonedError])) as string;
  }

  /** An operator's discard of a held version or a stale load; claims it for deletion. Returns 'discarded' or why not. */
  async discard(version: string, now: number): Promise<string> {
    return (await this.run(lua.DISCARD, [this.keys.version(version), this.keys.lock(version)], [`delete:${randomUUID()}`, DELETE_LOCK_MS, now])) as string;
  }

  /** Deletes a version's data keys (a known list: no SCAN) and its chunk results, then records it. */
  async deleteData(version: string, buckets: number, writer: BulkWriter, now: number): Promise<void> {
    const batch = 1000;
    for (let from = 0; from < buckets; from += batch) {
      const to = Math.min(buckets, from + batch);
      const commands = [];
      for (let b = from; b < to; b++) commands.push({ op: 'unlink' as const, key: dataKey(this.dataset, version, b) });
      await writer.write(commands);
    }
    await writer.flush();
    await this.run(
      lua.FINISH_DELETE,
      [this.keys.version(version), this.keys.versions, this.keys.chunkResults(version), this.keys.chunkPlan(version), this.keys.lock(version)],
      [version, now, METADATA_TTL_SECONDS],
    );
  }

  async get(version: string): Promise<VersionRecord | null> {
    const fields = await guardRedis(this.redis.hgetall(this.keys.version(version)));
    if (!fields.status) return null;
    const record = toRecord(version, fields);
    // A load's lock lives as long as its workers heartbeat: without it, nothing is loading. Alive
    // as the scripts judge it (LOAD_LOCK_ALIVE): the key exists and lockUntil is ahead of now.
    if (record.status === 'loading') {
      const lockUntil = Number(fields.lockUntil);
      const expired = fields.lockUntil !== undefined && Number.isFinite(lockUntil) && lockUntil <= this.now();
      record.stale = expired || (await guardRedis(this.redis.exists(this.keys.lock(version)))) === 0;
    }
    return record;
  }

  /** Versions still holding data (the sorted set), oldest first. */
  async list(): Promise<VersionRecord[]> {
    const ids = await guardRedis(this.redis.zrange(this.keys.versions, '0', '-1'));
    const out: VersionRecord[] = [];
    for (const id of ids) {
      const v = await this.get(id);
      if (v) out.push(v);
    }
    return out;
  }
}

function toRecord(id: string, fields: Record<string, string>): VersionRecord {
  const record: VersionRecord = {
    id,
    status: fields.status as VersionStatus,
    orderKey: Number(fields.orderKey),
    buckets: Number(fields.buckets),
    fields,
  };
  if (fields.supersededAt) record.supersededAt = Number(fields.supersededAt);
  return record;
}
