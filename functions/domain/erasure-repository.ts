// What the pipeline needs of the erasure and suppression state: tombstones (added, lifted,
// counted, read as a set for the loads, read by time for the sweep before a swap, restored from
// the durable log) and suppressed items. adapters/erasure-store.ts implements it on Redis (Lua on
// the control slot); tests/unit/pipeline/fixtures.ts in memory.
import type { Tombstone } from './erasure.js';
import type { KeySet } from './key-set.js';

export interface ErasureRepository {
  /** Records tombstones for `keys`; returns every version holding data at that moment, with its bucket count. */
  addTombstones(keys: readonly string[], tombstone: Tombstone, token: string): Promise<{ version: string; buckets: number }[]>;
  /** Lifts tombstones; returns how many there were. */
  removeTombstones(keys: readonly string[], token: string): Promise<number>;
  tombstoneCount(): Promise<number>;
  /** Every tombstoned key. Cached per container while the tombstones' generation is unchanged: one GET when nothing changed. */
  tombstonedKeys(): Promise<KeySet>;
  /** Rebuilds the stored key list tombstonedKeys() reads if it is stale (a load's Plan, before its chunks read it). */
  refreshKeyList?(): Promise<void>;
  /** Those of `keys` that are tombstoned now (read uncached: one round trip). */
  erasedAmong(keys: readonly string[]): Promise<string[]>;
  /** Keys tombstoned at or after `at` (epoch ms, the erase calls' clock). */
  erasedSince(at: number): Promise<string[]>;
  /** False when the cache has lost its tombstones (or never had them): the durable log must be replayed first. */
  isRestored(): Promise<boolean>;
  /** Adds the replayed log's tombstones to those here, then marks the dataset restored. */
  restoreFromLog(tombstones: ReadonlyMap<string, Tombstone>, token: string): Promise<void>;
  /** Adds (or removes) suppressed items; returns how many changed. */
  suppress(items: readonly string[], add: boolean, token: string): Promise<number>;
  suppressedCount(): Promise<number>;
}
