// Corrections (puts) between nightly loads: what one is, the rule that decides whether a version
// about to go live gets it or supersedes it, and the port of the per-dataset correction log.
// adapters/correction-store.ts implements the log on the dataset's control slot.
import type { KeySet } from './key-set.js';

/** One correction as the log keeps it: the stored value (shaped like a load's), when, and by which request. */
export interface CorrectionEntry {
  /** The record key (the field in its bucket). */
  key: string;
  /** The value exactly as a load would store it (JSON text). */
  value: string;
  /** When the put was accepted, epoch ms. */
  at: number;
  requestId: string;
  /** The log's generation counter after the put that wrote this entry (1, 2, ...). */
  gen: number;
}

/** A version a put writes to at once: the live one and every held one, with its bucket count. */
export interface CorrectionTarget {
  version: string;
  buckets: number;
}

export interface LoggedPut {
  /** The log's generation after this put. */
  gen: number;
  /** The live version, if any, then the held versions. */
  targets: CorrectionTarget[];
}

export interface CorrectionLogSummary {
  /** Corrections in the log. */
  length: number;
  /** The oldest entry's time, epoch ms; null when the log is empty. */
  oldestAt: number | null;
}

export interface CorrectionLog {
  /**
   * Logs the corrections (a key logged before is replaced), moves the generation on and returns
   * the versions to write them to, all in one atomic step on the control slot. Null: a swap
   * holds the fence (see fence()); nothing was logged, try again shortly. Throws
   * ErasedKeysError, nothing logged, if any of the keys is erased (tombstoned): erasure wins.
   */
  log(entries: readonly { key: string; value: string }[], at: number, requestId: string): Promise<LoggedPut | null>;
  /**
   * Holds puts back (for at most `ttlMs`) so a swap refused for new corrections cannot be refused
   * again: without it a steady stream of puts could keep a version from ever going live.
   * Returns the generation, which no put moves while the fence stands.
   */
  fence(version: string, ttlMs: number): Promise<number>;
  unfence(version: string): Promise<void>;
  /** The current generation; read it BEFORE the entries, so an entry missed by the read moves it past. */
  generation(): Promise<number>;
  /** Every entry, read in pages (the log may hold 100k entries). */
  entries(): AsyncIterable<CorrectionEntry[]>;
  /**
   * Drops the entries every version that could still go live supersedes: logged more than
   * `windowMs` before the lowest order key among the versions holding data. Returns how many.
   */
  trim(windowMs: number): Promise<number>;
  summary(): Promise<CorrectionLogSummary>;
  // A load's chunks write a logged correction in place of the batch's record of the same key
  // (load-chunk.ts), so its Commit replays only what they did not (replay-corrections.ts).
  /** The keys whose corrections apply from `minAt` on (at >= minAt), and the generation read before them. */
  correctedKeys(minAt: number): Promise<CorrectedKeys>;
  /** Rebuilds the stored key list correctedKeys() reads if it is stale (a load's Plan, before its chunks read it). */
  refreshKeyList?(): Promise<void>;
  /** The entries of these keys, in order; null where the log has none (erased or trimmed since). */
  entriesOf(keys: readonly string[]): Promise<(CorrectionEntry | null)[]>;
  /** Records that a chunk of `version` wrote these keys with their logged correction. */
  markSubstituted(version: string, keys: readonly string[]): Promise<void>;
  /**
   * Entries applying from `minAt` on that the chunks of `version` did not write: keys not marked,
   * and any logged after `afterGen`; with each page, how many entries it passed over as logged before `minAt`.
   */
  unsubstituted(version: string, minAt: number, afterGen: number): AsyncIterable<{ entries: CorrectionEntry[]; superseded: number }>;
  /** Forgets the marks of `version` (once it is live or held, or deleted). */
  dropSubstituted(version: string): Promise<void>;
}

export interface CorrectedKeys {
  /** The log's generation, read before the keys: an entry logged after it may be missing. */
  gen: number;
  keys: KeySet;
}

const HOUR_MS = 3_600_000;

export function rewindWindowMs(hours: number): number {
  return Math.round(hours * HOUR_MS);
}

/**
 * The rule of invariant 12: a version gets a correction unless its job was created more than the
 * rewind window after the correction; then the batch is newer than the correction by more than
 * the window allows, and it wins. Exactly at the window's edge the correction still applies.
 */
export function correctionApplies(orderKey: number, correctionAt: number, windowMs: number): boolean {
  return orderKey - correctionAt <= windowMs;
}

/** Limits of one put call. */
export const PUT_MAX_RECORDS = 1000;
export const PUT_MAX_BYTES = 256 * 1024;
