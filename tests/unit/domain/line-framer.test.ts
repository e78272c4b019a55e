import fc from 'fast-check';
import { LineFramer, lineReadStart } from '../../../functions/domain/formats/line-framer.js';
import type { RawRecord } from '../../../functions/domain/raw-record.js';

/** Feeds `file[from..]` to a framer for [start, end) in pieces of the given sizes, stopping when it is done. */
function frame(file: Buffer, start: number, end: number, pieceSizes: number[], max = 1 << 20): RawRecord[] {
  const framer = new LineFramer(start, end, max);
  const out: RawRecord[] = [];
  let pos = lineReadStart(start);
  let i = 0;
  while (pos < file.length && !framer.done) {
    const size = Math.max(1, pieceSizes[i++ % pieceSizes.length] ?? 7);
    out.push(...framer.push(file.subarray(pos, pos + size)));
    pos += size;
  }
  out.push(...framer.end());
  return out;
}

function chunked(file: Buffer, chunkSize: number, pieces: number[]): RawRecord[] {
  const out: RawRecord[] = [];
  for (let start = 0; start < file.length; start += chunkSize) out.push(...frame(file, start, Math.min(file.length, start + chunkSize), pieces));
  return out;
}

const text = (r: RawRecord) => r.bytes!.toString('utf8');

// Records with multi-byte UTF-8 (2, 3 and 4 bytes), quotes and spaces inside.
const recordArb = fc
  .record({ id: fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }), items: fc.array(fc.integer(), { maxLength: 4 }) })
  .map((r) => JSON.stringify({ userId: r.id, movieId: r.items, note: 'é漢😀' }));

const fileArb = fc.record({
  records: fc.array(recordArb, { minLength: 0, maxLength: 25 }),
  crlf: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
  blanks: fc.array(fc.constantFrom('', '', '', '\n', '\r\n', '  \n'), { minLength: 25, maxLength: 25 }),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
});

function build(f: { records: string[]; crlf: boolean[]; blanks: string[]; bom: boolean; finalNewline: boolean }) {
  let s = f.bom ? '\uFEFF' : '';
  f.records.forEach((r, i) => {
    s += f.blanks[i] + r;
    if (i < f.records.length - 1 || f.finalNewline) s += f.crlf[i] ? '\r\n' : '\n';
  });
  return Buffer.from(s, 'utf8');
}

describe('LineFramer: the chunk-edge rule', () => {
  test('every record exactly once, for any chunk size down to 1 byte and any read piece sizes', () => {
    fc.assert(
      fc.property(fileArb, fc.integer({ min: 1, max: 400 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }), (f, chunkSize, pieces) => {
        const file = build(f);
        const got = chunked(file, chunkSize, pieces);
        expect(got.map(text)).toEqual(f.records);
        // Offsets point at each record's first byte.
        for (const r of got) expect(file.subarray(r.offset, r.offset + r.length).equals(r.bytes!)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('chunk size 1 on a file with CRLF, a BOM, blank lines and no final newline', () => {
    const file = Buffer.from('\uFEFF{"a":1}\r\n\r\n{"b":"漢"}\n\n  \n{"c":3}', 'utf8');
    expect(chunked(file, 1, [1]).map(text)).toEqual(['{"a":1}', '{"b":"漢"}', '{"c":3}']);
    expect(chunked(file, 1, [1])[0]!.offset).toBe(3);
  });

  test('a chunk that starts exactly on a line start owns that line', () => {
    const file = Buffer.from('aaaa\nbbbb\ncccc\n');
    expect(frame(file, 5, 10, [100]).map(text)).toEqual(['bbbb']);
    expect(frame(file, 4, 5, [100]).map(text)).toEqual([]); // only the newline of line 1
    expect(frame(file, 6, 11, [100]).map(text)).toEqual(['cccc']);
  });

  test('stops reading once past its end: the framer reports done', () => {
    const file = Buffer.from('one\ntwo\nthree\nfour\n');
    const framer = new LineFramer(0, 5, 1024);
    framer.push(file.subarray(0, 9));
    expect(framer.done).toBe(true);
  });

  test('a line over the limit is reported without its bytes, and the next line still comes through', () => {
    const long = 'x'.repeat(5000);
    const file = Buffer.from(`{"a":1}\n${long}\n{"b":2}\n`);
    const got = frame(file, 0, file.length, [333], 1024);
    expect(got.map((r) => (r.bytes ? text(r) : `too long:${r.length}`))).toEqual(['{"a":1}', 'too long:5000', '{"b":2}']);
    expect(got[1]!.offset).toBe(8);
  });
});
