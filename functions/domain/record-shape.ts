// From one framed record to what Sluice stores: a key and an encoded value. Which fields
// hold them is configuration. A record that cannot be used becomes a BadRecord with a reason;
// it never throws, so one bad line cannot stop a load.
import { isUtf8 } from 'node:buffer';
import type { RawRecord } from './raw-record.js';

export const MAX_KEY_LENGTH = 512;

export interface ShapedRecord {
  key: string;
  value: string;
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

function lookup(obj: Record<string, unknown>, path: Path): unknown {
  let v: unknown = obj;
  for (const part of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
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
    return bad(`malformed JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return bad(`record is a JSON ${typeName(parsed)}, not an object`);
  }
  return { ok: true, object: parsed as Record<string, unknown> };
}

/** Reads the record key from the first configured field that is present. */
export function readKey(obj: Record<string, unknown>, fields: readonly { name: string; path: Path }[], offset: number): string | BadRecord {
  for (const { name, path } of fields) {
    const v = lookup(obj, path);
    if (v === undefined) continue;
    let key: string;
    if (typeof v === 'string') key = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) key = String(v);
    else return { offset, reason: `key field "${name}" is a ${typeName(v)}; expected a string or an integer` };
    if (key.length === 0) return { offset, reason: `key field "${name}" is empty` };
    if (key.length > MAX_KEY_LENGTH) return { offset, reason: `key field "${name}" is longer than ${MAX_KEY_LENGTH} characters` };
    return key;
  }
  return { offset, reason: `no key field (${fields.map((f) => f.name).join(', ')})` };
}

/** Ranked items: the value is the JSON array of items, in the record's order. */
export function rankedItemsShape(keyFields: readonly string[], itemsFields: readonly string[], maxRecordBytes?: number): RecordShape {
  const keys = compile(keyFields);
  const items = compile(itemsFields);
  return {
    shape(record) {
      const parsed = parseObject(record, maxRecordBytes);
      if (!parsed.ok) return parsed.bad;
      const o = parsed.object;
      const key = readKey(o, keys, record.offset);
      if (typeof key !== 'string') return key;
      for (const { name, path } of items) {
        const v = lookup(o, path);
        if (v === undefined) continue;
        if (!Array.isArray(v)) return { offset: record.offset, reason: `items field "${name}" is a ${typeName(v)}; expected an array` };
        return { key, value: JSON.stringify(v) };
      }
      return { offset: record.offset, reason: `no items field (${items.map((f) => f.name).join(', ')})` };
    },
  };
}
