// The fast path of record shaping, for ranked items: scan the record once (record-scanner.ts)
// and store the items' own text, skipping JSON.parse's object tree and JSON.stringify's copy.
import { COMPOSITE_KEY_SEPARATOR, type DatasetSpec } from './dataset-spec.js';
import { compactText, RecordScanner, type Member } from './record-scanner.js';
import { MAX_KEY_LENGTH, type ShapedRecord } from './shaped-record.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

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

  /** The last member named `name` (JSON.parse keeps the last of duplicates). */
  const find = (scanned: readonly Member[], bytes: Buffer, n: number, name: Buffer): Member | undefined => {
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
    const n = outer.scanObject(bytes);
    if (n < 0) return null;
    const members = outer.scanned;
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
    if (key === null || key.length > MAX_KEY_LENGTH) return null;
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
