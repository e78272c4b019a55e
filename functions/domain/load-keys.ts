// A load's key snapshot: the keys its chunks check every record against (the tombstoned keys; the
// keys with corrections that apply to the version), each with the generation it was read at, and
// the key filter over both. Plan reads them once and stores them beside the version; a chunk
// container takes them as its caches (pipeline/load-keys.ts). adapters/load-key-snapshots.ts
// stores them in Redis.

export interface LoadKeys {
  tombstones: { generation: string; keys: readonly string[] };
  corrections: { gen: number; minAt: number; keys: readonly string[] };
  /** KeyFilter.bits over both sets. */
  filter: Uint32Array;
}

export interface LoadKeySnapshots {
  save(version: string, keys: LoadKeys): Promise<void>;
  /** Null when the version has none (nothing erased or corrected at its Plan, or it expired). */
  load(version: string): Promise<LoadKeys | null>;
}
