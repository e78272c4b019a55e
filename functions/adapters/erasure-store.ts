// Tombstones and suppressed items in Redis, on the dataset's control slot (see
// erasure-scripts.ts). The tombstoned keys are cached per container with the generation token
// they were read at: a load checks the token (one GET per chunk) and fetches the keys again
// only after an erase or unerase, from the list the erase script keeps (key-lists.ts), or with
// HKEYS when the list is stale.
import type { Cluster } from 'ioredis';
import type { Tombstone } from '../domain/erasure.js';
import type { ErasureRepository } from '../domain/erasure-repository.js';
import { controlKeys, correctionKeys, type ControlKeys, type CorrectionKeys } from '../domain/key-layout.js';
import { ListedKeys, tombstoneListText, type KeySet } from '../domain/key-set.js';
import { readList, staleGeneration, storeList, type ListKeys } from './key-lists.js';
import { guardRedis } from './redis-errors.js';
import { awaitReplicas, type ReplicaAckOptions } from './replica-ack.js';
import { ownerOf } from './slot-owner.js';
import * as lua from './erasure-scripts.js';

/** Tombstones a restore sends per script call: keeps each call short on the control master. */
const RESTORE_BATCH = 1000;

export class ErasureStore implements ErasureRepository {
  private readonly keys: ControlKeys;
  private readonly corrections: CorrectionKeys;
  private readonly list: ListKeys;
  private cached: { generation: string; keys: KeySet } | null = null;

  constructor(
    private readonly redis: Cluster,
    readonly dataset: string,
    /** Set: a change reports success only once the control master's replicas have it. */
    private readonly replicaAck?: ReplicaAckOptions,
  ) {
    this.keys = controlKeys(dataset);
    this.corrections = correctionKeys(dataset);
    this.list = { generation: this.keys.tombstonesGeneration, listGeneration: this.keys.tombstoneListGeneration, list: this.keys.tombstoneList, set: this.keys.tombstones };
  }

  private run(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return guardRedis(this.redis.eval(script, keys.length, ...keys, ...args.map(String)));
  }

  /** Waits until the control master's replicas have the change (a failover must not undo an erase). */
  private async replicated(token: string, what: string): Promise<void> {
    if (!this.replicaAck) return;
    const node = ownerOf(this.redis, this.keys.current);
    await awaitReplicas(this.redis, node, this.replicaAck, (p) => p.set(this.keys.tombstonesGeneration + ':ack', token, 'PX', 60_000), what);
  }

  async addTombstones(keys: readonly string[], tombstone: Tombstone, token: string): Promise<{ version: string; buckets: number }[]> {
    const k = this.keys;
    const c = this.corrections;
    const ids = (await this.run(lua.ERASE, [k.tombstones, k.tombstonesAt, k.tombstonesGeneration, k.versions, c.log, c.at, c.gen, c.bygen, k.tombstoneList, k.tombstoneListGeneration], [tombstone.at, JSON.stringify(tombstone), token, ...keys])) as string[];
    await this.replicated(token, `erasure of ${keys.length} keys of ${this.dataset}`);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(k.version(id), 'buckets');
    const replies = (await guardRedis(pipeline.exec())) ?? [];
    const out: { version: string; buckets: number }[] = [];
    ids.forEach((id, i) => {
      const buckets = Number(replies[i]?.[1]);
      if (Number.isInteger(buckets) && buckets > 0) out.push({ version: id, buckets });
    });
    return out;
  }

  async removeTombstones(keys: readonly string[], token: string): Promise<number> {
    const k = this.keys;
    const n = Number(await this.run(lua.UNERASE, [k.tombstones, k.tombstonesAt, k.tombstonesGeneration], [token, ...keys]));
    await this.replicated(token, `lifting ${keys.length} tombstones of ${this.dataset}`);
    return n;
  }

  tombstoneCount(): Promise<number> {
    return guardRedis(this.redis.hlen(this.keys.tombstones));
  }

  async tombstonedKeys(): Promise<KeySet> {
    const current = (await guardRedis(this.redis.get(this.keys.tombstonesGeneration))) ?? '';
    if (this.cached?.generation === current) return this.cached.keys;
    const { generation, text } = await readList(this.redis, this.list);
    this.cached = { generation, keys: ListedKeys.tombstones(text ?? (await this.listAndStore(generation))) };
    return this.cached.keys;
  }

  async refreshKeyList(): Promise<void> {
    const generation = await staleGeneration(this.redis, this.list);
    if (generation !== null) await this.listAndStore(generation);
  }

  /**
   * The tombstoned keys from the hash as a list's text, stored again at `generation` ('': never,
   * there is no generation to store it at). Read after the generation: these keys hold at least its
   * changes (exactly those, if it has not moved when the list is stored). Listed without a
   * generation too: an empty hash costs nothing, and tombstones must not hide behind a lost token.
   */
  private async listAndStore(generation: string): Promise<string> {
    const text = tombstoneListText(await guardRedis(this.redis.hkeys(this.keys.tombstones)));
    if (generation !== '') await storeList(this.redis, this.list, generation, text);
    return text;
  }

  async erasedAmong(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const found = await guardRedis(this.redis.hmget(this.keys.tombstones, ...keys));
    return keys.filter((_, i) => found[i] !== null);
  }

  erasedSince(at: number): Promise<string[]> {
    return guardRedis(this.redis.zrangebyscore(this.keys.tombstonesAt, Math.floor(at), '+inf'));
  }

  async isRestored(): Promise<boolean> {
    return (await guardRedis(this.redis.exists(this.keys.tombstonesRestored))) === 1;
  }

  async restoreFromLog(tombstones: ReadonlyMap<string, Tombstone>, token: string): Promise<void> {
    const k = this.keys;
    const entries = [...tombstones];
    for (let from = 0; from < entries.length || from === 0; from += RESTORE_BATCH) {
      const slice = entries.slice(from, from + RESTORE_BATCH);
      const last = from + RESTORE_BATCH >= entries.length ? '1' : '0';
      const args = slice.flatMap(([key, t]) => [key, t.at, JSON.stringify(t)]);
      await this.run(lua.RESTORE, [k.tombstones, k.tombstonesAt, k.tombstonesGeneration, k.tombstonesRestored, k.tombstoneList, k.tombstoneListGeneration], [token, last, ...args]);
    }
    await this.replicated(token, `restoring the tombstones of ${this.dataset}`);
  }

  async suppress(items: readonly string[], add: boolean, token: string): Promise<number> {
    const n = Number(await this.run(lua.SUPPRESS, [this.keys.suppressed, this.keys.suppressedGeneration], [token, add ? 'add' : 'remove', ...items]));
    await this.replicated(token, `${add ? 'suppressing' : 'lifting'} ${items.length} items of ${this.dataset}`);
    return n;
  }

  suppressedCount(): Promise<number> {
    return guardRedis(this.redis.scard(this.keys.suppressed));
  }
}
