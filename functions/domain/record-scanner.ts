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

/** Deeper records are left to JSON.parse (recursion here would meet the stack limit). */
const MAX_DEPTH = 64;
const MAX_KEPT_MEMBERS = 1024;
const EMPTY = new Uint8Array(0);

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function fail(): never {
  throw INVALID;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/**
 * One scanner per user (a record shape holds its own): the scan state and the members of the
 * last scanObject call are this instance's, so a scan through another instance (a nested
 * object, another shape) leaves them alone. It runs synchronously and reuses its members
 * instead of allocating per record.
 */
export class RecordScanner {
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private spaced = false;
  private escaped = false;
  private depth = 0;
  /** Elements of the member's own array (depth 1) seen so far. */
  private elements = 0;
  private count = 0;
  private readonly members: Member[] = [];

  /** The members found by the last scanObject call (reused by the next call). */
  get scanned(): readonly Member[] {
    return this.members;
  }

  /**
   * Scans `bytes` (already checked to be UTF-8) as one JSON object. Returns how many top-level
   * members it has (they are `scanned[0..n)`, in order), or -1 when the bytes are not exactly
   * one JSON object, or are nested deeper than MAX_DEPTH.
   */
  scanObject(bytes: Uint8Array): number {
    const members = this.members;
    // Keep the reused members bounded: one very wide record must not pin its members forever.
    if (members.length > MAX_KEPT_MEMBERS) members.length = MAX_KEPT_MEMBERS;
    this.buf = bytes;
    this.pos = 0;
    this.count = 0;
    this.depth = 0;
    try {
      this.skipSpace();
      if (this.buf[this.pos++] !== 0x7b) return -1;
      this.skipSpace();
      if (this.buf[this.pos] === 0x7d) this.pos++;
      else {
        for (;;) {
          if (this.buf[this.pos] !== 0x22) return -1;
          const m = this.member(this.count++);
          m.nameStart = this.pos + 1;
          this.escaped = false;
          this.scanString();
          if (this.escaped) return -1; // a name written with escapes might spell a wanted one: let JSON.parse decide
          m.nameEnd = this.pos - 1;
          this.skipSpace();
          if (this.buf[this.pos++] !== 0x3a) return -1;
          this.skipSpace();
          m.valueStart = this.pos;
          this.spaced = false;
          this.escaped = false;
          this.elements = 0;
          m.kind = this.scanValue();
          m.items = this.elements;
          m.valueEnd = this.pos;
          m.spaced = this.spaced;
          m.escaped = this.escaped;
          this.skipSpace();
          const next = this.buf[this.pos++];
          if (next === 0x7d) break;
          if (next !== 0x2c) return -1;
          this.skipSpace();
        }
      }
      this.skipSpace();
      return this.pos === this.buf.length ? this.count : -1;
    } catch (err) {
      if (err === INVALID) return -1;
      throw err;
    } finally {
      this.buf = EMPTY;
    }
  }

  private member(i: number): Member {
    let m = this.members[i];
    if (!m) this.members[i] = m = { nameStart: 0, nameEnd: 0, valueStart: 0, valueEnd: 0, kind: 'literal', spaced: false, escaped: false, items: 0 };
    return m;
  }

  private skipSpace(): void {
    const buf = this.buf;
    let pos = this.pos;
    while (pos < buf.length && isSpace(buf[pos]!)) pos++;
    this.pos = pos;
  }

  /** Inside a value: whitespace there makes the value's text non-compact. */
  private skipInnerSpace(): void {
    if (this.pos < this.buf.length && isSpace(this.buf[this.pos]!)) {
      this.spaced = true;
      this.skipSpace();
    }
  }

  private scanString(): void {
    const buf = this.buf;
    let pos = this.pos + 1; // past the opening quote
    for (;;) {
      if (pos >= buf.length) fail();
      const c = buf[pos]!;
      if (c === 0x22) {
        this.pos = pos + 1;
        return;
      }
      if (c < 0x20) fail();
      if (c === 0x5c) {
        this.escaped = true;
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

  private scanDigits(): void {
    if (!isDigit(this.buf[this.pos])) fail();
    while (isDigit(this.buf[this.pos])) this.pos++;
  }

  private scanNumber(): void {
    const buf = this.buf;
    if (buf[this.pos] === 0x2d) this.pos++;
    if (buf[this.pos] === 0x30) this.pos++;
    else this.scanDigits();
    if (buf[this.pos] === 0x2e) {
      this.pos++;
      this.scanDigits();
    }
    const e = buf[this.pos];
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      if (buf[this.pos] === 0x2b || buf[this.pos] === 0x2d) this.pos++;
      this.scanDigits();
    }
  }

  private scanWord(word: readonly number[]): void {
    for (const c of word) if (this.buf[this.pos++] !== c) fail();
  }

  /** Scans one value at `pos` (no leading whitespace) and returns its kind. */
  private scanValue(): Kind {
    const c = this.buf[this.pos];
    switch (c) {
      case 0x22:
        this.scanString();
        return 'string';
      case 0x7b:
        if (++this.depth > MAX_DEPTH) fail();
        this.pos++;
        this.skipInnerSpace();
        if (this.buf[this.pos] === 0x7d) {
          this.pos++;
          this.depth--;
          return 'object';
        }
        for (;;) {
          if (this.buf[this.pos] !== 0x22) fail();
          this.scanString();
          this.skipInnerSpace();
          if (this.buf[this.pos++] !== 0x3a) fail();
          this.skipInnerSpace();
          this.scanValue();
          this.skipInnerSpace();
          const next = this.buf[this.pos++];
          if (next === 0x7d) {
            this.depth--;
            return 'object';
          }
          if (next !== 0x2c) fail();
          this.skipInnerSpace();
        }
      case 0x5b:
        if (++this.depth > MAX_DEPTH) fail();
        this.pos++;
        this.skipInnerSpace();
        if (this.buf[this.pos] === 0x5d) {
          this.pos++;
          this.depth--;
          return 'array';
        }
        for (;;) {
          this.scanValue();
          if (this.depth === 1) this.elements++;
          this.skipInnerSpace();
          const next = this.buf[this.pos++];
          if (next === 0x5d) {
            this.depth--;
            return 'array';
          }
          if (next !== 0x2c) fail();
          this.skipInnerSpace();
        }
      case 0x74:
        this.scanWord(TRUE);
        return 'literal';
      case 0x66:
        this.scanWord(FALSE);
        return 'literal';
      case 0x6e:
        this.scanWord(NULL);
        return 'literal';
      default:
        if (c === 0x2d || isDigit(c)) {
          this.scanNumber();
          return 'number';
        }
        return fail();
    }
  }
}

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
