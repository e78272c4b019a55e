// An in-memory VersionRepository and BulkWriter for the pipeline's unit tests, the way a
// persistence layer gets a test implementation of its small interface (not a module mock).
// It keeps to the Lua scripts' rules the orchestration relies on: the swap is a compare-and-set
// that refuses (and marks refused) a version ordered at or before the live one unless forced;
// hold, chunk results, heartbeats and failing only for a loading version of the same owner;
// deletion claims per status; a lock per running load or deletion. The scripts themselves are
// tested against a real cluster (tests/integration, tests/statemachine).
import type { BulkWriter, HsetCommand, WriteCommand } from '../../functions/domain/bulk-writer.js';
import type { Chunk } from '../../functions/domain/chunk-plan.js';
import type { Tombstone } from '../../functions/domain/erasure.js';
import type { ErasureRepository } from '../../functions/domain/erasure-repository.js';
import { ListedKeys, type KeySet } from '../../functions/domain/key-set.js';
import { bucketOf, dataKey } from '../../functions/domain/key-layout.js';
import type { ChunkResult } from '../../functions/domain/load-summary.js';
import type { VersionStatus } from '../../functions/domain/version-lifecycle.js';
import type { DeleteClaim, HoldOutcome, LivePointer, RegisterOutcome, SwapOutcome, VersionRecord, VersionRepository } from '../../functions/domain/version-repository.js';
import { VersionStateError } from '../../functions/errors.js';
import { randomUUID } from 'node:crypto';

type Fields = Record<string, string>;

const strings = (fields: Record<string, string | number>): Fields => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));

export class InMemoryVersions implements VersionRepository {
  /** The data keys (hashes) every writer of this store writes to. */
  readonly data = new Map<string, Map<string, string>>();
  private readonly meta = new Map<string, Fields>();
  /** The sorted set of versions holding data. */
  private readonly holding = new Set<string>();
  /** Versions whose lock is held (a running load or a deletion). */
  /** A version's lock and its holder's token, as the Lua keeps it: a load's owner, or `delete:<claimant>`. */
  private readonly locks = new Map<string, string>();
  private readonly results = new Map<string, Map<number, ChunkResult>>();
  private readonly plans = new Map<string, Map<number, Chunk>>();
  private readonly attempts = new Map<string, number>();
  private pointer: LivePointer | null = null;

  /** `now`: what get() judges a load's lock by (its lockUntil), as the Redis store's clock does. */
  constructor(
    readonly dataset: string,
    private readonly now: () => number = () => 0,
  ) {}

  /** A loading version's lock is alive while it is held and its lockUntil is ahead of `now` (LOAD_LOCK_ALIVE in the Lua). */
  private loadLockAlive(version: string, now: number): boolean {
    const until = this.meta.get(version)?.lockUntil;
    return this.locks.has(version) && (until === undefined || Number(until) > now);
  }

  newWriter = (): InMemoryWriter => new InMemoryWriter(this.data);

  /** Test setup: a version in any state, with one record per bucket. Live sets the pointer. */
  seed(id: string, status: VersionStatus, orderKey: number, extra: Fields & { buckets?: string } = {}): void {
    const buckets = Number(extra.buckets ?? 2);
    this.meta.set(id, { createdAt: '0', ...extra, status, orderKey: String(orderKey), buckets: String(buckets), owner: extra.owner ?? `exec-${id}` });
    this.holding.add(id);
    if (status === 'loading') this.locks.set(id, extra.owner ?? `exec-${id}`);
    if (status === 'live') this.pointer = { version: id, orderKey, buckets };
    for (let b = 0; b < buckets; b++) this.data.set(dataKey(this.dataset, id, b), new Map([[`k${b}`, '[]']]));
  }

  /** The load's process stopped: its lock expires (it turns stale). */
  expireLock(version: string): void {
    this.locks.delete(version);
  }

  /** Data keys of a version still present. */
  keysOf(version: string): string[] {
    const prefix = dataKey(this.dataset, version, 0).replace(/0$/, '');
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }

  async register(input: { version: string; orderKey: number; owner: string; buckets: number; lockTtlMs: number; now: number; metadata: Record<string, string | number> }): Promise<RegisterOutcome> {
    const status = this.meta.get(input.version)?.status;
    // A loading version's lock is its load's, and counts only while alive (a deletion's lock comes with another status).
    const locked = status === 'loading' ? this.loadLockAlive(input.version, input.now) : this.locks.has(input.version);
    const retried = locked && this.locks.get(input.version) === input.owner && status === 'loading' && this.meta.get(input.version)?.owner === input.owner;
    if (!retried) {
      if (locked) return { outcome: 'duplicate', status: status === 'loading' ? status : 'being deleted' };
      if (status === 'loading') return { outcome: 'abandoned' };
      if (status && status !== 'failed' && status !== 'discarded') return { outcome: 'duplicate', status };
    }
    if (this.pointer && this.pointer.orderKey >= input.orderKey) return { outcome: 'stale', live: this.pointer.version };
    this.meta.set(input.version, { ...strings(input.metadata), buckets: String(input.buckets), status: 'loading', orderKey: String(input.orderKey), owner: input.owner, lockUntil: String(input.now + input.lockTtlMs) });
    this.holding.add(input.version);
    this.locks.set(input.version, input.owner);
    return { outcome: 'registered' };
  }

  private loadingBy(version: string, owner: string): Fields | null {
    const m = this.meta.get(version);
    return m?.status === 'loading' && m.owner === owner ? m : null;
  }

  async assertLoading(version: string, owner: string): Promise<number> {
    const m = this.loadingBy(version, owner);
    if (!m) throw new VersionStateError(`version ${version} of ${this.dataset} is ${this.meta.get(version)?.status ?? 'missing'}, not loading under this execution`);
    return Number(m.buckets);
  }

  async heartbeat(version: string, owner: string, now: number, lockTtlMs: number): Promise<boolean> {
    const m = this.loadingBy(version, owner);
    if (!m) return false;
    m.heartbeatAt = String(now);
    m.lockUntil = String(now + lockTtlMs);
    this.locks.set(version, owner);
    return true;
  }

  async hold(input: { version: string; owner: string; now: number; reason: string; fields: Record<string, string | number> }): Promise<HoldOutcome> {
    const m = this.meta.get(input.version);
    const live = this.pointer?.version ?? '';
    if (m?.status === 'held' && m.owner === input.owner) return { outcome: 'held', live };
    if (!m || !this.loadingBy(input.version, input.owner)) throw new VersionStateError(`version ${input.version} of ${this.dataset} is ${m?.status ?? 'missing'}, not loading under this execution`);
    this.locks.delete(input.version);
    if (this.pointer && this.pointer.orderKey >= Number(m.orderKey)) {
      Object.assign(m, { status: 'refused', refusedAt: String(input.now), refusedBy: live });
      return { outcome: 'refused', live };
    }
    Object.assign(m, { status: 'held', heldAt: String(input.now), heldReason: input.reason }, strings(input.fields));
    return { outcome: 'held', live };
  }

  async recordChunk(version: string, owner: string, result: ChunkResult): Promise<boolean> {
    if (!this.loadingBy(version, owner)) return false;
    if (!this.results.has(version)) this.results.set(version, new Map());
    this.results.get(version)!.set(result.index, structuredClone(result));
    return true;
  }

  async savePlan(version: string, chunks: readonly Chunk[]): Promise<void> {
    this.plans.set(version, new Map(chunks.map((c) => [c.index, structuredClone(c)])));
  }

  async planChunk(version: string, index: number): Promise<Chunk | null> {
    return this.plans.get(version)?.get(index) ?? null;
  }

  async chunkAttempt(version: string, index: number): Promise<number> {
    const n = (this.attempts.get(`${version}:${index}`) ?? 0) + 1;
    this.attempts.set(`${version}:${index}`, n);
    return n;
  }

  async recordFields(version: string, fields: Record<string, string>): Promise<boolean> {
    const m = this.meta.get(version);
    if (m) Object.assign(m, fields);
    return m !== undefined;
  }

  private bucket(version: string, b: number): Map<string, string> | undefined {
    return this.data.get(dataKey(this.dataset, version, b));
  }

  async countRecords(version: string, buckets: number): Promise<number> {
    let n = 0;
    for (let b = 0; b < buckets; b++) n += this.bucket(version, b)?.size ?? 0;
    return n;
  }

  async sampleKeys(version: string, buckets: number, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let b = 0; b < buckets; b++) for (const k of this.bucket(version, b)?.keys() ?? []) if (out.length < n) out.push(k);
    return out;
  }

  async countPresent(version: string, buckets: number, keys: readonly string[]): Promise<number> {
    return keys.filter((k) => this.bucket(version, bucketOf(k, buckets))?.has(k)).length;
  }

  async chunkResults(version: string): Promise<ChunkResult[]> {
    return [...(this.results.get(version)?.values() ?? [])].map((r) => structuredClone(r));
  }

  async current(): Promise<LivePointer | null> {
    return this.pointer && { ...this.pointer };
  }

  async swap(input: { version: string; owner: string; requiredStatus: VersionStatus; force: boolean; now: number; fields: Record<string, string | number> }): Promise<SwapOutcome> {
    const m = this.meta.get(input.version);
    if (!m) throw new VersionStateError(`version ${input.version} of ${this.dataset} does not exist`);
    const previous = this.pointer?.version ?? '';
    if (previous === input.version) return { outcome: 'already-live', previous };
    if (m.status !== input.requiredStatus) {
      // Replaced since it went live: a held version retired unpromoted has no committedAt.
      const replacedSince = ['superseded', 'retiring', 'retired'].includes(m.status ?? '') && m.committedAt !== undefined;
      if (input.requiredStatus === 'loading' && input.owner !== '' && m.owner === input.owner && replacedSince) return { outcome: 'superseded', previous };
      throw new VersionStateError(`version ${input.version} of ${this.dataset} is ${m.status}, expected ${input.requiredStatus}`);
    }
    if (input.owner !== '' && m.owner !== input.owner) throw new VersionStateError(`version ${input.version} of ${this.dataset} belongs to another execution (${m.owner})`);
    this.locks.delete(input.version);
    if (this.pointer && !input.force && this.pointer.orderKey >= Number(m.orderKey)) {
      Object.assign(m, { status: 'refused', refusedAt: String(input.now), refusedBy: previous });
      return { outcome: 'refused', previous };
    }
    this.pointer = { version: input.version, orderKey: Number(m.orderKey), buckets: Number(m.buckets) };
    Object.assign(m, { status: 'live', committedAt: String(input.now) }, strings(input.fields));
    delete m.supersededAt;
    const before = this.meta.get(previous);
    if (before) Object.assign(before, { status: 'superseded', supersededAt: String(input.now) });
    return { outcome: 'swapped', previous };
  }

  async markFailed(version: string, owner: string, error: string, now: number): Promise<{ failed: boolean; status: string }> {
    const m = this.meta.get(version);
    if (m?.status === 'failed' && m.owner === owner) return { failed: true, status: 'failed' }; // a retry
    if (!m || !this.loadingBy(version, owner)) return { failed: false, status: m?.status ?? 'missing' };
    Object.assign(m, { status: 'failed', failedAt: String(now), error });
    this.locks.delete(version);
    return { failed: true, status: 'failed' };
  }

  async beginDelete(version: string, now = this.now(), abandonedError = 'abandoned load: no heartbeat', claimant?: string): Promise<DeleteClaim> {
    const m = this.meta.get(version);
    if (!m) return 'missing';
    const token = `delete:${claimant ?? randomUUID()}`;
    if (this.locks.get(version) === token) return 'claimed';
    const locked = this.locks.has(version);
    if (m.status === 'loading') {
      if (this.loadLockAlive(version, now)) return 'loading';
      Object.assign(m, { status: 'failed', failedAt: String(now), error: abandonedError });
    } else if (locked) return 'busy';
    else if (m.status === 'superseded' || m.status === 'held') m.status = 'retiring';
    else if (!['retiring', 'failed', 'refused', 'discarded'].includes(m.status!)) return m.status!;
    this.locks.set(version, token);
    return 'claimed';
  }

  async discard(version: string, now: number): Promise<string> {
    const m = this.meta.get(version);
    if (!m) return 'missing';
    if (m.status === 'loading' && this.loadLockAlive(version, now)) return 'loading';
    const locked = m.status !== 'loading' && this.locks.has(version);
    if (m.status !== 'held' && m.status !== 'loading' && m.status !== 'discarded') return m.status!;
    if (locked) return 'busy';
    if (m.status !== 'discarded') Object.assign(m, { status: 'discarded', discardedAt: String(now), discardedFrom: m.status });
    this.locks.set(version, `delete:${randomUUID()}`);
    return 'discarded';
  }

  async deleteData(version: string, buckets: number, writer: BulkWriter, now: number): Promise<void> {
    await writer.write(Array.from({ length: buckets }, (_, b) => ({ op: 'unlink' as const, key: dataKey(this.dataset, version, b) })));
    await writer.flush();
    const m = this.meta.get(version);
    if (m?.status === 'retiring') Object.assign(m, { status: 'retired', retiredAt: String(now) });
    if (m) m.dataDeletedAt = String(now);
    this.holding.delete(version);
    this.results.delete(version);
    this.plans.delete(version);
    this.locks.delete(version);
  }

  async get(version: string): Promise<VersionRecord | null> {
    const m = this.meta.get(version);
    if (!m?.status) return null;
    const record: VersionRecord = { id: version, status: m.status as VersionStatus, orderKey: Number(m.orderKey), buckets: Number(m.buckets), fields: { ...m } };
    if (m.supersededAt) record.supersededAt = Number(m.supersededAt);
    if (record.status === 'loading') record.stale = !this.loadLockAlive(version, this.now());
    return record;
  }

  async list(): Promise<VersionRecord[]> {
    const records = await Promise.all([...this.holding].map((id) => this.get(id)));
    return records.filter((r): r is VersionRecord => r !== null).sort((a, b) => a.orderKey - b.orderKey);
  }
}

/** Writes straight into the store's data map; `beforeFlush` lets a test act while a load writes. */
export class InMemoryWriter implements BulkWriter {
  private existing: ((command: HsetCommand) => void) | null = null;
  beforeFlush: (() => Promise<void>) | null = null;

  constructor(private readonly data: Map<string, Map<string, string>>) {}

  async write(commands: readonly WriteCommand[]): Promise<void> {
    for (const c of commands) {
      if (c.op === 'unlink') {
        this.data.delete(c.key);
        continue;
      }
      if (c.op === 'hdel') {
        this.data.get(c.key)?.delete(c.field);
        continue;
      }
      let hash = this.data.get(c.key);
      if (!hash) this.data.set(c.key, (hash = new Map()));
      if (hash.has(c.field)) this.existing?.(c);
      hash.set(c.field, c.value);
    }
  }

  async flush(): Promise<void> {
    await this.beforeFlush?.();
  }

  onExistingField(fn: (command: HsetCommand) => void): void {
    this.existing = fn;
  }

  async awaitReplicas(): Promise<void> {}
}

/** Tombstones and suppressed items in memory (already restored: there is no S3 log here). */
export class InMemoryErasures implements ErasureRepository {
  readonly tombstones = new Map<string, Tombstone>();
  readonly suppressed = new Set<string>();
  restored = true;

  async addTombstones(keys: readonly string[], tombstone: Tombstone): Promise<{ version: string; buckets: number }[]> {
    for (const k of keys) this.tombstones.set(k, tombstone);
    return [];
  }

  async removeTombstones(keys: readonly string[]): Promise<number> {
    return keys.filter((k) => this.tombstones.delete(k)).length;
  }

  async tombstoneCount(): Promise<number> {
    return this.tombstones.size;
  }

  async tombstonedKeys(): Promise<KeySet> {
    return ListedKeys.of(this.tombstones.keys());
  }

  async erasedAmong(keys: readonly string[]): Promise<string[]> {
    return keys.filter((k) => this.tombstones.has(k));
  }

  async erasedSince(at: number): Promise<string[]> {
    return [...this.tombstones].filter(([, t]) => t.at >= at).map(([k]) => k);
  }

  async isRestored(): Promise<boolean> {
    return this.restored;
  }

  async restoreFromLog(tombstones: ReadonlyMap<string, Tombstone>): Promise<void> {
    for (const [k, t] of tombstones) this.tombstones.set(k, t);
    this.restored = true;
  }

  async suppress(items: readonly string[], add: boolean): Promise<number> {
    let n = 0;
    for (const i of items) if (add ? !this.suppressed.has(i) && this.suppressed.add(i) : this.suppressed.delete(i)) n++;
    return n;
  }

  async suppressedCount(): Promise<number> {
    return this.suppressed.size;
  }
}
