import fc from 'fast-check';
import { planChunks } from '../../../functions/domain/chunk-plan.js';
import { splitCsvLine } from '../../../functions/domain/formats/csv/csv-line.js';
import { parseCsvLayout } from '../../../functions/domain/csv-layout.js';
import { csvColumnsProblem, csvShape } from '../../../functions/domain/formats/csv/csv-shape.js';
import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { LineFramer, lineReadStart } from '../../../functions/domain/formats/line-framer.js';
import type { RawRecord } from '../../../functions/domain/raw-record.js';
import { isBad } from '../../../functions/domain/record-shape.js';
import { propertyRuns } from '../../support/property-runs.js';

const COMMA = 0x2c;
const split = (s: string) => splitCsvLine(Buffer.from(s), COMMA);

describe('splitCsvLine (RFC 4180, one line)', () => {
  test.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,,c', ['a', '', 'c']],
    ['a,b,', ['a', 'b', '']],
    ['"a,1","say ""hi""",x', ['a,1', 'say "hi"', 'x']],
    ['"",b', ['', 'b']],
    ['é漢,😀', ['é漢', '😀']],
    ['"x",', ['x', '']],
  ])('%j', (line, fields) => expect(split(line)).toEqual({ ok: true, fields }));

  test.each([
    ['"a,b', /quoted field 1 is not closed on its line/],
    ['a,"b', /quoted field 2 is not closed/],
    ['"a"b,c', /text after the closing quote of field 1/],
    ['a"b,c', /a quote inside unquoted field 1/],
  ])('%j is refused: %s', (line, reason) => {
    const r = split(line);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(reason);
  });
});

// The chunk-edge property of line-framer.test.ts, over CSV: quoted fields with the delimiter and
// doubled quotes inside, CRLF, a BOM, a header line, no final newline.
const cellArb = fc.oneof(
  fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', '1', ' ', 'é', '漢', '😀') }),
  fc.string({ maxLength: 6, unit: fc.constantFrom('a', ',', '"', ' ', 'é') }).map((s) => `"${s.replaceAll('"', '""')}"`),
);
const lineArb = fc.array(cellArb, { minLength: 3, maxLength: 3 }).map((cells) => cells.join(','));

function frameAll(file: Buffer, chunkSize: number): RawRecord[] {
  const out: RawRecord[] = [];
  for (let start = 0; start < file.length; start += chunkSize) {
    const end = Math.min(file.length, start + chunkSize);
    const framer = new LineFramer(start, end, 1 << 20);
    let pos = lineReadStart(start);
    while (pos < file.length && !framer.done) {
      out.push(...framer.push(file.subarray(pos, pos + 5)));
      pos += 5;
    }
    out.push(...framer.end());
  }
  return out;
}

describe('CSV chunk edges', () => {
  test('every line exactly once and split to the same fields, for any chunk size down to 1 byte', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 120 }), (lines, crlf, bom, finalNewline, chunkSize) => {
        const nl = crlf ? '\r\n' : '\n';
        const text = (bom ? '\uFEFF' : '') + 'userId,a,b' + nl + lines.join(nl) + (finalNewline ? nl : '');
        const file = Buffer.from(text);
        const got = frameAll(file, chunkSize);
        // Blank lines are skipped by the framer; a line of three empty cells is ",,", never blank.
        expect(got.length).toBe(lines.length + 1);
        expect(got.slice(1).map((r) => splitCsvLine(r.bytes!, COMMA))).toEqual(lines.map((l) => splitCsvLine(Buffer.from(l), COMMA)));
        for (const r of got) expect(file.subarray(r.offset, r.offset + r.length).equals(r.bytes!)).toBe(true);
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  test('a quoted newline is a bad record on each side, never a silent merge', () => {
    const file = Buffer.from('userId,a,b\nu1,"two\nlines",x\nu2,1,2\n');
    const [spec] = parseDatasetSpecs([{ name: 'f', kind: 'feature-rows', key: 'userId' }]);
    const shape = csvShape(spec!, parseCsvLayout(undefined, 'f', 'csv'), ['userId', 'a', 'b']);
    const shaped = frameAll(file, 7).slice(1).map((r) => shape.shape(r));
    expect(shaped).toEqual([
      { offset: 11, reason: expect.stringMatching(/quoted field 2 is not closed on its line/) },
      { offset: 19, reason: "a quote inside unquoted field 1" },
      { key: 'u2', value: '{"a":"1","b":"2"}' },
    ]);
  });
});

const rec = (s: string, offset = 9) => ({ offset, bytes: Buffer.from(s), length: Buffer.byteLength(s) });

describe('csvShape', () => {
  const specs = parseDatasetSpecs([
    { name: 'recs', csv: { header: false, columns: ['userId', 'country', 'r1', 'r2', 'r3'], items: { trailing: 3 } } },
    { name: 'piped', csv: { items: { column: 'recs', separator: '|' } } },
    { name: 'loans', kind: 'feature-rows', key: ['state', 'zip'], fields: { pop: 'integer', wage: 'number', city: 'string', ok: 'boolean', tags: 'array' } },
  ]);
  const [recs, piped, loans] = specs as [typeof specs[0] & object, typeof specs[0] & object, typeof specs[0] & object];

  test('ranked items from the trailing columns: numbers stay numbers, empty trailing cells shorten the list', () => {
    const shape = csvShape(recs, recs.csv!, recs.csv!.columns!);
    expect(shape.shape(rec('u1,DE,12,i7,3.5e2'))).toEqual({ key: 'u1', value: '[12,"i7",3.5e2]', items: 3 });
    expect(shape.shape(rec('u2,DE,12,,'))).toEqual({ key: 'u2', value: '[12]', items: 1 });
    expect(shape.shape(rec(',DE,1,2,3'))).toMatchObject({ reason: expect.stringMatching(/no key/) });
    expect(shape.shape(rec('u3,DE,1,2'))).toMatchObject({ reason: 'the line has 4 fields; the header has 5' });
  });

  test('ranked items from one delimited column', () => {
    const shape = csvShape(piped, piped.csv!, ['user_id', 'recs']);
    expect(shape.shape(rec('7,a|b|10'))).toEqual({ key: '7', value: '["a","b",10]', items: 3 });
    expect(shape.shape(rec('8,'))).toEqual({ key: '8', value: '[]', items: 0 });
  });

  test('feature rows: composite key, declared types, empty cells null, bad cells named', () => {
    const columns = ['zip', 'state', 'pop', 'wage', 'city', 'ok', 'tags', 'extra'];
    const shape = csvShape(loans, { header: true, delimiter: ',' }, columns);
    expect(shape.shape(rec('94105,CA,3200,1.5e3,"San Francisco, CA",TRUE,"[1,2]",zzz'))).toEqual({
      key: 'CA:94105',
      value: '{"pop":3200,"wage":1.5e3,"city":"San Francisco, CA","ok":true,"tags":[1,2]}',
    });
    // Null fields are named by their position among the declared fields (the null-rate check counts them).
    expect(shape.shape(rec('10001,NY,,,,,,'))).toEqual({ key: 'NY:10001', value: '{"pop":null,"wage":null,"city":null,"ok":null,"tags":null}', nulls: [0, 1, 2, 3, 4] });
    const bad = shape.shape(rec('10001,NY,12.5,1,x,true,[],', 40));
    expect(isBad(bad) && bad).toEqual({ offset: 40, reason: 'column pop is not an integer' });
    expect(shape.shape(rec('10001,NY,1,1,x,maybe,[],'))).toMatchObject({ reason: 'column ok is not a boolean (true/false/1/0)' });
  });

  test('headers that cannot serve the dataset are named', () => {
    expect(csvColumnsProblem(loans, { header: true, delimiter: ',' }, ['zip', 'pop'])).toMatch(/key column\(s\) state missing/);
    expect(csvColumnsProblem(loans, { header: true, delimiter: ',' }, ['zip', 'state', 'pop'])).toMatch(/declared field column\(s\) wage, city, ok, tags missing/);
    expect(csvColumnsProblem(recs, recs.csv!, ['a', 'a'])).toMatch(/repeat a name/);
    expect(csvColumnsProblem(recs, recs.csv!, recs.csv!.columns!)).toBeNull();
  });

  test('layout declarations are checked', () => {
    expect(() => parseCsvLayout({ header: false }, 'dataset x', 'datasets[0].csv')).toThrow(/needs csv.columns/);
    expect(() => parseCsvLayout({ delimiter: ';;' }, 'dataset x', 'datasets[0].csv')).toThrow(/csv.delimiter/);
    expect(() => parseCsvLayout({ items: { trailing: 0 } }, 'dataset x', 'datasets[0].csv')).toThrow(/csv.items.trailing/);
    expect(parseCsvLayout({ delimiter: '\t', items: { column: 'recs' } }, 'x', 'csv')).toEqual({ header: true, delimiter: '\t', items: { column: 'recs', separator: '|' } });
  });
});

describe('gzip objects in the chunk plan', () => {
  test('one part per gzip object, weighed and sized by its expanded bytes', () => {
    const o = (key: string, size: number, extra: object = {}) => ({ bucket: 'b', key, etag: 'e', size, format: 'jsonl' as const, ...extra });
    const plan = planChunks([o('a.jsonl.gz', 1000, { compression: 'gzip', expandedSize: 9000 }), o('b.out', 3000)], 2000, 1000);
    expect(plan.totalBytes).toBe(12000);
    expect(plan.chunks[0]!.parts).toEqual([{ bucket: 'b', key: 'a.jsonl.gz', etag: 'e', start: 0, end: 1000, format: 'jsonl', compression: 'gzip' }]);
    expect(plan.chunks.slice(1).flatMap((c) => c.parts).map((p) => [p.start, p.end])).toEqual([[0, 2000], [2000, 3000]]);
  });
});

describe('csvShape fast path', () => {
  const [spec] = parseDatasetSpecs([{ name: 'r', csv: { items: { trailing: 3 } } }]);
  const columns = ['userId', 'country', 'a', 'b', 'c'];
  const fast = csvShape(spec!, spec!.csv!, columns, 1 << 20);
  const reference = csvShape(spec!, spec!.csv!, columns, 1 << 20, { fast: false });
  const cell = fc.oneof(
    fc.constantFrom('0', '-1', '12', '1.5', '1e3', '-0.25E-2', '007', '1.', '.5', '+1', '', 'x', 'é', '"q"', '"a,b"', '1 ', ' 1'),
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  );
  test('answers exactly as the splitting path on generated lines', () => {
    fc.assert(
      fc.property(fc.array(cell, { minLength: 3, maxLength: 7 }), (cells) => {
        const line = ['u1', ...cells].join(',');
        const bytes = Buffer.from(line);
        const r = { offset: 4, bytes, length: bytes.length };
        expect(fast.shape(r)).toEqual(reference.shape(r));
      }),
      { numRuns: propertyRuns(3000) },
    );
  });
  test('it does take the number text as it is', () => {
    expect(fast.shape(rec('u1,DE,1.0e2,-0,3'))).toEqual({ key: 'u1', value: '[1.0e2,-0,3]', items: 3 });
  });
});
