// Erasure and suppression, the pure part: what an erase/unerase or suppress/unsuppress request
// may hold, the durable log's entries and object names, and replaying that log into the set of
// tombstones. Which list items a suppression removes is suppressed-items.ts. No I/O here.
import { InvalidInputError } from '../errors.js';

/** Keys (or items) one call may name: small enough for one Lambda payload and one Lua call. */
export const MAX_PER_CALL = 1000;
/** Longer keys than this are no key a load could have stored under a sane layout. */
const MAX_KEY_LENGTH = 1024;
const MAX_REASON_LENGTH = 500;

export type ErasureAction = 'erase' | 'unerase';

/** One erase or unerase call, as the durable log holds it (one object per call). */
export interface ErasureLogEntry {
  action: ErasureAction;
  keys: string[];
  reason: string;
  /** Epoch milliseconds of the call (the caller's clock). */
  at: number;
  requestId: string;
}

/** What a tombstone records of the call that made it. */
export interface Tombstone {
  at: number;
  reason: string;
  requestId: string;
}

/**
 * A list of 1..1000 distinct non-empty strings from a request field; duplicates are dropped.
 * `what` names the field in errors ("keys", "items").
 */
export function parseNameList(value: unknown, what: string, example: string): string[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`${what} must be an array of strings, e.g. {"${what}": [${example}]}`);
  if (value.length === 0) throw new InvalidInputError(`${what} is empty; give 1 to ${MAX_PER_CALL} per call`);
  if (value.length > MAX_PER_CALL) throw new InvalidInputError(`${what} holds ${value.length} entries; at most ${MAX_PER_CALL} per call (send several calls)`);
  value.forEach((v, i) => {
    if (typeof v !== 'string' || v === '') throw new InvalidInputError(`${what}[${i}] must be a non-empty string, not ${JSON.stringify(v)?.slice(0, 60)}`);
    if (v.length > MAX_KEY_LENGTH) throw new InvalidInputError(`${what}[${i}] is ${v.length} characters long; at most ${MAX_KEY_LENGTH}`);
  });
  return [...new Set(value as string[])];
}

/** An optional reason: text up to 500 characters. */
export function parseReason(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new InvalidInputError('reason must be a string');
  if (value.length > MAX_REASON_LENGTH) throw new InvalidInputError(`reason is ${value.length} characters long; at most ${MAX_REASON_LENGTH}`);
  return value;
}

/** The folder of a dataset's erasure log under the configured log prefix. */
export function erasureLogFolder(prefix: string, dataset: string): string {
  return `${prefix}${dataset}/`;
}

/**
 * One object per call, named so that listing the folder returns the calls in time order: the
 * ISO time sorts as text (fixed width until the year 10000), the request id breaks ties.
 */
export function erasureLogKey(prefix: string, dataset: string, entry: Pick<ErasureLogEntry, 'at' | 'requestId'>): string {
  return `${erasureLogFolder(prefix, dataset)}${new Date(entry.at).toISOString()}-${entry.requestId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`;
}

/** Reads one log object; `where` names it in errors. */
export function parseLogEntry(text: string, where: string): ErasureLogEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${where} is not JSON: ${(err as Error).message}`);
  }
  const e = raw as Partial<ErasureLogEntry>;
  if ((e.action !== 'erase' && e.action !== 'unerase') || !Array.isArray(e.keys) || !e.keys.every((k) => typeof k === 'string') || typeof e.at !== 'number') {
    throw new InvalidInputError(`${where} is not an erasure log entry ({"action": "erase"|"unerase", "keys": [...], "at": <ms>, ...})`);
  }
  return { action: e.action, keys: e.keys, reason: typeof e.reason === 'string' ? e.reason : '', at: e.at, requestId: String(e.requestId ?? '') };
}

/** The tombstones a log leaves, replayed in order (an unerase lifts what came before it). */
export function replayLog(entries: readonly ErasureLogEntry[]): Map<string, Tombstone> {
  const out = new Map<string, Tombstone>();
  const ordered = [...entries].sort((a, b) => a.at - b.at || a.requestId.localeCompare(b.requestId));
  for (const e of ordered) {
    for (const k of e.keys) {
      if (e.action === 'erase') out.set(k, { at: e.at, reason: e.reason, requestId: e.requestId });
      else out.delete(k);
    }
  }
  return out;
}
