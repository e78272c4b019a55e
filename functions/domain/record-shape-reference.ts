// The JSON.parse path of record shaping: parse the record, read its key and value from the
// object tree. It handles every record and is the reference the fast path is held to.
import { isUtf8 } from 'node:buffer';
import { COMPOSITE_KEY_SEPARATOR, type DatasetSpec, type FieldType, type KeySpec } from './dataset-spec.js';
import { isPlainObject } from './plain-object.js';
import type { RawRecord } from './raw-record.js';
import { MAX_KEY_LENGTH, type BadRecord, type ShapedRecord } from './shaped-record.js';

type Path = readonly string[];

function compile(paths: readonly string[]): { name: string; path: Path }[] {
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
type Parsed = { ok: true; object: Record<string, unknown> } | { ok: false; bad: BadRecord };

function parseObject(record: RawRecord, maxRecordBytes?: number): Parsed {
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
  if (!isPlainObject(parsed)) {
    return bad(`record is a JSON ${jsonType(parsed)}, not an object`);
  }
  return { ok: true, object: parsed };
}

type CompiledField = { name: string; path: Path };

function keyPart(v: unknown, name: string, offset: number): string | BadRecord {
  if (typeof v === 'string') return v === '' ? { offset, reason: `key field "${name}" is empty` } : v;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint') return String(v);
  return { offset, reason: `key field "${name}" is ${typeName(v)}; expected a string or an integer` };
}

/** Reads the record key: the first listed field present, or all of them joined (composite). */
function readKey(obj: Record<string, unknown>, spec: { fields: readonly CompiledField[]; mode: KeySpec['mode'] }, offset: number): string | BadRecord {
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
      // A BigInt comes only from Parquet: a 64-bit integer past 2^53, written exactly.
      return Number.isSafeInteger(v) || typeof v === 'bigint';
    case 'number':
      return typeof v === 'number' || typeof v === 'bigint';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === type;
  }
}


/**
 * The JSON.parse path's answer for a record that is already an object (a Parquet row): the
 * same key rules and the same value (ranked items' list, or the feature row's fields).
 */
export function objectShape(
  spec: DatasetSpec,
  stringify: (value: unknown) => string = JSON.stringify,
): (obj: Record<string, unknown>, offset: number) => ShapedRecord | BadRecord {
  const key = { fields: compile(spec.key.fields), mode: spec.key.mode };
  const value = spec.kind === 'ranked-items' ? rankedItemsValue(compile(spec.itemsFields), stringify) : featureRowValue(spec, spec.key.fields, stringify);
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

function rankedItemsValue(items: readonly CompiledField[], stringify: (value: unknown) => string): ValueOf {
  return (o, offset) => {
    for (const { name, path } of items) {
      const v = lookup(o, path);
      if (v === undefined) continue;
      if (!Array.isArray(v)) return { offset, reason: `items field "${name}" is ${typeName(v)}; expected an array` };
      return { value: stringify(v), items: v.length };
    }
    return { offset, reason: `no items field (${items.map((f) => f.name).join(', ')})` };
  };
}

/** Feature rows keep the declared fields (null allowed, missing or mistyped is a bad record), or every field but the key. */
function featureRowValue(spec: DatasetSpec, keyFields: readonly string[], stringify: (value: unknown) => string): ValueOf {
  const declared = spec.fields ? Object.entries(spec.fields) : undefined;
  return (o, offset) => {
    if (!declared) {
      const row: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) if (!keyFields.includes(k)) row[k] = v;
      return stringify(row);
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
    const text = stringify(row);
    return nulls ? { value: text, nulls } : text;
  };
}


/** Shapes any record through JSON.parse (the reference answer for every record). */
export function referenceShape(spec: DatasetSpec, maxRecordBytes?: number): (record: RawRecord) => ShapedRecord | BadRecord {
  const shapeObject = objectShape(spec);
  return (record) => {
    const parsed = parseObject(record, maxRecordBytes);
    if (!parsed.ok) return parsed.bad;
    try {
      return shapeObject(parsed.object, record.offset);
    } catch (err) {
      // JSON.stringify recurses: thousands of nested arrays exhaust the stack.
      if (err instanceof RangeError || (err as Error)?.name === 'RangeError') return { offset: record.offset, reason: 'record is nested too deeply' };
      throw err;
    }
  };
}
