// The fast path of record shaping, for ranked items: scan the record once (record-scanner.ts)
// and store the items' own text, skipping JSON.parse's object tree and JSON.stringify's copy.
import { COMPOSITE_KEY_SEPARATOR, type DatasetSpec } from './dataset-spec.js';
import { compactText, RecordScanner, type Member } from './record-scanner.js';
import { MAX_KEY_LENGTH, type ShapedRecord } from './shaped-record.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The last member named `name` (JSON.parse keeps the last of duplicates). */
function find(members: readonly Member[], bytes: Buffer, n: number, name: Buffer): Member | undefined {
  for (let i = n - 1; i >= 0; i--) {
    const m = members[i]!;
    if (m.nameEnd - m.nameStart !== name.length) continue;
    let same = true;
    for (let j = 0; j < name.length; j++) {
      if (bytes[m.nameStart + j] !== name[j]) {
        same = false;
        break;
      }
    }
    if (same) return m;
  }
  return undefined;
}

/** A key member's text: a non-empty string without escapes, or a safe integer; null leaves it to JSON.parse. */
function keyPartOf(bytes: Buffer, m: Member): string | null {
  if (m.kind === 'string') return m.escaped || m.valueEnd - m.valueStart === 2 ? null : bytes.toString('utf8', m.valueStart + 1, m.valueEnd - 1);
  if (m.kind !== 'number') return null;
  const v = Number(bytes.toString('latin1', m.valueStart, m.valueEnd));
  return Number.isSafeInteger(v) ? String(v) : null;
}

/** The record key from its key members (all of them joined, or the first present); null leaves it to JSON.parse. */
function keyOf(members: readonly Member[], bytes: Buffer, n: number, keys: readonly Buffer[], composite: boolean): string | null {
  let key: string | null = null;
  if (composite) {
    const parts: string[] = [];
    for (const name of keys) {
      const m = find(members, bytes, n, name);
      const part = m && keyPartOf(bytes, m);
      if (!part) return null;
      parts.push(part);
    }
    key = parts.join(COMPOSITE_KEY_SEPARATOR);
  } else {
    for (const name of keys) {
      const m = find(members, bytes, n, name);
      if (!m) continue;
      key = keyPartOf(bytes, m);
      break;
    }
  }
  return key === null || key.length > MAX_KEY_LENGTH ? null : key;
}

/**
 * The fast path for ranked items (top-level key members; items at any path of members): scan
 * the record once and store the items' own text. Returns null for anything it does not settle
 * by itself (an escaped key or member name, a record that is bad for any reason), and the
 * record goes through JSON.parse, whose answer is the reference: the unit tests hold the two
 * to the same answers.
 */
export function fastRankedItems(spec: DatasetSpec): ((bytes: Buffer) => ShapedRecord | null) | undefined {
  if (spec.key.fields.some((f) => f.includes('.'))) return undefined;
  // Names are compared as UTF-8 bytes: a lone surrogate would become U+FFFD and match a member
  // that JSON.parse keeps apart. Such names take the JSON.parse path.
  if ([...spec.key.fields, ...spec.itemsFields].some((f) => LONE_SURROGATE.test(f))) return undefined;
  const keys = spec.key.fields.map((f) => Buffer.from(f));
  const itemsPaths = spec.itemsFields.map((f) => f.split('.').map((part) => Buffer.from(part)));
  const composite = spec.key.mode === 'composite';

  // Two scanners of this shape's own: the record's members stay in `outer` while `inner`
  // walks a nested path, so trying the next items field needs no second scan of the record.
  const outer = new RecordScanner();
  const inner = new RecordScanner();


  return (bytes) => {
    const n = outer.scanObject(bytes);
    if (n < 0) return null;
    const members = outer.scanned;
    const key = keyOf(members, bytes, n, keys, composite);
    if (key === null) return null;
    for (const path of itemsPaths) {
      let view = bytes;
      let m = find(members, view, n, path[0]!);
      for (let i = 1; m && i < path.length; i++) {
        if (m.kind !== 'object') {
          m = undefined; // as with JSON.parse: a path through a non-object finds nothing
          break;
        }
        view = view.subarray(m.valueStart, m.valueEnd);
        const inside = inner.scanObject(view);
        if (inside < 0) return null; // a member name with escapes inside: JSON.parse decides
        m = find(inner.scanned, view, inside, path[i]!);
      }
      if (!m) continue;
      if (m.kind !== 'array') return null;
      const value = m.spaced ? compactText(view, m.valueStart, m.valueEnd) : view.toString('utf8', m.valueStart, m.valueEnd);
      return { key, value, items: m.items };
    }
    return null;
  };
}

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;

/**
 * The fast path for feature rows with declared fields (top-level key and field members): scan
 * the record once and write the row from the fields' own text, in declaration order. Returns
 * null for anything it does not settle by itself (a missing or mistyped field, an escaped name,
 * a bad record), and the JSON.parse path answers: the unit tests hold the two to the same rows.
 */
export function fastFeatureRows(spec: DatasetSpec): ((bytes: Buffer) => ShapedRecord | null) | undefined {
  const fields = spec.fields ? Object.entries(spec.fields) : undefined;
  if (!fields || spec.key.fields.some((f) => f.includes('.'))) return undefined;
  if ([...spec.key.fields, ...fields.map(([f]) => f)].some((f) => LONE_SURROGATE.test(f))) return undefined;
  const keys = spec.key.fields.map((f) => Buffer.from(f));
  const names = fields.map(([f]) => Buffer.from(f));
  // The row's member names, written once: `{"a":` then `,"b":` ...
  const prefixes = fields.map(([f], i) => `${i === 0 ? '{' : ','}${JSON.stringify(f)}:`);
  const types = fields.map(([, t]) => t);
  const composite = spec.key.mode === 'composite';
  const scanner = new RecordScanner();
  return (bytes) => {
    const n = scanner.scanObject(bytes);
    if (n < 0) return null;
    const members = scanner.scanned;
    const key = keyOf(members, bytes, n, keys, composite);
    if (key === null) return null;
    const row = rowFromTail(members, bytes, n, names, types);
    if (row) return row.nulls ? { key, value: row.value, nulls: row.nulls } : { key, value: row.value };
    let value = '';
    let nulls: number[] | undefined;
    for (let i = 0; i < names.length; i++) {
      const m = find(members, bytes, n, names[i]!);
      if (!m) return null;
      const text = m.spaced ? compactText(bytes, m.valueStart, m.valueEnd) : bytes.toString('utf8', m.valueStart, m.valueEnd);
      if (m.kind === 'literal' && text === 'null') (nulls ??= []).push(i);
      else if (!fits(m.kind, text, types[i]!) || (m.kind === 'number' && storedDifferently(bytes, m.valueStart, m.valueEnd))) return null;
      value += prefixes[i]! + text;
    }
    value += names.length === 0 ? '{}' : '}';
    return nulls ? { key, value, nulls } : { key, value };
  };
}

/**
 * The common layout, settled with one string copy: the declared fields are the record's last
 * members, in declaration order, written compactly (`"f1":1,"f2":"x"`). Their text is then the
 * row's text as written field by field below, so it is copied in one piece. The last members
 * are also the ones JSON.parse keeps when a name repeats. Anything else: undefined, and the
 * field-by-field path decides.
 */
function rowFromTail(members: readonly Member[], bytes: Buffer, n: number, names: readonly Buffer[], types: readonly string[]): { value: string; nulls?: number[] } | undefined {
  const k = names.length;
  if (k === 0 || n < k) return undefined;
  const first = n - k;
  let nulls: number[] | undefined;
  for (let i = 0; i < k; i++) {
    const m = members[first + i]!;
    const name = names[i]!;
    if (m.spaced || m.nameEnd - m.nameStart !== name.length) return undefined;
    // `"name":value`, and `,` alone between two members: nothing else may sit in the copied text.
    if (m.valueStart !== m.nameEnd + 2) return undefined;
    if (i > 0 && m.nameStart - 2 !== members[first + i - 1]!.valueEnd) return undefined;
    for (let j = 0; j < name.length; j++) if (bytes[m.nameStart + j] !== name[j]) return undefined;
    if (m.kind === 'literal' && bytes[m.valueStart] === 0x6e /* n: null */) (nulls ??= []).push(i);
    else if (!fitsBytes(m, bytes, types[i]!)) return undefined;
  }
  const value = `{${bytes.toString('utf8', members[first]!.nameStart - 1, members[n - 1]!.valueEnd)}}`;
  return nulls ? { value, nulls } : { value };
}

/**
 * A number whose text is not what JSON.parse's row would hold: a negative zero (-0, -0.0, -1e-400
 * underflowing), which that path stores as 0, or one too large for a double (1e400), which it
 * stores as null. Texts without an exponent and of at most 15 characters are none of these
 * unless they start with "-0", so only those few are converted to find out.
 */
function storedDifferently(bytes: Buffer, start: number, end: number): boolean {
  let unusual = end - start > 15;
  for (let i = start; i < end && !unusual; i++) if (bytes[i] === 0x65 || bytes[i] === 0x45) unusual = true; // e, E
  if (!unusual) return bytes[start] === 0x2d && bytes[start + 1] === 0x30 && !/[1-9]/.test(bytes.toString('latin1', start + 2, end)); // -0, -0.00
  const v = Number(bytes.toString('latin1', start, end));
  return !Number.isFinite(v) || Object.is(v, -0);
}

/** fits() from the scanned bytes, without copying the text out (an integer of 16+ digits does copy). */
function fitsBytes(m: Member, bytes: Buffer, type: string): boolean {
  // A negative zero or an overflowing number is left to the JSON.parse path.
  if (m.kind === 'number' && storedDifferently(bytes, m.valueStart, m.valueEnd)) return false;
  if (type !== 'integer') return fits(m.kind, '', type);
  if (m.kind !== 'number') return false;
  // The scanner has checked the JSON number grammar (no leading zeros, a digit after "-"): an
  // integer is a number written with digits only.
  let at = m.valueStart;
  if (bytes[at] === 0x2d /* - */) at++;
  const digits = m.valueEnd - at;
  for (let i = at; i < m.valueEnd; i++) if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return false;
  // Up to 15 digits is always a safe integer; longer ones are checked as the text says.
  return digits <= 15 || fits(m.kind, bytes.toString('latin1', m.valueStart, m.valueEnd), type);
}

/** Does a scanned value of this kind (and text) have the declared type? As hasType in the reference path. */
function fits(kind: Member['kind'], text: string, type: string): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
      return kind === 'string';
    case 'number':
      return kind === 'number';
    case 'integer':
      return kind === 'number' && INTEGER_TEXT.test(text) && Number.isSafeInteger(Number(text));
    case 'boolean':
      return kind === 'literal';
    case 'array':
      return kind === 'array';
    case 'object':
      return kind === 'object';
    default:
      return false;
  }
}
