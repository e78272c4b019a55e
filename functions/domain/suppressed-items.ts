// Suppressed items, the pure part: the name a list item is suppressed by, and a stored list's
// text without its suppressed items. Reads filter every list answer through this (invariant 13),
// so the common case, a list that holds none of them, is answered from its text without a parse.
import { slotOf } from './key-filter.js';

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

// Character codes the list scanner below compares against.
const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const OPEN = 91; // [
const CLOSE = 93; // ]
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const COMMA = 44;

/**
 * The list's text as bytes, one per character (only ASCII text is read this way), written once
 * per list. The scanner reads bytes, not `charCodeAt`: in a process that has loaded ioredis (whose
 * VerbatimString extends String), V8's optimized code no longer inlines String.prototype methods
 * and a `charCodeAt` loop ran about 7x slower (bench/string-scan-micro.ts measures both ways).
 */
let bytes = Buffer.alloc(1024);
let byteCount = 0;

/** Writes `text` into `bytes`; false when it is not all ASCII (then it is not read by its bytes). */
function takeBytes(text: string): boolean {
  if (bytes.length < text.length + 4) bytes = Buffer.alloc(2 ** Math.ceil(Math.log2(text.length + 4)));
  // A character beyond ASCII takes two or more bytes: more bytes than characters are written.
  byteCount = bytes.write(text, 0, 'utf8');
  return byteCount === text.length;
}

/** The code of the character at i; -1 past the end (which, like charCodeAt's NaN, matches no code). */
function codeAt(i: number): number {
  return i < byteCount ? bytes[i]! : -1;
}

/** The index of the first quote after i; -1 if there is none. */
function quoteAfter(i: number): number {
  for (let j = i + 1; j < byteCount; j++) if (bytes[j] === QUOTE) return j;
  return -1;
}

/** Set by stringEnd and numberEnd: whether the token just read names a suppressed item. */
let tokenNamesSuppressed = false;

/** The index after the string token whose opening quote is at i (the text holds no backslash); -1 if it never closes. */
function stringEnd(text: string, i: number, suppressed: ReadonlySet<string>): number {
  const end = quoteAfter(i);
  if (end < 0) return -1;
  tokenNamesSuppressed = suppressed.has(text.slice(i + 1, end));
  return end + 1;
}

/** The index after the number token at i; -1 if no number starts there. */
function numberEnd(text: string, i: number, names: SuppressedNames): number {
  const n = text.length;
  const negative = codeAt(i) === MINUS;
  const from = negative ? i + 1 : i;
  let j = from;
  let value = 0;
  for (; j < n; j++) {
    const d = codeAt(j) - ZERO;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  const digits = j - from;
  if (digits === 0) return -1;
  let next = j < n ? codeAt(j) : 0;
  // A fraction: a non-zero digit in it makes the number no integer (scores, mostly).
  let fractional = false;
  if (next === DOT) {
    for (j++; j < n; j++) {
      const d = codeAt(j);
      if (d < ZERO || d > NINE) break;
      if (d !== ZERO) fractional = true;
    }
    next = j < n ? codeAt(j) : 0;
  }
  let exponent = false;
  if (next === 101 || next === 69) {
    exponent = true;
    for (j++; j < n; j++) {
      const d = codeAt(j);
      if ((d < ZERO || d > NINE) && d !== 43 && d !== MINUS) break;
    }
  }
  if (j === from + digits && digits <= 15) {
    // An integer read exactly: the bit filter first, the set only when its bit is set.
    const v = negative ? -value : value;
    const slot = slotOf(v >>> 0, INTEGER_BITS_SHIFT);
    tokenNamesSuppressed = (names.integerBits[slot >>> 5]! & (1 << (slot & 31))) !== 0 && names.numbers.has(v);
  } else {
    tokenNamesSuppressed = !(names.integersOnly && fractional && !exponent) && names.numbers.has(Number(text.slice(i, j)));
  }
  return j;
}

/** Codes JSON allows between tokens. */
function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(codeAt(i))) i++;
  return i;
}

/** Returned by skipNested when a token inside an object may name a suppressed item. */
const MAY_NAME = -2;

/**
 * The index after the array or object that i is inside of, `depth` levels deep. With `check`,
 * every string and number in it is looked up too, and MAY_NAME returned on the first that names a
 * suppressed item (an object's name depends on which of its fields is there: the caller parses).
 */
function skipNested(text: string, i: number, depth: number, check: boolean, suppressed: ReadonlySet<string>, names: SuppressedNames): number {
  const n = text.length;
  while (i < n) {
    const c = codeAt(i);
    if (c === QUOTE) {
      const end = quoteAfter(i);
      if (end < 0) return -1;
      if (check && suppressed.has(text.slice(i + 1, end))) return MAY_NAME;
      i = end + 1;
    } else if (c === OPEN || c === OPEN_OBJECT) {
      depth++;
      i++;
    } else if (c === CLOSE || c === CLOSE_OBJECT) {
      i++;
      if (--depth === 0) return i;
    } else if (check && (c === MINUS || (c >= ZERO && c <= NINE))) {
      i = numberEnd(text, i, names);
      if (i < 0) return -1;
      if (tokenNamesSuppressed) return MAY_NAME;
    } else {
      i++;
    }
  }
  return -1;
}

/**
 * The index after the array whose first member ends at i. The common element of a scored list,
 * [id, score], is read straight through to its `]`; anything else goes to skipNested.
 */
function pairEnd(text: string, i: number, suppressed: ReadonlySet<string>, names: SuppressedNames): number {
  if (codeAt(i) === COMMA) {
    let j = i + 1;
    let c = codeAt(j);
    // The characters of a JSON number: digits, '.', '-', '+', 'e', 'E'.
    while ((c >= ZERO && c <= NINE) || c === DOT || c === MINUS || c === 43 || c === 101 || c === 69) c = codeAt(++j);
    if (c === CLOSE && j > i + 1) return j + 1;
  }
  return skipNested(text, i, 1, false, suppressed, names);
}

/**
 * A list's JSON text (ASCII with no backslash, its bytes taken) without its suppressed items,
 * read element by element without a parse: the same text when none is suppressed (most lists),
 * else the kept elements' own text joined again. An element's name is the one itemName gives: a string or number is its
 * own, an array's is its first member; an object whose strings or numbers may name one, or text
 * that is no list, is left to the caller's parse (undefined).
 */
function cutSuppressed(text: string, suppressed: ReadonlySet<string>, names: SuppressedNames): string | undefined {
  const n = text.length;
  let i = skipSpace(text, 0);
  if (codeAt(i) !== OPEN) return undefined;
  const open = i;
  i = skipSpace(text, i + 1);
  if (codeAt(i) === CLOSE) return skipSpace(text, i + 1) === n ? text : undefined;
  // Once an element is cut: the text so far, and whether it holds an element yet.
  let out: string | undefined;
  let outHasElement = false;
  let previousEnd = -1;
  for (;;) {
    const start = i;
    const c = codeAt(i);
    let cut = false;
    if (c === QUOTE) {
      i = stringEnd(text, i, suppressed);
      cut = tokenNamesSuppressed;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = numberEnd(text, i, names);
      cut = tokenNamesSuppressed;
    } else if (c === OPEN) {
      // [id, score] and the like: named by the first member when that is a string or number.
      const first = skipSpace(text, i + 1);
      const f = codeAt(first);
      if (f === QUOTE || f === MINUS || (f >= ZERO && f <= NINE)) {
        const after = f === QUOTE ? stringEnd(text, first, suppressed) : numberEnd(text, first, names);
        cut = tokenNamesSuppressed;
        i = after < 0 ? -1 : pairEnd(text, after, suppressed, names);
      } else {
        i = skipNested(text, i + 1, 1, false, suppressed, names);
      }
    } else if (c === OPEN_OBJECT) {
      i = skipNested(text, i + 1, 1, true, suppressed, names);
      if (i === MAY_NAME) return undefined;
    } else {
      // true, false or null: named by their JSON text, which no suppressed name has here.
      while (i < n && codeAt(i) >= 97 && codeAt(i) <= 122) i++;
      if (i === start) return undefined;
    }
    if (i < 0) return undefined;
    const end = i;
    i = skipSpace(text, i);
    const separator = codeAt(i);
    if (separator !== COMMA && separator !== CLOSE) return undefined;
    if (cut) {
      if (out === undefined) {
        out = previousEnd < 0 ? text.slice(0, open + 1) : text.slice(0, previousEnd);
        outHasElement = previousEnd >= 0;
      }
    } else if (out !== undefined) {
      out += outHasElement ? ',' + text.slice(start, end) : text.slice(start, end);
      outHasElement = true;
    }
    previousEnd = end;
    if (separator === CLOSE) {
      if (skipSpace(text, i + 1) !== n) return undefined;
      return out === undefined ? text : out + ']';
    }
    i = skipSpace(text, i + 1);
  }
}

/**
 * A stored list's JSON text without its suppressed items: the same text when none of its items is
 * suppressed (most lists: no re-serialising), else the list less those items. Lists are read by
 * their tokens (cutSuppressed); text with escapes or characters beyond ASCII, objects that may
 * name an item and names no token can carry (true, null, an object's or list's text) take a parse
 * instead.
 */
export function withoutSuppressedText(text: string, suppressed: ReadonlySet<string>): string {
  if (suppressed.size === 0) return text;
  const names = suppressedNames(suppressed);
  if (names.byTokens && !text.includes('\\') && takeBytes(text)) {
    const cut = cutSuppressed(text, suppressed, names);
    if (cut !== undefined) return cut;
  }
  const items: unknown = JSON.parse(text);
  if (!Array.isArray(items)) return text;
  const { numbers } = names;
  for (let i = 0; i < items.length; i++) {
    if (isSuppressed(items[i], suppressed, numbers)) return JSON.stringify(items.filter((item) => !isSuppressed(item, suppressed, numbers)));
  }
  return text;
}
