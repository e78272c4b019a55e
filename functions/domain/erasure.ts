// Erasure and suppression, the pure part: what an erase/unerase or suppress/unsuppress request
// may hold, the durable log's entries and object names, replaying that log into the set of
// tombstones, and which list items a suppression removes. No I/O here.
import { slotOf } from './key-filter.js';
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

/**
 * The name an item is suppressed by: a string as it is; a number as JSON writes it (2012); an
 * [id, score] pair by its id; an object by its `item`, `itemId`, `item_id` or `id` field; anything
 * else by its JSON text.
 */
export function itemName(item: unknown): string {
  if (typeof item === 'string') return item;
  if (typeof item === 'number') return String(item);
  if (Array.isArray(item)) {
    const id: unknown = item[0];
    if (typeof id === 'string' || typeof id === 'number') return String(id);
  } else if (item !== null && typeof item === 'object') {
    const o = item as Record<string, unknown>;
    for (const field of ITEM_ID_FIELDS) {
      const id = o[field];
      if (typeof id === 'string' || typeof id === 'number') return String(id);
    }
  }
  return JSON.stringify(item) ?? 'null';
}

const ITEM_ID_FIELDS = ['item', 'itemId', 'item_id', 'id'];

/** The list without suppressed items; ranks close up (the same array when nothing is suppressed). */
export function withoutSuppressed(items: readonly unknown[], suppressed: ReadonlySet<string>): unknown[] {
  if (suppressed.size === 0 || !Array.isArray(items)) return items as unknown[];
  return items.filter((item) => !suppressed.has(itemName(item)));
}

/**
 * What a suppressed set needs to be checked against a list's text: its names that are numbers, as
 * numbers (a list of numeric ids, or [id, score] pairs, is checked without turning each id into a
 * string); whether every name is a string or number an item can carry (then a list's tokens alone
 * can clear it); whether all numeric names are integers (then a score like 0.9876 cannot name one).
 * Built once per suppressed set.
 */
interface SuppressedNames {
  numbers: ReadonlySet<number>;
  /**
   * A bit per slot, set for each integer name: a list's integer is looked up in `numbers` only if
   * its bit is set. 2 KB for 1,000 names stays in cache between requests where the set does not.
   */
  integerBits: Uint32Array;
  byTokens: boolean;
  integersOnly: boolean;
}

/** integerBits holds 2^(32 - shift) bits; an integer's slot is slotOf(value >>> 0, shift). */
const INTEGER_BITS_SHIFT = 32 - 14;
const namesOf = new WeakMap<ReadonlySet<string>, SuppressedNames>();
function suppressedNames(suppressed: ReadonlySet<string>): SuppressedNames {
  let names = namesOf.get(suppressed);
  if (!names) {
    const numbers = new Set<number>();
    let byTokens = true;
    for (const name of suppressed) {
      if (name.trim() !== '' && String(Number(name)) === name) numbers.add(Number(name));
      // The JSON text of an item with no string or number id (true, null, an object, a list).
      if (name === 'true' || name === 'false' || name === 'null' || name.startsWith('{') || name.startsWith('[')) byTokens = false;
    }
    const integerBits = new Uint32Array(2 ** (32 - INTEGER_BITS_SHIFT) / 32);
    let integersOnly = true;
    for (const n of numbers) {
      if (!Number.isInteger(n)) {
        integersOnly = false;
        continue;
      }
      const slot = slotOf(n >>> 0, INTEGER_BITS_SHIFT);
      integerBits[slot >>> 5]! |= 1 << (slot & 31);
    }
    names = { numbers, integerBits, byTokens, integersOnly };
    namesOf.set(suppressed, names);
  }
  return names;
}

function isSuppressed(item: unknown, suppressed: ReadonlySet<string>, numbers: ReadonlySet<number>): boolean {
  if (typeof item === 'number') return numbers.has(item);
  if (Array.isArray(item) && typeof item[0] === 'number') return numbers.has(item[0]);
  return suppressed.has(itemName(item));
}

/**
 * Whether any string or number in a list's JSON text (no escapes in it) could name a suppressed
 * item. An item's name is one of its strings or numbers, so false means the list loses nothing
 * and need not be parsed; field names and scores are checked too, which can only say true in vain.
 */
function mayNameSuppressed(text: string, suppressed: ReadonlySet<string>, names: SuppressedNames): boolean {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || suppressed.has(text.slice(i + 1, end))) return true;
      i = end;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const from = c === 45 ? i + 1 : i;
      let j = from;
      let value = 0;
      for (; j < n; j++) {
        const d = text.charCodeAt(j) - 48;
        if (d < 0 || d > 9) break;
        value = value * 10 + d;
      }
      const digits = j - from;
      let next = j < n ? text.charCodeAt(j) : 0;
      // A fraction: a non-zero digit in it makes the number no integer (scores, mostly).
      let fractional = false;
      if (next === 46) {
        for (j++; j < n; j++) {
          const d = text.charCodeAt(j);
          if (d < 48 || d > 57) break;
          if (d !== 48) fractional = true;
        }
        next = j < n ? text.charCodeAt(j) : 0;
      }
      let exponent = false;
      if (next === 101 || next === 69) {
        exponent = true;
        for (j++; j < n; j++) {
          const d = text.charCodeAt(j);
          if ((d < 48 || d > 57) && d !== 43 && d !== 45) break;
        }
      }
      if (j === from + digits && digits <= 15) {
        const v = c === 45 ? -value : value;
        const slot = slotOf(v >>> 0, INTEGER_BITS_SHIFT);
        if ((names.integerBits[slot >>> 5]! & (1 << (slot & 31))) !== 0 && names.numbers.has(v)) return true;
      } else if (!(names.integersOnly && fractional && !exponent) && names.numbers.has(Number(text.slice(i, j)))) {
        return true;
      }
      i = j - 1;
    }
  }
  return false;
}

/**
 * A stored list's JSON text without its suppressed items: the same text when none of its items is
 * suppressed (most lists: no re-serialising), else the filtered list written out again.
 */
export function withoutSuppressedText(text: string, suppressed: ReadonlySet<string>): string {
  if (suppressed.size === 0) return text;
  const names = suppressedNames(suppressed);
  // Most lists hold no suppressed item: cleared by their tokens, without a parse (~2 us of a read).
  if (names.byTokens && !text.includes('\\') && !mayNameSuppressed(text, suppressed, names)) return text;
  const items: unknown = JSON.parse(text);
  if (!Array.isArray(items)) return text;
  const { numbers } = names;
  for (let i = 0; i < items.length; i++) {
    if (isSuppressed(items[i], suppressed, numbers)) return JSON.stringify(items.filter((item) => !isSuppressed(item, suppressed, numbers)));
  }
  return text;
}
