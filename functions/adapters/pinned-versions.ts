// The metadata of versions that reads are pinned to, cached per container like the live
// pointer and for no longer (POINTER_CACHE_MS). Invariant 6 holds for pinned reads because
// every way a version loses its data first changes its status (retire: `retiring`; discard:
// `discarded`) and only then deletes keys:
//  - a cached entry is at most one pointer-cache period old, so a version stops being read
//    within POINTER_CACHE_MS (+ one request) of leaving a readable state, inside the grace
//    budget that GRACE_SECONDS already covers for the live pointer;
//  - and a pinned read that finds nothing asks Redis again (uncached) before saying "no such
//    record": if the version stopped being readable meanwhile, the answer is that the version
//    is gone, never a wrong 404 for a key that the version had.
import type { Cluster } from 'ioredis';
import { controlKeys, type ControlKeys } from '../domain/key-layout.js';
import { PINNED_FIELDS, pinnedVersion, type PinnedVersion } from '../domain/pinned-version.js';
import { VersionNotFoundError } from '../errors.js';

/** Distinct versions cached per dataset; beyond it the oldest entry goes (callers choose the names). */
const MAX_ENTRIES = 64;

export class PinnedVersions {
  private readonly cache = new Map<string, { expiresAt: number; found: Promise<PinnedVersion> }>();
  private readonly keys: ControlKeys;

  constructor(
    /** Only HMGET on the control slot is needed (a narrow interface: tests pass a fake). */
    private readonly redis: Pick<Cluster, 'hmget'>,
    private readonly dataset: string,
    private readonly cacheMs: number,
    /** Bounds each Redis call: the reader's timeout wrapper. */
    private readonly call: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = controlKeys(dataset);
  }

  /** The version's bucket count; throws VersionNotFoundError when it may not be read. */
  async buckets(version: string): Promise<number> {
    const at = this.now();
    let entry = this.cache.get(version);
    if (!entry || entry.expiresAt <= at) {
      // Concurrent reads of the same version share one lookup (the promise is the cache entry).
      const found = this.fetch(version);
      entry = { expiresAt: at + this.cacheMs, found };
      this.cache.delete(version);
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      if (this.cacheMs > 0) this.cache.set(version, entry);
      found.catch(() => this.cache.get(version) === entry && this.cache.delete(version));
    }
    return readable(await entry.found);
  }

  /** Uncached: throws VersionNotFoundError if the version is no longer readable (see above). */
  async confirm(version: string): Promise<void> {
    const found = await this.fetch(version);
    if (!found.readable) this.cache.delete(version);
    readable(found);
  }

  private async fetch(version: string): Promise<PinnedVersion> {
    const values = await this.call(() => this.redis.hmget(this.keys.version(version), ...PINNED_FIELDS));
    return pinnedVersion(this.dataset, version, values);
  }
}

function readable(v: PinnedVersion): number {
  if (!v.readable) throw new VersionNotFoundError(v.reason);
  return v.buckets;
}
