// The read path: the live pointer, cached briefly per container, then one HGET on the bucket
// that holds the record. Two round trips on a cache miss, one otherwise; never a mix of
// versions, since one request uses one pointer. When a slot's master does not answer in time
// (a failover), a replica of the slot is asked too: every write of a committed version and
// every confirmed swap is on the replicas before the commit reports success (replica-ack.ts).
// A read may instead name a version (pinned: shadow tests, canaries, A/B): then that version's
// metadata stands in for the pointer.
// Suppressed items (invariant 13) come with the pointer: its refresh asks for the pointer and the
// suppression generation in one pipelined round trip on the control slot, and reads the set
// only when the generation changed. An unpinned read stays one round trip in steady state; a
// change reaches every answer within the pointer cache period. Pinned reads refresh it on the
// same period.
import type { Cluster, Redis } from 'ioredis';
import { bucketOf, controlKeys, dataKey } from '../domain/key-layout.js';
import { NoLiveVersionError, TransientError } from '../errors.js';
import { PinnedVersions } from './pinned-versions.js';
import { groupByOwner, masterConnection, replicaConnection } from './slot-owner.js';
import type { LivePointer } from '../domain/version-repository.js';
import { parsePointer } from './version-store.js';

export interface LiveValue {
  version: string;
  value: string | null;
  /** Items no list answer may hold (empty for most datasets). */
  suppressed: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

export class LiveReader {
  private cached: { pointer: LivePointer; expiresAt: number } | null = null;
  private refreshing: Promise<LivePointer> | null = null;
  /** The last pointer a master answered: the only one a replica may confirm. */
  private lastFromMaster: string | null = null;
  private readonly currentKey: string;
  private readonly suppressedKey: string;
  private readonly suppressedGenerationKey: string;
  private readonly pins: PinnedVersions;
  /** The suppressed items and the generation they were read at; refreshed with the pointer. */
  private suppression: { generation: string; items: ReadonlySet<string>; expiresAt: number } = { generation: '', items: NONE, expiresAt: 0 };
  private refreshingSuppression: Promise<ReadonlySet<string>> | null = null;

  constructor(
    private readonly redis: Cluster,
    private readonly dataset: string,
    private readonly cacheMs: number,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
    /** A read the master has not answered within this is also asked of a replica; >= timeoutMs: never. */
    private readonly fallbackMs: number = timeoutMs,
  ) {
    const keys = controlKeys(dataset);
    this.currentKey = keys.current;
    this.suppressedKey = keys.suppressed;
    this.suppressedGenerationKey = keys.suppressedGeneration;
    this.pins = new PinnedVersions(redis, dataset, cacheMs, (fn) => this.call(fn), now);
  }

  /** A record of the live version, or of `pinned` (a version named by the caller) when given. */
  async get(recordKey: string, pinned?: string): Promise<LiveValue> {
    // The live path stays as it was: one comparison more.
    if (pinned !== undefined) return this.getPinned(recordKey, pinned);
    const pointer = this.cachedPointer() ?? (await this.pointer());
    const key = dataKey(this.dataset, pointer.version, bucketOf(recordKey, pointer.buckets));
    const value = await this.hedged(
      () => this.redis.hget(key, recordKey),
      (replica) => replica.hget(key, recordKey),
      key,
      (v) => v !== null,
    );
    return { version: pointer.version, value, suppressed: this.suppression.items };
  }

  private async getPinned(recordKey: string, version: string): Promise<LiveValue> {
    const key = dataKey(this.dataset, version, bucketOf(recordKey, await this.pins.buckets(version)));
    const value = await this.hedged(
      () => this.redis.hget(key, recordKey),
      (replica) => replica.hget(key, recordKey),
      key,
      (v) => v !== null,
    );
    // A pinned version may have been retired while we read: a miss is confirmed (see pinned-versions.ts).
    if (value === null) await this.pins.confirm(version);
    return { version, value, suppressed: await this.suppressedItems() };
  }

  /**
   * Several records from one version: one pointer, then one pipelined round trip per master
   * (the HGETs to each node go out together, the nodes are asked in parallel).
   */
  async getMany(recordKeys: readonly string[], pinned?: string): Promise<{ version: string; values: (string | null)[]; suppressed: ReadonlySet<string> }> {
    const pointer = pinned === undefined ? await this.pointer() : { version: pinned, buckets: await this.pins.buckets(pinned) };
    const keys = recordKeys.map((k) => dataKey(this.dataset, pointer.version, bucketOf(k, pointer.buckets)));
    const values = new Array<string | null>(recordKeys.length).fill(null);
    let groups: ReturnType<typeof groupByOwner<string>>;
    try {
      groups = groupByOwner(this.redis, keys, (k) => k);
    } catch (err) {
      throw unavailable(err);
    }
    await Promise.all(
      [...groups].map(async ([node, members]) => {
        // A replica answers for the group only if it has every record (see get()).
        const got = await this.hedged(
          () => hgetAll(masterConnection(this.redis, node), members, recordKeys),
          (replica) => hgetAll(replica, members, recordKeys),
          members[0]!.item,
          (vs) => vs.every((v) => v !== null),
        );
        got.forEach((v, i) => (values[members[i]!.index] = v));
      }),
    );
    if (pinned !== undefined && values.includes(null)) await this.pins.confirm(pinned);
    return { version: pointer.version, values, suppressed: pinned === undefined ? this.suppression.items : await this.suppressedItems() };
  }

  /** The suppressed items, at most one pointer-cache period old (pinned reads; live reads get them with the pointer). */
  async suppressedItems(): Promise<ReadonlySet<string>> {
    if (this.suppression.expiresAt > this.now()) return this.suppression.items;
    this.refreshingSuppression ??= this.call(() => this.redis.get(this.suppressedGenerationKey))
      .then((generation) => this.takeSuppression(generation))
      .finally(() => (this.refreshingSuppression = null));
    return this.refreshingSuppression;
  }

  /** Keeps the set read at `generation`; reads it again only when the generation moved. */
  private async takeSuppression(generation: string | null): Promise<ReadonlySet<string>> {
    const gen = generation ?? '';
    let items = this.suppression.items;
    if (gen !== this.suppression.generation) {
      // Read after the generation: the set holds at least that generation's changes.
      items = gen === '' ? NONE : new Set(await this.call(() => this.redis.smembers(this.suppressedKey)));
    }
    this.suppression = { generation: gen, items, expiresAt: this.now() + this.cacheMs };
    return items;
  }

  /** The pointer while the cache holds it: most reads, without waiting a turn for a promise. */
  private cachedPointer(): LivePointer | undefined {
    const c = this.cached;
    return c && c.expiresAt > this.now() ? c.pointer : undefined;
  }

  async pointer(): Promise<LivePointer> {
    const c = this.cachedPointer();
    if (c) return c;
    // One refresh at a time per container: a burst of requests shares it.
    this.refreshing ??= this.fetchPointer().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async fetchPointer(): Promise<LivePointer> {
    // One round trip: the pointer and the suppression generation (same slot, one pipeline).
    const [raw, generation] = await this.hedged(
      async () => {
        const r = await pointerAndGeneration(this.redis.pipeline(), this.currentKey, this.suppressedGenerationKey);
        this.lastFromMaster = r[0];
        return r;
      },
      (replica) => pointerAndGeneration(replica.pipeline(), this.currentKey, this.suppressedGenerationKey),
      this.currentKey,
      // A replica may lag a swap that is still being confirmed: it may only confirm the pointer
      // this container last had from a master (or give a first one), never move it elsewhere.
      ([r]) => r !== null && (this.lastFromMaster === null || r === this.lastFromMaster),
    );
    if ((generation ?? '') !== this.suppression.generation || this.suppression.expiresAt <= this.now()) await this.takeSuppression(generation);
    const pointer = parsePointer(raw);
    if (!pointer) throw new NoLiveVersionError(`dataset ${this.dataset} has no live version yet`);
    this.cached = { pointer, expiresAt: this.now() + this.cacheMs };
    return pointer;
  }

  /** One call under the read timeout (the pinned versions' metadata reads). */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(unavailable(new Error(`no answer within ${this.timeoutMs} ms`))), this.timeoutMs);
      fn().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(unavailable(err));
        },
      );
    });
  }

  /**
   * Asks the master (`primary`); if it fails, or has not answered within fallbackMs, asks a
   * replica of `key`'s slot too, and takes the first answer: the master's, or a replica's that
   * `trusted` accepts (a replica cannot prove a record absent, it may only have it). A reader
   * answers 503 within the timeout rather than waiting on a cluster that is down (ioredis's own
   * commandTimeout does not cover commands queued while the cluster reconnects).
   */
  private hedged<T>(primary: () => Promise<T>, secondary: (replica: Redis) => Promise<T>, key: string, trusted: (value: T) => boolean): Promise<T> {
    // Few closures per call: the call's state lives in a HedgedRead (prototype methods).
    const call = new HedgedRead<T>(this.redis, key, secondary, trusted, this.fallbackMs < this.timeoutMs);
    return new Promise<T>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
      call.timer = setTimeout(() => call.onFallbackTime(this.timeoutMs - this.fallbackMs), Math.min(this.fallbackMs, this.timeoutMs));
      let fromPrimary: Promise<T>;
      try {
        fromPrimary = primary();
      } catch (err) {
        fromPrimary = Promise.reject(err);
      }
      fromPrimary.then(
        (value) => call.settle(true, value),
        (err: unknown) => call.onPrimaryFailed(err),
      );
    });
  }
}

/** One read's race between the master and, when it is slow or fails, a replica. One timer at a time. */
class HedgedRead<T> {
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  private done = false;
  private askedReplica = false;
  /** Answers still expected. */
  private waiting = 1;
  private lastError: unknown = null;

  constructor(
    private readonly redis: Cluster,
    private readonly key: string,
    private readonly secondary: (replica: Redis) => Promise<T>,
    private readonly trusted: (value: T) => boolean,
    private readonly canFallBack: boolean,
  ) {}

  settle(ok: boolean, value?: T): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (ok) this.resolve(value as T);
    else this.reject(unavailable(this.lastError ?? new Error('no answer in time')));
  }

  onFallbackTime(remainingMs: number): void {
    this.askReplica();
    if (!this.done) this.timer = setTimeout(() => this.settle(false), Math.max(0, remainingMs));
  }

  onPrimaryFailed(err: unknown): void {
    this.waiting--;
    this.lastError = err;
    if (this.askedReplica) this.failIfNothingPending();
    else this.askReplica();
  }

  private failIfNothingPending(): void {
    if (this.waiting === 0) this.settle(false);
  }

  private askReplica(): void {
    if (this.askedReplica || this.done) return;
    this.askedReplica = true;
    let replica: Redis | null = null;
    try {
      replica = this.canFallBack ? replicaConnection(this.redis, this.key) : null;
    } catch {
      replica = null;
    }
    if (!replica) return this.failIfNothingPending();
    this.waiting++;
    let fromReplica: Promise<T>;
    try {
      fromReplica = this.secondary(replica);
    } catch (err) {
      fromReplica = Promise.reject(err);
    }
    fromReplica.then(
      (value) => {
        this.waiting--;
        if (this.trusted(value)) return this.settle(true, value);
        this.lastError ??= new Error('a replica could not confirm the answer');
        this.failIfNothingPending();
      },
      (err: unknown) => {
        this.waiting--;
        this.lastError = err;
        this.failIfNothingPending();
      },
    );
  }
}

/** The pointer and the suppression generation, in one pipelined round trip. */
async function pointerAndGeneration(pipeline: ReturnType<Cluster['pipeline']>, current: string, generation: string): Promise<[string | null, string | null]> {
  const replies = (await pipeline.get(current).get(generation).exec()) ?? [];
  const [[e1, pointer] = [null, null], [e2, gen] = [null, null]] = replies;
  if (e1 || e2) throw e1 ?? e2;
  return [(pointer as string | null) ?? null, (gen as string | null) ?? null];
}

/** One pipelined round trip: the HGETs of one node's members of a batch. */
async function hgetAll(connection: Redis, members: readonly { item: string; index: number }[], recordKeys: readonly string[]): Promise<(string | null)[]> {
  const pipeline = connection.pipeline();
  for (const { item, index } of members) pipeline.hget(item, recordKeys[index]!);
  return ((await pipeline.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return (value as string | null) ?? null;
  });
}

function unavailable(err: unknown): TransientError {
  return new TransientError(`Redis did not answer: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
