// From one framed record to what Sluice stores: a key and an encoded value. Which fields
// hold them is configuration. A record that cannot be used becomes a BadRecord with a reason;
// it never throws, so one bad line cannot stop a load.
import { isUtf8 } from 'node:buffer';
import { COMPOSITE_KEY_SEPARATOR, type DatasetSpec, type FieldType, type KeySpec } from './dataset-spec.js';
import type { RawRecord } from './raw-record.js';
import { compactText, scanned, scanObject, type Member } from './record-scanner.js';
import { DEFAULT_RELEASE_CHECKS } from './release-checks.js';
import { unservableReason } from './response-limit.js';

export const MAX_KEY_LENGTH = 512;

export interface ShapedRecord {
  key: string;
  value: string;
  /** Ranked items: how many items the list holds (for the release checks' list-length stats). */
  items?: number;
  /** Feature rows with declared fields: the positions (in declaration order) of fields that are null; absent when none is. */
  nulls?: number[];
}

export interface BadRecord {
  offset: number;
  reason: string;
}

export interface RecordShape {
  shape(record: RawRecord): ShapedRecord | BadRecord;
}

export function isBad(result: ShapedRecord | BadRecord): result is BadRecord {
  return (result as BadRecord).reason !== undefined;
}

type Path = readonly string[];

export function compile(paths: readonly string[]): { name: string; path: Path }[] {
  return paths.map((name) => ({ name, path: name.split('.') }));
}

/** The value at `path`, own members only (a field named `constructor` is not Object's). */
function lookup(obj: Record<string, unknown>, path: Path): unknown {
  let v: unknown = obj;
  for (const part of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** What a value is, with its article: "an object", "an array", "a string", "null". */
function typeName(v: unknown): string {
  const t = jsonType(v);
  if (t === 'null') return t;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** Parses a framed record into a JSON object, or says why it is not one. */
export type Parsed = { ok: true; object: Record<string, unknown> } | { ok: false; bad: BadRecord };

export function parseObject(record: RawRecord, maxRecordBytes?: number): Parsed {
  const { offset, bytes } = record;
  const bad = (reason: string): Parsed => ({ ok: false, bad: { offset, reason } });
  if (bytes === null) return bad(`record is ${record.length} bytes, over the ${maxRecordBytes ?? 'configured'}-byte limit`);
  if (!isUtf8(bytes)) return bad('record is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    // V8's message quotes the record around the error; keep only where it is, so a bad
    // record's content never reaches samples, logs or an execution's cause.
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    if (at) return bad(`malformed JSON at character ${at[1]}`);
    return bad(/end of (JSON )?input/i.test(message) ? 'malformed JSON: it ends too early' : 'malformed JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return bad(`record is a JSON ${jsonType(parsed)}, not an object`);
  }
  return { ok: true, object: parsed as Record<string, unknown> };
}

type CompiledField = { name: string; path: Path };

function keyPart(v: unknown, name: string, offset: number): string | BadRecord {
  if (typeof v === 'string') return v === '' ? { offset, reason: `key field "${name}" is empty` } : v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return { offset, reason: `key field "${name}" is ${typeName(v)}; expected a string or an integer` };
}

/** Reads the record key: the first listed field present, or all of them joined (composite). */
export function readKey(obj: Record<string, unknown>, spec: { fields: readonly CompiledField[]; mode: KeySpec['mode'] }, offset: number): string | BadRecord {
  let key: string | undefined;
  if (spec.mode === 'first-present') {
    for (const { name, path } of spec.fields) {
      const v = lookup(obj, path);
      if (v === undefined) continue;
      const part = keyPart(v, name, offset);
      if (typeof part !== 'string') return part;
      key = part;
      break;
    }
    if (key === undefined) return { offset, reason: `no key field (${spec.fields.map((f) => f.name).join(', ')})` };
  } else {
    const parts: string[] = [];
    for (const { name, path } of spec.fields) {
      const v = lookup(obj, path);
      if (v === undefined) return { offset, reason: `key field "${name}" is missing` };
      const part = keyPart(v, name, offset);
      if (typeof part !== 'string') return part;
      parts.push(part);
    }
    key = parts.join(COMPOSITE_KEY_SEPARATOR);
  }
  if (key.length > MAX_KEY_LENGTH) return { offset, reason: `the key is longer than ${MAX_KEY_LENGTH} characters` };
  return key;
}

function hasType(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'integer':
      return Number.isSafeInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === type;
  }
}

/** The shape a dataset's records take in Redis: ranked items as a JSON array, feature rows as a JSON object. */
export function shapeFor(spec: DatasetSpec, maxRecordBytes?: number, options: { scanner?: boolean } = {}): RecordShape {
  const key = { fields: compile(spec.key.fields), mode: spec.key.mode };
  const value = spec.kind === 'ranked-items' ? rankedItemsValue(compile(spec.itemsFields)) : featureRowValue(spec, spec.key.fields);
  // `scanner: false` leaves only the JSON.parse path: the reference the tests compare against.
  const fast = spec.kind === 'ranked-items' && options.scanner !== false ? fastRankedItems(spec) : undefined;
  const shapeOne = (record: RawRecord): ShapedRecord | BadRecord => {
    if (fast && record.bytes !== null) {
      if (!isUtf8(record.bytes)) return { offset: record.offset, reason: 'record is not valid UTF-8' };
      let shaped: ShapedRecord | null = null;
      try {
        shaped = fast(record.bytes);
      } catch {
        // shape() never throws: whatever went wrong, the JSON.parse path answers
      }
      if (shaped) return shaped;
    }
    const parsed = parseObject(record, maxRecordBytes);
    if (!parsed.ok) return parsed.bad;
    const k = readKey(parsed.object, key, record.offset);
    if (typeof k !== 'string') return k;
    let v: ReturnType<ValueOf>;
    try {
      v = value(parsed.object, record.offset);
    } catch (err) {
      // JSON.stringify recurses: thousands of nested arrays exhaust the stack.
      if (err instanceof RangeError || (err as Error)?.name === 'RangeError') return { offset: record.offset, reason: 'record is nested too deeply' };
      throw err;
    }
    if (typeof v === 'string') return { key: k, value: v };
    return (v as BadRecord).reason !== undefined ? (v as BadRecord) : { key: k, ...(v as Omit<ShapedRecord, 'key'>) };
  };
  return {
    shape(record) {
      const shaped = shapeOne(record);
      if (isBad(shaped)) return shaped;
      // What could be stored but never returned is refused here, with the reason.
      const unservable = unservableReason(shaped.value);
      return unservable === null ? shaped : { offset: record.offset, reason: unservable };
    },
  };
}

/**
 * The JSON.parse path's answer for a record that is already an object (a Parquet row): the
 * same key rules and the same value (ranked items' list, or the feature row's fields).
 */
export function objectShape(spec: DatasetSpec): (obj: Record<string, unknown>, offset: number) => ShapedRecord | BadRecord {
  const key = { fields: compile(spec.key.fields), mode: spec.key.mode };
  const value = spec.kind === 'ranked-items' ? rankedItemsValue(compile(spec.itemsFields)) : featureRowValue(spec, spec.key.fields);
  return (obj, offset) => {
    const k = readKey(obj, key, offset);
    if (typeof k !== 'string') return k;
    const v = value(obj, offset);
    if (typeof v === 'string') return { key: k, value: v };
    return (v as BadRecord).reason !== undefined ? (v as BadRecord) : { key: k, ...(v as Omit<ShapedRecord, 'key'>) };
  };
}

/** The stored text, or that text with the figures the release checks count. */
type ValueOf = (obj: Record<string, unknown>, offset: number) => string | Omit<ShapedRecord, 'key'> | BadRecord;

function rankedItemsValue(items: readonly CompiledField[]): ValueOf {
  return (o, offset) => {
    for (const { name, path } of items) {
      const v = lookup(o, path);
      if (v === undefined) continue;
      if (!Array.isArray(v)) return { offset, reason: `items field "${name}" is ${typeName(v)}; expected an array` };
      return { value: JSON.stringify(v), items: v.length };
    }
    return { offset, reason: `no items field (${items.map((f) => f.name).join(', ')})` };
  };
}

/** Feature rows keep the declared fields (null allowed, missing or mistyped is a bad record), or every field but the key. */
function featureRowValue(spec: DatasetSpec, keyFields: readonly string[]): ValueOf {
  const declared = spec.fields ? Object.entries(spec.fields) : undefined;
  return (o, offset) => {
    if (!declared) {
      const row: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) if (!keyFields.includes(k)) row[k] = v;
      return JSON.stringify(row);
    }
    const row: Record<string, unknown> = {};
    let nulls: number[] | undefined;
    for (const [i, [field, type]] of declared.entries()) {
      const v = Object.hasOwn(o, field) ? o[field] : undefined;
      if (v === undefined) return { offset, reason: `field "${field}" is missing` };
      if (v === null) (nulls ??= []).push(i);
      else if (!hasType(v, type)) return { offset, reason: `field "${field}" is ${typeName(v)}; expected ${type}` };
      row[field] = v;
    }
    return nulls ? { value: JSON.stringify(row), nulls } : JSON.stringify(row);
  };
}

/**
 * The fast path for ranked items (top-level key members; items at any path of members): scan
 * the record once and store the items' own text. Returns null for anything it does not settle
 * by itself (an escaped key or member name, a record that is bad for any reason), and the
 * record goes through JSON.parse, whose answer is the reference: the unit tests hold the two
 * to the same answers.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fastRankedItems(spec: DatasetSpec): ((bytes: Buffer) => ShapedRecord | null) | undefined {
  if (spec.key.fields.some((f) => f.includes('.'))) return undefined;
  // Names are compared as UTF-8 bytes: a lone surrogate would become U+FFFD and match a member
  // that JSON.parse keeps apart. Such names take the JSON.parse path.
  if ([...spec.key.fields, ...spec.itemsFields].some((f) => LONE_SURROGATE.test(f))) return undefined;
  const keys = spec.key.fields.map((f) => Buffer.from(f));
  const itemsPaths = spec.itemsFields.map((f) => f.split('.').map((part) => Buffer.from(part)));
  const composite = spec.key.mode === 'composite';

  /** The last member named `name` (JSON.parse keeps the last of duplicates). */
  const find = (bytes: Buffer, n: number, name: Buffer): Member | undefined => {
    for (let i = n - 1; i >= 0; i--) {
      const m = scanned[i]!;
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
  };
  const keyPartOf = (bytes: Buffer, m: Member): string | null => {
    if (m.kind === 'string') return m.escaped || m.valueEnd - m.valueStart === 2 ? null : bytes.toString('utf8', m.valueStart + 1, m.valueEnd - 1);
    if (m.kind !== 'number') return null;
    const v = Number(bytes.toString('latin1', m.valueStart, m.valueEnd));
    return Number.isSafeInteger(v) ? String(v) : null;
  };

  return (bytes) => {
    let n = scanObject(bytes);
    if (n < 0) return null;
    let key: string | null = null;
    if (composite) {
      const parts: string[] = [];
      for (const name of keys) {
        const m = find(bytes, n, name);
        const part = m && keyPartOf(bytes, m);
        if (!part) return null;
        parts.push(part);
      }
      key = parts.join(COMPOSITE_KEY_SEPARATOR);
    } else {
      for (const name of keys) {
        const m = find(bytes, n, name);
        if (!m) continue;
        key = keyPartOf(bytes, m);
        break;
      }
    }
    if (key === null || key.length > MAX_KEY_LENGTH) return null;
    // `scanned` holds the record's own members until a nested path scans an inner object.
    let top = true;
    for (const path of itemsPaths) {
      if (!top) {
        n = scanObject(bytes); // it passed a moment ago
        top = true;
      }
      let view = bytes;
      let m = find(view, n, path[0]!);
      for (let i = 1; m && i < path.length; i++) {
        if (m.kind !== 'object') {
          m = undefined; // as with JSON.parse: a path through a non-object finds nothing
          break;
        }
        view = view.subarray(m.valueStart, m.valueEnd);
        top = false;
        n = scanObject(view);
        if (n < 0) return null; // a member name with escapes inside: JSON.parse decides
        m = find(view, n, path[i]!);
      }
      if (!m) continue;
      if (m.kind !== 'array') return null;
      const value = m.spaced ? compactText(view, m.valueStart, m.valueEnd) : view.toString('utf8', m.valueStart, m.valueEnd);
      return { key, value, items: m.items };
    }
    return null;
  };
}

/** Ranked items keyed by the first present of `keyFields` (the single-dataset default). */
export function rankedItemsShape(keyFields: readonly string[], itemsFields: readonly string[], maxRecordBytes?: number): RecordShape {
  return shapeFor(
    { name: 'default', kind: 'ranked-items', key: { fields: [...keyFields], mode: 'first-present' }, itemsFields: [...itemsFields], jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' },
    maxRecordBytes,
  );
}
