// What the pipeline needs of the version lifecycle store: registration, chunk plan and results,
// the pointer's compare-and-set, holding, failing and deleting versions, and the few bounded
// measurements the release checks take. adapters/version-store.ts implements it on Redis (Lua on
// the control slot); tests/support/in-memory-versions.ts in memory, for the pipeline's unit tests.
import type { BulkWriter } from './bulk-writer.js';
import type { Chunk } from './chunk-plan.js';
import type { ChunkResult } from './load-summary.js';
import type { VersionInfo, VersionStatus } from './version-lifecycle.js';

export interface LivePointer {
  version: string;
  orderKey: number;
  buckets: number;
}

export interface VersionRecord extends VersionInfo {
  fields: Record<string, string>;
}

export type RegisterOutcome = { outcome: 'registered' } | { outcome: 'duplicate'; status: string } | { outcome: 'stale'; live: string } | { outcome: 'abandoned' };
/**
 * 'superseded': a retried commit whose earlier attempt made the version live, and a newer one
 * has replaced it since (`previous` is that newer one): the load landed, nothing to do.
 */
export type SwapOutcome = { outcome: 'swapped' | 'already-live' | 'refused' | 'superseded'; previous: string };
/** 'held': kept, not live; 'refused': the live version is ordered at or after it (the caller deletes it). */
export type HoldOutcome = { outcome: 'held' | 'refused'; live: string };
/** Why a version could not be claimed for deletion. */
export type DeleteClaim = 'claimed' | 'loading' | 'busy' | string;

export interface VersionRepository {
  /**
   * Registers a load under a lock that lives `lockTtlMs` from `now` unless heartbeats renew it; a
   * loading version whose lock is no longer alive at `now` is 'abandoned' (a stale load).
   */
  register(input: { version: string; orderKey: number; owner: string; buckets: number; lockTtlMs: number; now: number; metadata: Record<string, string | number> }): Promise<RegisterOutcome>;
  /** Throws unless the version is loading under this owner; returns its bucket count. */
  assertLoading(version: string, owner: string): Promise<number>;
  /** Refreshes a running load's lock; false when the version is no longer loading under this owner. */
  heartbeat(version: string, owner: string, now: number, lockTtlMs: number): Promise<boolean>;
  /** Keeps a complete load of this owner as 'held'; refused when the live version is ordered at or after it. */
  hold(input: { version: string; owner: string; now: number; reason: string; fields: Record<string, string | number> }): Promise<HoldOutcome>;
  /** Stores one chunk's result; false when the version stopped loading under this owner. */
  recordChunk(version: string, owner: string, result: ChunkResult): Promise<boolean>;
  savePlan(version: string, chunks: readonly Chunk[]): Promise<void>;
  planChunk(version: string, index: number): Promise<Chunk | null>;
  /** Counts this attempt at a chunk (1 = its first). */
  chunkAttempt(version: string, index: number): Promise<number>;
  /** Stores fields on an existing version's metadata; false when it no longer exists. */
  recordFields(version: string, fields: Record<string, string>): Promise<boolean>;
  /** Distinct records the version holds. */
  countRecords(version: string, buckets: number): Promise<number>;
  /** Up to `n` keys of the version, sampled. */
  sampleKeys(version: string, buckets: number, n: number): Promise<string[]>;
  /** How many of `keys` the version holds. */
  countPresent(version: string, buckets: number, keys: readonly string[]): Promise<number>;
  chunkResults(version: string): Promise<ChunkResult[]>;
  current(): Promise<LivePointer | null>;
  /**
   * Compare-and-set of the pointer. `requiredStatus` is 'loading' for a commit (of this owner),
   * 'held' for a promote, 'superseded' for a rollback; without `force` a version ordered at or
   * before the live one is refused (and marked so). With `correctionsGen` (the correction log's
   * generation the version was brought up to), a put logged since refuses the swap with a
   * CorrectionsMovedError.
   */
  swap(input: { version: string; owner: string; requiredStatus: VersionStatus; force: boolean; now: number; fields: Record<string, string | number>; correctionsGen?: number }): Promise<SwapOutcome>;
  /** Marks a loading version of this owner failed; `failed` false when it is not ours to fail (one this owner failed already is). */
  markFailed(version: string, owner: string, error: string, now: number): Promise<{ failed: boolean; status: string }>;
  /**
   * Claims a version for deleting its data; 'claimed' or why not. A stale load is marked failed
   * with `abandonedError`. A `claimant` (a step of one execution) that claimed it before gets the
   * claim again, so its retry finishes a deletion that stopped halfway; without one, every call
   * is a new claimant.
   */
  beginDelete(version: string, now?: number, abandonedError?: string, claimant?: string): Promise<DeleteClaim>;
  /** An operator's discard of a held version or a stale load; 'discarded' or why not. */
  discard(version: string, now: number): Promise<string>;
  /** Deletes a claimed version's data through `writer`, then records the deletion. */
  deleteData(version: string, buckets: number, writer: BulkWriter, now: number): Promise<void>;
  get(version: string): Promise<VersionRecord | null>;
  /** Versions still holding data, oldest first. */
  list(): Promise<VersionRecord[]>;
}
