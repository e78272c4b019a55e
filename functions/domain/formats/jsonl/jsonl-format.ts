// JSON Lines: one object per line, what SageMaker batch transform writes (SplitType=Line,
// AssembleWith=Line). Cut at any byte: a line belongs to the part its first byte is in.
import type { ByteFormat, Recognised } from '../format.js';
import { LineFramer, lineReadStart } from '../line-framer.js';
import type { SniffedHead } from '../sniff.js';

/**
 * A head that is blank so far may still be JSON Lines (unsettled). "{" that the JSON document
 * format (asked first) left is a record. Otherwise, records that start with "{" on at least as
 * many lines as delimited text are JSON Lines whose first line is bad: it is counted as a bad
 * record, not a reason to read the object as CSV.
 */
function detect(head: SniffedHead): Recognised | undefined {
  if (head.first === undefined) return { ok: true, format: 'jsonl', settled: false };
  if (head.first === '{') return { ok: true, format: 'jsonl', settled: true };
  const { json, delimited } = head.lines();
  return json > 0 && json >= delimited ? { ok: true, format: 'jsonl', settled: true } : undefined;
}

export const jsonLinesFormat: ByteFormat = {
  name: 'jsonl',
  title: 'JSON Lines',
  reads: 'bytes',
  cut: 'ranges',
  detect,
  // A gzip part is the whole object: its lines are numbered in the decompressed stream.
  readFrom: (part) => (part.compression ? 0 : lineReadStart(part.start)),
  framer: (part, maxRecordBytes) => (part.compression ? new LineFramer(0, Number.MAX_SAFE_INTEGER, maxRecordBytes) : new LineFramer(part.start, part.end, maxRecordBytes)),
  shape: (_part, at) => at.jsonShape,
};
