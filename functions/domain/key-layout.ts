// Where things live in Redis. Control keys share the hash tag {sluice:<dataset>} so one Lua
// script can update them atomically on one slot. Data keys carry no hash tag: they spread
// over every slot, and each is one bucket (a small listpack-encoded hash) of records, so a
// version's keys are a known list (`0..buckets-1`) and deleting one never needs a SCAN.

/** Listpack limits the layout is sized for; the template's parameter group sets the same. */
export const REDIS_LAYOUT_SETTINGS = {
  'hash-max-listpack-entries': '1024',
  'hash-max-listpack-value': '4096',
} as const;

/**
 * Input bytes per bucket. Even the smallest useful record (~25 bytes of JSON) leaves a
 * bucket at ~330 entries on average, well inside hash-max-listpack-entries; typical 200-byte
 * records give ~20 per bucket, which keeps HSET/HGET on a bucket to a short linear scan.
 */
export const BUCKET_INPUT_BYTES = 8192;

export function bucketCountFor(totalInputBytes: number): number {
  return Math.max(1, Math.ceil(totalInputBytes / BUCKET_INPUT_BYTES));
}

/** FNV-1a over UTF-16 code units: cheap, stable, and identical for writer and reader. Unsigned 32 bits. */
export function keyHash(recordKey: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < recordKey.length; i++) {
    hash ^= recordKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The bucket of a record key; `hash` is keyHash(recordKey), passed where the caller has it already. */
export function bucketOf(recordKey: string, buckets: number, hash = keyHash(recordKey)): number {
  return hash % buckets;
}

/** Every key Sluice writes starts with one of these: data keys, and control keys (hash-tagged). */
export const KEY_NAMESPACES = ['sluice:', '{sluice:'] as const;

export function dataKey(dataset: string, version: string, bucket: number): string {
  return `sluice:${dataset}:${version}:${bucket}`;
}

export interface ControlKeys {
  current: string;
  versions: string;
  version(id: string): string;
  lock(id: string): string;
  chunkResults(id: string): string;
  chunkPlan(id: string): string;
  /** Erasure (erasure-scripts.ts): key -> JSON {at, reason, requestId}; the same keys scored by erase time; a token that changes with them; set once restored from S3. */
  tombstones: string;
  tombstonesAt: string;
  tombstonesGeneration: string;
  tombstonesRestored: string;
  /** The tombstoned keys as one string kept by the erase script, and the generation token it is exact at (adapters/key-lists.ts). */
  tombstoneList: string;
  tombstoneListGeneration: string;
  /** Suppressed items of a ranked-items dataset, and a token that changes with them. */
  suppressed: string;
  suppressedGeneration: string;
}

export function controlKeys(dataset: string): ControlKeys {
  const tag = `{sluice:${dataset}}`;
  return {
    current: `${tag}:current`,
    versions: `${tag}:versions`,
    version: (id) => `${tag}:version:${id}`,
    lock: (id) => `${tag}:lock:${id}`,
    chunkResults: (id) => `${tag}:chunks:${id}`,
    chunkPlan: (id) => `${tag}:plan:${id}`,
    tombstones: `${tag}:tombstones`,
    tombstonesAt: `${tag}:tombstones:at`,
    tombstonesGeneration: `${tag}:tombstones:generation`,
    tombstonesRestored: `${tag}:tombstones:restored`,
    tombstoneList: `${tag}:tombstones:list`,
    tombstoneListGeneration: `${tag}:tombstones:list:generation`,
    suppressed: `${tag}:suppressed`,
    suppressedGeneration: `${tag}:suppressed:generation`,
  };
}

/** The dataset's correction log (puts), on the control slot with the pointer: see domain/corrections.ts. */
export interface CorrectionKeys {
  /** Hash: record key -> JSON {gen, at, requestId}, a newline, and the record's stored value. */
  log: string;
  /** Sorted set: record key by the time of its correction. */
  at: string;
  /** Sorted set: record key by the log generation of its correction (the puts a load's chunks may have missed). */
  bygen: string;
  /** Counter moved on by every put; the pointer swap compares it. */
  gen: string;
  /** The logged keys with their times as one string kept by the put script, and the generation it holds every applying key at (adapters/key-lists.ts). */
  list: string;
  listGen: string;
  /** Set while a swap that was refused for new corrections applies them: puts wait. */
  fence: string;
  /** Hash: the keys a load's chunks wrote with their logged correction instead of the batch's record (see load-chunk.ts). */
  substituted(version: string): string;
}

export function correctionKeys(dataset: string): CorrectionKeys {
  const tag = `{sluice:${dataset}}`;
  return {
    log: `${tag}:corrections`,
    at: `${tag}:corrections:at`,
    bygen: `${tag}:corrections:bygen`,
    gen: `${tag}:corrections:gen`,
    fence: `${tag}:corrections:fence`,
    list: `${tag}:corrections:list`,
    listGen: `${tag}:corrections:list:gen`,
    substituted: (version) => `${tag}:corrections:substituted:${version}`,
  };
}
