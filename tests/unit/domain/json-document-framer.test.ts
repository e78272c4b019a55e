import fc from 'fast-check';
import { JsonDocumentFramer } from '../../../functions/domain/formats/json/json-document-framer.js';
import type { RawRecord } from '../../../functions/domain/raw-record.js';
import { BadDataError } from '../../../functions/errors.js';

function frameAll(doc: Buffer, piece: number, max = 1 << 20): RawRecord[] {
  const f = new JsonDocumentFramer(max);
  const out: RawRecord[] = [];
  for (let i = 0; i < doc.length; i += piece) out.push(...f.push(doc.subarray(i, i + piece)));
  out.push(...f.end());
  return out;
}

const parse = (r: RawRecord) => JSON.parse(r.bytes!.toString('utf8')) as unknown;

describe('JsonDocumentFramer', () => {
  test('frames every element of a top-level array, whatever the read piece size', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom(0, 2), (values, piece, indent) => {
        const doc = Buffer.from(JSON.stringify(values, null, indent));
        const got = frameAll(doc, piece);
        expect(got.map(parse)).toEqual(JSON.parse(doc.toString()));
        for (const r of got) expect(doc.subarray(r.offset, r.offset + r.length).equals(r.bytes!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('frames the "data" array of a pandas orient="table" document and skips the schema', () => {
    const doc = {
      schema: { fields: [{ name: 'index', type: 'integer' }, { name: 'data', type: 'string' }], primaryKey: ['index'], pandas_version: '1.4.0' },
      data: [{ movieId: [2012, 553, 780], userId: 1 }, { movieId: [1704], userId: 2 }, { movieId: [2424, 527, 3949, 1302], userId: 3 }],
    };
    for (const piece of [1, 3, 17, 1000]) {
      expect(frameAll(Buffer.from(JSON.stringify(doc)), piece).map(parse)).toEqual(doc.data);
      expect(frameAll(Buffer.from('\uFEFF' + JSON.stringify(doc, null, 1)), piece).map(parse)).toEqual(doc.data);
    }
  });

  test('keys containing "data", escaped quotes and brackets inside strings do not confuse it', () => {
    const doc = '{"meta":{"data":[9]},"x":"a\\"]}[","data":[{"userId":"a]","movieId":["}{"]},{"userId":"b","movieId":[]}]}';
    expect(frameAll(Buffer.from(doc), 2).map(parse)).toEqual([
      { userId: 'a]', movieId: ['}{'] },
      { userId: 'b', movieId: [] },
    ]);
  });

  test.each([
    ['[{"userId":1},{"userId":2', /truncated: it ends at byte 25 with 2 unclosed bracket/],
    ['[{"userId":"ab', /truncated: it ends at byte 14 inside a string/],
    ['', /empty/],
    ['{"schema":{}}', /without a "data" array/],
    ['[1,2] [3]', /unexpected text after the end of the JSON document at byte 6/],
    ['"just a string"', /must be an array of records or an object/],
  ])('fails with a located error on %j', (doc, message) => {
    expect(() => frameAll(Buffer.from(doc), 4)).toThrow(BadDataError);
    expect(() => frameAll(Buffer.from(doc), 4)).toThrow(message);
  });

  test('a malformed element is framed (and later counted as bad), not fatal', () => {
    const got = frameAll(Buffer.from('[{"userId":1},{"userId":,},{"userId":3}]'), 5);
    expect(got).toHaveLength(3);
    expect(() => parse(got[1]!)).toThrow();
    expect(parse(got[2]!)).toEqual({ userId: 3 });
  });
});
