// The tombstoned keys and the corrected keys, as a load's chunk container holds them: an exact set
// read from a key list's text (adapters/key-lists.ts: `,"k1","k2"` or `,"k1",at1,"k2",at2`). Each
// key is kept as its place in that text with its hash, not as a string of its own: for 100k keys,
// JSON.parse and a Set of the strings cost 30-60 ms of a container's CPU per list and left 100k
// strings to the garbage collector; the key filter (key-filter.ts) is built from the hashes. The
// text is read as UTF-8 bytes, not with charCodeAt, which runs several times slower in a process
// that has loaded ioredis (bench/string-scan-micro.ts). A key with an escape in its JSON (a quote,
// a backslash, a control character, or "/" as Lua's cjson writes it) or a character beyond ASCII
// is decoded and kept as a string.
import { keyHash } from './key-layout.js';

const COMMA = 44;
const QUOTE = 34;
const BACKSLASH = 92;
/** Bytes from here on belong to characters beyond ASCII. */
const NON_ASCII = 0x80;

/** A tombstone list's text: `,"k1","k2"`. */
export function tombstoneListText(keys: Iterable<string>): string {
  let text = '';
  for (const key of keys) text += `,${JSON.stringify(key)}`;
  return text;
}

/** A correction list's text: `,"k1",at1,"k2",at2`. */
export function correctionListText(entries: Iterable<readonly [string, number]>): string {
  let text = '';
  for (const [key, at] of entries) text += `,${JSON.stringify(key)},${at}`;
  return text;
}

/** What a load checks record keys against. `hash`, where the caller has it, must be keyHash(key). */
export interface KeySet extends Iterable<string> {
  readonly size: number;
  has(key: string, hash?: number): boolean;
  /** keyHash of every key in the set. */
  hashes(): Iterable<number>;
}

export class ListedKeys implements KeySet {
  /** Keys in the set: for corrections, those whose last time is at or after minAt. */
  size = 0;
  /** Key entries in the text, a key put again counted again (a correction list is compacted when this is far above the distinct keys). */
  listed = 0;
  private distinct = 0;
  private hash = new Uint32Array(INITIAL);
  private start = new Int32Array(INITIAL);
  private end = new Int32Array(INITIAL);
  private at = new Float64Array(INITIAL);
  /** Keys with an escape or a character beyond ASCII, by entry, decoded (the others are ASCII: a byte per character). */
  private readonly decoded = new Map<number, string>();
  /** Open addressing: entry + 1 per slot, 0 for an empty slot; at most half full. */
  private slots = new Int32Array(INITIAL * 2);

  private constructor(
    private readonly bytes: Buffer,
    private readonly minAt: number,
  ) {}

  /** The keys of a tombstone list: `,"k1","k2"`. Throws a SyntaxError on text of another form. */
  static tombstones(text: string): ListedKeys {
    return ListedKeys.read(text, false, -Infinity);
  }

  /**
   * The keys of a correction list (`,"k1",at1,"k2",at2`) whose last entry is at or after `minAt`:
   * a key put again appears again, and its last entry is the one the log holds.
   */
  static corrections(text: string, minAt: number): ListedKeys {
    return ListedKeys.read(text, true, minAt);
  }

  /** A set of these keys (in-memory stores, tests). */
  static of(keys: Iterable<string>): ListedKeys {
    return ListedKeys.tombstones(tombstoneListText(keys));
  }

  has(key: string, hash = keyHash(key)): boolean {
    const mask = this.slots.length - 1;
    for (let s = mix(hash) & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0) return false;
      if (this.hash[e] === hash && this.isKey(e, key)) return this.at[e]! >= this.minAt;
    }
  }

  /** Distinct keys in the text, in the set or not. */
  get distinctKeys(): number {
    return this.distinct;
  }

  *hashes(): IterableIterator<number> {
    for (let e = 0; e < this.distinct; e++) if (this.at[e]! >= this.minAt) yield this.hash[e]!;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let e = 0; e < this.distinct; e++) if (this.at[e]! >= this.minAt) yield this.keyOf(e);
  }

  /** Every distinct key with its last time, whatever minAt (a correction list stored again compacted). */
  *entries(): IterableIterator<[string, number]> {
    for (let e = 0; e < this.distinct; e++) yield [this.keyOf(e), this.at[e]!];
  }

  private static read(text: string, timed: boolean, minAt: number): ListedKeys {
    const bytes = Buffer.from(text, 'utf8');
    const set = new ListedKeys(bytes, minAt);
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (bytes[i] !== COMMA || bytes[i + 1] !== QUOTE) throw unexpected(bytes, i);
      const from = i + 2;
      // The same FNV-1a as keyHash, over the characters between the quotes (ASCII: one byte each).
      let hash = 0x811c9dc5;
      let j = from;
      let c = j < n ? bytes[j]! : QUOTE;
      while (c !== QUOTE && c !== BACKSLASH && c < NON_ASCII) {
        hash = Math.imul(hash ^ c, 0x01000193);
        c = ++j < n ? bytes[j]! : QUOTE;
      }
      if (j >= n) throw unexpected(bytes, from - 1);
      let decoded: string | undefined;
      if (c !== QUOTE) {
        // Rare: find the closing quote past the escapes (no byte of a longer UTF-8 character is a
        // quote or a backslash) and decode the whole string.
        while (j < n && bytes[j] !== QUOTE) j += bytes[j] === BACKSLASH ? 2 : 1;
        if (j >= n) throw unexpected(bytes, from - 1);
        decoded = JSON.parse(bytes.toString('utf8', from - 1, j + 1)) as string;
        hash = keyHash(decoded);
      }
      let at = 0;
      i = j + 1;
      if (timed) {
        if (bytes[i] !== COMMA) throw unexpected(bytes, i);
        let k = i + 1;
        // Times are whole milliseconds: digits read in place; anything else through Number.
        let digits = true;
        for (; k < n && (c = bytes[k]!) !== COMMA; k++) {
          if (c >= 48 && c <= 57) at = at * 10 + (c - 48);
          else digits = false;
        }
        if (!digits) at = Number(bytes.toString('utf8', i + 1, k));
        if (k === i + 1 || !Number.isFinite(at)) throw unexpected(bytes, i + 1);
        i = k;
      }
      set.add(hash >>> 0, from, j, decoded, at);
    }
    return set;
  }

  private add(hash: number, from: number, to: number, decoded: string | undefined, at: number): void {
    this.listed++;
    if (this.distinct === this.hash.length) this.grow();
    const mask = this.slots.length - 1;
    let s = mix(hash) & mask;
    for (; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0) break;
      if (this.hash[e] === hash && (decoded !== undefined ? this.isKey(e, decoded) : this.isRange(e, from, to))) {
        // Listed again: its last time counts.
        if (this.at[e]! >= this.minAt) this.size--;
        this.at[e] = at;
        if (at >= this.minAt) this.size++;
        return;
      }
    }
    const e = this.distinct++;
    this.hash[e] = hash;
    this.start[e] = from;
    this.end[e] = to;
    this.at[e] = at;
    if (decoded !== undefined) this.decoded.set(e, decoded);
    this.slots[s] = e + 1;
    if (at >= this.minAt) this.size++;
  }

  /** Twice the entries, and the slots laid out again for them. */
  private grow(): void {
    const n = this.hash.length * 2;
    const wider = <T extends Uint32Array | Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.hash = wider(this.hash, new Uint32Array(n));
    this.start = wider(this.start, new Int32Array(n));
    this.end = wider(this.end, new Int32Array(n));
    this.at = wider(this.at, new Float64Array(n));
    this.slots = new Int32Array(n * 2);
    const mask = this.slots.length - 1;
    for (let e = 0; e < this.distinct; e++) {
      let s = mix(this.hash[e]!) & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = e + 1;
    }
  }

  private isKey(e: number, key: string): boolean {
    const decoded = this.decoded.size > 0 ? this.decoded.get(e) : undefined;
    if (decoded !== undefined) return decoded === key;
    const from = this.start[e]!;
    if (this.end[e]! - from !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (this.bytes[from + k] !== key.charCodeAt(k)) return false;
    return true;
  }

  /** Entry e is the key written plainly (ASCII, no escape) at bytes[from, to). */
  private isRange(e: number, from: number, to: number): boolean {
    const decoded = this.decoded.size > 0 ? this.decoded.get(e) : undefined;
    if (decoded !== undefined) return decoded === this.bytes.toString('latin1', from, to);
    const start = this.start[e]!;
    if (this.end[e]! - start !== to - from) return false;
    for (let k = 0; k < to - from; k++) if (this.bytes[start + k] !== this.bytes[from + k]) return false;
    return true;
  }

  private keyOf(e: number): string {
    return this.decoded.get(e) ?? this.bytes.toString('latin1', this.start[e], this.end[e]);
  }
}

/** Entries a set starts with; it doubles as it fills. */
const INITIAL = 1024;

/** Spreads FNV's bits before they pick a slot (the low bits alone cluster for similar keys). */
function mix(hash: number): number {
  return Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0;
}

function unexpected(bytes: Buffer, at: number): SyntaxError {
  return new SyntaxError(`key list: unexpected text at byte ${at}: ${JSON.stringify(bytes.toString('utf8', at, at + 20))}`);
}
