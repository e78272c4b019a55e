// One pass over a record's bytes that checks it is JSON (the grammar JSON.parse accepts) and
// notes where each top-level member's value is, without building the object. The loader uses
// it for the common case (a flat record whose key and items are top-level members): storing
// the items' own text skips JSON.parse's object tree and JSON.stringify's copy, the two largest
// costs of a load after the Redis writes (BENCHMARKS.md). Anything unusual returns null and
// the record takes the JSON.parse path, which stays the reference for every answer.

export type Kind = 'string' | 'number' | 'literal' | 'array' | 'object';

/** One top-level member: where its name and value are (byte offsets into the record). */
export interface Member {
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  kind: Kind;
  /** The value holds whitespace outside its strings. */
  spaced: boolean;
  /** The value is a string with escapes. */
  escaped: boolean;
  /** For an array: how many elements it has (counted during the scan, for the list-length stats). */
  items: number;
}

class Invalid extends Error {}
const INVALID = new Invalid(); // thrown without a stack trace being built per bad record

// Module state for the scan in progress: the scanner runs synchronously, one record at a time,
// and reuses these instead of allocating per record.
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let spaced = false;
let escaped = false;
let depth = 0;
/** Elements of the member's own array (depth 1) seen so far. */
let elements = 0;
/** Deeper records are left to JSON.parse (recursion here would meet the stack limit). */
const MAX_DEPTH = 64;
const members: Member[] = [];
const MAX_KEPT_MEMBERS = 1024;
let count = 0;

function fail(): never {
  throw INVALID;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(): void {
  while (pos < buf.length && isSpace(buf[pos]!)) pos++;
}

/** Inside a value: whitespace there makes the value's text non-compact. */
function skipInnerSpace(): void {
  if (pos < buf.length && isSpace(buf[pos]!)) {
    spaced = true;
    skipSpace();
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function scanString(): void {
  pos++; // the opening quote
  for (;;) {
    if (pos >= buf.length) fail();
    const c = buf[pos]!;
    if (c === 0x22) {
      pos++;
      return;
    }
    if (c < 0x20) fail();
    if (c === 0x5c) {
      escaped = true;
      const e = buf[pos + 1];
      if (e === 0x75) {
        if (!(isHex(buf[pos + 2]!) && isHex(buf[pos + 3]!) && isHex(buf[pos + 4]!) && isHex(buf[pos + 5]!))) fail();
        pos += 6;
        continue;
      }
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        pos += 2;
        continue;
      }
      fail();
    }
    pos++;
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function scanDigits(): void {
  if (!isDigit(buf[pos])) fail();
  while (isDigit(buf[pos])) pos++;
}

function scanNumber(): void {
  if (buf[pos] === 0x2d) pos++;
  if (buf[pos] === 0x30) pos++;
  else scanDigits();
  if (buf[pos] === 0x2e) {
    pos++;
    scanDigits();
  }
  const e = buf[pos];
  if (e === 0x65 || e === 0x45) {
    pos++;
    if (buf[pos] === 0x2b || buf[pos] === 0x2d) pos++;
    scanDigits();
  }
}

function scanWord(word: readonly number[]): void {
  for (const c of word) if (buf[pos++] !== c) fail();
}
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** Scans one value at `pos` (no leading whitespace) and returns its kind. */
function scanValue(): Kind {
  const c = buf[pos];
  switch (c) {
    case 0x22:
      scanString();
      return 'string';
    case 0x7b:
      if (++depth > MAX_DEPTH) fail();
      pos++;
      skipInnerSpace();
      if (buf[pos] === 0x7d) {
        pos++;
        depth--;
        return 'object';
      }
      for (;;) {
        if (buf[pos] !== 0x22) fail();
        scanString();
        skipInnerSpace();
        if (buf[pos++] !== 0x3a) fail();
        skipInnerSpace();
        scanValue();
        skipInnerSpace();
        const next = buf[pos++];
        if (next === 0x7d) {
          depth--;
          return 'object';
        }
        if (next !== 0x2c) fail();
        skipInnerSpace();
      }
    case 0x5b:
      if (++depth > MAX_DEPTH) fail();
      pos++;
      skipInnerSpace();
      if (buf[pos] === 0x5d) {
        pos++;
        depth--;
        return 'array';
      }
      for (;;) {
        scanValue();
        if (depth === 1) elements++;
        skipInnerSpace();
        const next = buf[pos++];
        if (next === 0x5d) {
          depth--;
          return 'array';
        }
        if (next !== 0x2c) fail();
        skipInnerSpace();
      }
    case 0x74:
      scanWord(TRUE);
      return 'literal';
    case 0x66:
      scanWord(FALSE);
      return 'literal';
    case 0x6e:
      scanWord(NULL);
      return 'literal';
    default:
      if (c === 0x2d || isDigit(c)) {
        scanNumber();
        return 'number';
      }
      return fail();
  }
}

function member(i: number): Member {
  let m = members[i];
  if (!m) members[i] = m = { nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0, kind: 'literal', spaced: false, escaped: false, items: 0 };
  return m;
}

/** The members found by the last scanObject call (reused by the next call). */
export const scanned: readonly Member[] = members;

/**
 * Scans `bytes` (already checked to be UTF-8) as one JSON object. Returns how many top-level
 * members it has (they are `scanned[0..n)`, in order), or -1 when the bytes are not exactly one
 * JSON object, or are nested deeper than MAX_DEPTH.
 */
export function scanObject(bytes: Uint8Array): number {
  // Keep the reused members bounded: one very wide record must not pin its members forever.
  if (members.length > MAX_KEPT_MEMBERS) members.length = MAX_KEPT_MEMBERS;
  buf = bytes;
  pos = 0;
  count = 0;
  depth = 0;
  try {
    skipSpace();
    if (buf[pos++] !== 0x7b) return -1;
    skipSpace();
    if (buf[pos] === 0x7d) pos++;
    else {
      for (;;) {
        if (buf[pos] !== 0x22) return -1;
        const m = member(count++);
        m.nameStart = pos + 1;
        escaped = false;
        scanString();
        if (escaped) return -1; // a name written with escapes might spell a wanted one: let JSON.parse decide
        m.nameEnd = pos - 1;
        skipSpace();
        if (buf[pos++] !== 0x3a) return -1;
        skipSpace();
        m.valueStart = pos;
        spaced = false;
        escaped = false;
        elements = 0;
        m.kind = scanValue();
        m.items = elements;
        m.valueEnd = pos;
        m.spaced = spaced;
        m.escaped = escaped;
        skipSpace();
        const next = buf[pos++];
        if (next === 0x7d) break;
        if (next !== 0x2c) return -1;
        skipSpace();
      }
    }
    skipSpace();
    return pos === buf.length ? count : -1;
  } catch (err) {
    if (err === INVALID) return -1;
    throw err;
  } finally {
    buf = EMPTY;
  }
}
const EMPTY = new Uint8Array(0);

/**
 * The value's text with the whitespace outside its strings removed (for `spaced` values).
 * `start..end` must be a value scanObject accepted (it does not validate).
 */
export function compactText(bytes: Uint8Array, start: number, end: number): string {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (inString) {
      out[n++] = c;
      if (c === 0x5c) out[n++] = bytes[++i]!;
      else if (c === 0x22) inString = false;
    } else if (!isSpace(c)) {
      out[n++] = c;
      if (c === 0x22) inString = true;
    }
  }
  return out.toString('utf8', 0, n);
}
