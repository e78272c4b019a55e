// A JSON document: a top-level array, or an object made only of the members pandas writes
// around its "data" array (`orient="table"` schema + data, `orient="split"` columns, index,
// data). It cannot be cut: one part per object, streamed element by element.
import type { ByteFormat, Recognised } from '../format.js';
import type { SniffedHead } from '../sniff.js';
import { JsonDocumentFramer } from './json-document-framer.js';

/** Members a pandas document has at its top level; any other member makes the object a record. */
const DOCUMENT_MEMBERS = new Set(['schema', 'data', 'columns', 'index']);

/** The first object's top-level member names, and the offset just past it (-1: it runs past `text`, or is broken). */
function scanFirstObject(text: string, from: number): { members: string[]; end: number } {
  const members: string[] = [];
  let depth = 0;
  let expectingName = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (j >= text.length) return { members, end: -1 };
      if (depth === 1 && expectingName) {
        try {
          members.push(JSON.parse(text.slice(i, j + 1)) as string);
        } catch {
          return { members, end: -1 };
        }
        expectingName = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectingName = true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return { members, end: i + 1 };
    } else if (c === 0x2c && depth === 1) {
      expectingName = true;
    }
  }
  return { members, end: -1 };
}

/**
 * "[" is a document. "{" is one only if its members are pandas' own and no second value
 * follows it: JSON Lines whose records start with a "data" member (SageMaker output joined with
 * an input {"data": [...]}) are left to JSON Lines, asked next.
 */
function detect(head: SniffedHead): Recognised | undefined {
  const json = (settled: boolean): Recognised => ({ ok: true, format: 'json', settled });
  if (head.first === '[') return json(true);
  if (head.first !== '{') return undefined;
  const first = scanFirstObject(head.text, head.start);
  if (first.members.length === 0 && first.end < 0) return json(false);
  if (!first.members.every((m) => DOCUMENT_MEMBERS.has(m))) return undefined;
  if (first.end < 0) return json(false);
  if (!first.members.includes('data')) return undefined;
  return head.skipSpace(first.end) < head.text.length ? undefined : json(true);
}

export const jsonDocumentFormat: ByteFormat = {
  name: 'json',
  title: 'JSON document',
  reads: 'bytes',
  cut: 'whole',
  detect,
  readFrom: () => 0,
  framer: (_part, maxRecordBytes) => new JsonDocumentFramer(maxRecordBytes),
  shape: (_part, at) => at.jsonShape,
};
