// The read path: the live pointer, cached briefly per container, then one HGET on the bucket
// that holds the record. Two round trips on a cache miss, one otherwise; never a mix of
// versions, since one request uses one pointer. A read may instead name a version (pinned:
// shadow tests, canaries, A/B): then that version's metadata stands in for the pointer.
import type { Cluster } from 'ioredis';
import { bucketOf, controlKeys, dataKey } from '../domain/key-layout.js';
import { NoLiveVersionError, TransientError } from '../errors.js';
import { PinnedVersions } from './pinned-versions.js';
import { groupByOwner, masterConnection } from './slot-owner.js';
import { parsePointer, type LivePointer } from './version-store.js';

export interface LiveValue {
  version: string;
  value: string | null;
}

export class LiveReader {
  private cached: { pointer: LivePointer; expiresAt: number } | null = null;
  private refreshing: Promise<LivePointer> | null = null;
  private readonly currentKey: string;
  private readonly pins: PinnedVersions;

  constructor(
    private readonly redis: Cluster,
    private readonly dataset: string,
    private readonly cacheMs: number,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.currentKey = controlKeys(dataset).current;
    this.pins = new PinnedVersions(redis, dataset, cacheMs, (fn) => this.call(fn), now);
  }

  /** A record of the live version, or of `pinned` (a version named by the caller) when given. */
  async get(recordKey: string, pinned?: string): Promise<LiveValue> {
    // The live path stays as it was: one comparison more.
    if (pinned !== undefined) return this.getPinned(recordKey, pinned);
    const pointer = this.cachedPointer() ?? (await this.pointer());
    const key = dataKey(this.dataset, pointer.version, bucketOf(recordKey, pointer.buckets));
    const value = await this.call(() => this.redis.hget(key, recordKey));
    return { version: pointer.version, value };
  }

  /**
   * Several records from one version: one pointer, then one pipelined round trip per master
   * (the HGETs to each node go out together, the nodes are asked in parallel).
   */
  async getMany(recordKeys: readonly string[], pinned?: string): Promise<{ version: string; values: (string | null)[] }> {
    const pointer = pinned === undefined ? await this.pointer() : { version: pinned, buckets: await this.pins.buckets(pinned) };
    const keys = recordKeys.map((k) => dataKey(this.dataset, pointer.version, bucketOf(k, pointer.buckets)));
    const values = new Array<string | null>(recordKeys.length).fill(null);
    await this.call(async () => {
      const groups = groupByOwner(this.redis, keys, (k) => k);
      await Promise.all(
        [...groups].map(async ([node, members]) => {
          const pipeline = masterConnection(this.redis, node).pipeline();
          for (const { item, index } of members) pipeline.hget(item, recordKeys[index]!);
          const results = (await pipeline.exec()) ?? [];
          results.forEach(([err, value], i) => {
            if (err) throw err;
            values[members[i]!.index] = (value as string | null) ?? null;
          });
        }),
      );
    });
    // A pinned version may have been retired while we read: a miss is confirmed (see pinned-versions.ts).
    if (pinned !== undefined && values.includes(null)) await this.pins.confirm(pinned);
    return { version: pointer.version, values };
  }

  private async getPinned(recordKey: string, version: string): Promise<LiveValue> {
    const key = dataKey(this.dataset, version, bucketOf(recordKey, await this.pins.buckets(version)));
    const value = await this.call(() => this.redis.hget(key, recordKey));
    if (value === null) await this.pins.confirm(version);
    return { version, value };
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
    const pointer = parsePointer(await this.call(() => this.redis.get(this.currentKey)));
    if (!pointer) throw new NoLiveVersionError(`dataset ${this.dataset} has no live version yet`);
    this.cached = { pointer, expiresAt: this.now() + this.cacheMs };
    return pointer;
  }

  /**
   * A reader answers 503 within the timeout rather than waiting on a cluster that is down
   * (ioredis's own commandTimeout does not cover commands queued while the cluster reconnects).
   * One promise and one timer per call: this is on every read.
   */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    // Inline callbacks only: a named closure per call costs a __name() under esbuild's KeepNames.
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
}

function unavailable(err: unknown): TransientError {
  return new TransientError(`Redis did not answer: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
