// The scanner fast path must give exactly the answers of the JSON.parse path (its reference):
// same records accepted, same keys, the same items (as JSON values), the same bad records.
import fc from 'fast-check';
import { DEFAULT_ITEMS_FIELDS, type DatasetSpec } from '../../../functions/domain/dataset-spec.js';
import { RecordScanner } from '../../../functions/domain/record-scanner.js';
import { isBad, shapeFor, type BadRecord, type ShapedRecord } from '../../../functions/domain/record-shape.js';
import { DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { propertyRuns } from '../../support/property-runs.js';

const spec = (key: DatasetSpec['key'], itemsFields: string[]): DatasetSpec => ({ name: 't', kind: 'ranked-items', key, itemsFields, jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto', rewindWindowHours: 24 });
const specs = [
  spec({ fields: ['userId', 'user_id'], mode: 'first-present' }, DEFAULT_ITEMS_FIELDS),
  spec({ fields: ['userId', 'user_id'], mode: 'first-present' }, ['movieId', 'recommendations', 'items', 'SageMakerOutput.recommendations', 'SageMakerOutput']),
  spec({ fields: ['a', 'b'], mode: 'composite' }, ['items']),
  // Names that are also Object.prototype members: absent means absent on both paths.
  spec({ fields: ['userId'], mode: 'first-present' }, ['SageMakerOutput.constructor', 'constructor', 'SageMakerOutput.recommendations']),
];

/** The shaped answer as a comparable value: items compared as JSON values, not as text. */
function normal(r: ShapedRecord | BadRecord): unknown {
  if (isBad(r)) return { bad: r.reason, offset: r.offset };
  return { key: r.key, items: JSON.stringify(JSON.parse(r.value)), count: r.items };
}

function expectSameAnswer(text: string | Buffer): void {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (const s of specs) {
    const fast = shapeFor(s, 1 << 20).shape({ offset: 3, bytes, length: bytes.length });
    const reference = shapeFor(s, 1 << 20, { scanner: false }).shape({ offset: 3, bytes, length: bytes.length });
    expect(normal(fast)).toEqual(normal(reference));
  }
}

const name = fc.constantFrom('userId', 'user_id', 'a', 'b', 'items', 'recommendations', 'movieId', 'SageMakerOutput', 'x', 'us\\u0065rId', '');
const keyValue = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.constant(null), fc.constant(2 ** 60), fc.constant('a\u00e9\u{1f600}'));
const items = fc.array(fc.tuple(fc.nat(99_999), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 4 });
/** SageMaker's joined output nests the model's answer: an object that may hold the items. */
const joined = fc.dictionary(fc.constantFrom('recommendations', 'x', 'recommendation', 'constructor'), fc.oneof(items, keyValue), { maxKeys: 3 });
const member = fc.tuple(name, fc.oneof(keyValue, fc.jsonValue({ maxDepth: 3 }), items, joined));
/** Objects written by hand (duplicate members allowed), in one of the layouts producers use. */
const record = fc.tuple(fc.array(member, { maxLength: 6 }), fc.constantFrom('compact', 'python', 'pretty')).map(([members, layout]) => {
  const raw = (v: unknown) => JSON.stringify(v) ?? 'null';
  const body = members.map(([k, v]) => `"${k}":${raw(v)}`).join(',');
  const text = `{${body}}`;
  if (layout === 'compact') return text;
  if (layout === 'python') return text.replace(/,/g, ', ').replace(/":/g, '": ');
  return JSON.stringify(JSON.parse(text), null, 2);
});

describe('record scanner fast path', () => {
  test.each([
    ['{"userId":"u1","recommendations":[[5,0.9],[7,0.5]]}'],
    ['{"userId": 17, "recommendations": [{"item": "a b", "score": 1.0e2}, {"item": "\\"q\\"", "score": -0}]}'],
    ['{"userId":"u1","recommendations":[1],"userId":"u2","recommendations":[2]}'],
    ['{"user_id":"u1","userId":null,"items":[1]}'],
    ['{"userId":"","items":[1]}'],
    ['{"userId":"a\\u00e9","items":[1]}'],
    ['{"userId":1.5,"items":[1]}'],
    ['{"userId":9007199254740993,"items":[1]}'],
    ['{"userId":"u","items":{"a":1}}'],
    ['{"userId":"u","SageMakerOutput":{"recommendations":[3]}}'],
    ['{"userId":"u","country":"DE","SageMakerOutput": {"x": 1, "recommendations": [[3, 0.5]]}}'],
    ['{"userId":"u","SageMakerOutput":{"x":1}}'],
    ['{"userId":"u","SageMakerOutput":[1,2]}'],
    ['{"userId":"u","SageMakerOutput":{"recommendations":{"a":1}}}'],
    ['{"userId":"u","SageMakerOutput":{"recommendations":[1],"recommendations":[2]}}'],
    ['{"userId":"u","SageMakerOutput":{"recommend\u0061tions":[1]}}'],
    ['{"userId":"u","SageMakerOutput":{"constructor":[1]}}'],
    ['{"userId":"u","SageMakerOutput":{"toString":[1]}}'],
    ['{"a":"x","b":2,"items":[]}'],
    ['{"a":"x","items":[]}'],
    ['{"userId":"u","items":[1,]}'],
    ['{"userId":"u","items":[01]}'],
    ['{"userId":"u","items":[1.]}'],
    ['{"userId":"u","items":["\t"]}'],
    ['{"userId":"u","items":[tru]}'],
    ['{"userId":"u","items":[1]} x'],
    ['{"userId":"u","items":[1]}\r'],
    ['  {"userId":"u","items":[1]}'],
    ['[1]'],
    ['{"userId":"u","items":[' + '['.repeat(20_000) + ']'.repeat(20_000) + ']}'],
  ])('%s: the same answer as JSON.parse', (text) => expectSameAnswer(text));

  test('field names with lone surrogates take the JSON.parse path (as UTF-8 they would read as U+FFFD)', () => {
    const odd = [spec({ fields: ['\ud800'], mode: 'first-present' }, ['items']), spec({ fields: ['userId'], mode: 'first-present' }, ['\udc00', 'items'])];
    for (const s of odd) {
      for (const text of ['{"\ufffd":"u","items":[1]}', '{"userId":"u","\ufffd":[1],"items":[2]}']) {
        const bytes = Buffer.from(text);
        const fast = shapeFor(s, 1 << 20).shape({ offset: 0, bytes, length: bytes.length });
        const reference = shapeFor(s, 1 << 20, { scanner: false }).shape({ offset: 0, bytes, length: bytes.length });
        expect(normal(fast)).toEqual(normal(reference));
      }
    }
  });

  // The one answer the two paths give differently on purpose: the fast path stores the items'
  // own text (compacted), the reference path JSON.stringify's rendering of the parsed value.
  // `normal` above compares values, so this pins that the fast path really answered.
  test.each([
    ['{"userId":"u","items":[1.0e2]}', '[1.0e2]'],
    ['{"userId":"u", "items": [1.0e2, -0]}', '[1.0e2,-0]'],
    ['{"userId":"u","SageMakerOutput":{"recommendations":[1.0e2]}}', '[1.0e2]'],
  ])('%s: the fast path stores the items as written (%s), the JSON.parse path re-renders them', (text, stored) => {
    const bytes = Buffer.from(text);
    const record = { offset: 0, bytes, length: bytes.length };
    const items = (JSON.parse(stored) as unknown[]).length;
    expect(shapeFor(specs[0]!, 1 << 20).shape(record)).toEqual({ key: 'u', value: stored, items });
    expect(shapeFor(specs[0]!, 1 << 20, { scanner: false }).shape(record)).toEqual({ key: 'u', value: JSON.stringify(JSON.parse(stored)), items });
  });

  test('invalid UTF-8 is a bad record on both paths', () => {
    expectSameAnswer(Buffer.from([0x7b, 0x22, 0x75, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
  });

  test('property: generated records in compact, Python and pretty layouts', () => {
    fc.assert(fc.property(record, (text) => expectSameAnswer(text)), { numRuns: propertyRuns(3000) });
  });

  test('property: records with a byte changed, inserted or removed (mostly not JSON any more)', () => {
    const edit = fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.constantFrom(...'{}[]",:.-+eE01 \t\\u9anlt'.split('')));
    fc.assert(
      fc.property(record, fc.array(edit, { minLength: 1, maxLength: 3 }), (text, edits) => {
        let t = text;
        for (const [at, op, c] of edits) {
          const i = at % (t.length + 1);
          t = op === 'insert' ? t.slice(0, i) + c + t.slice(i) : op === 'delete' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + c + t.slice(i + 1);
        }
        expectSameAnswer(t);
      }),
      { numRuns: propertyRuns(5000) },
    );
  });

  test('property: scanObject accepts only what JSON.parse reads as an object, and finds every member', () => {
    const scanner = new RecordScanner();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:.-+eE01 \\untrfalse'.split('')), maxLength: 24 }), (text) => {
        const n = scanner.scanObject(Buffer.from(text));
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(n).toBe(-1);
          return;
        }
        const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
        if (!isObject) expect(n).toBe(-1);
        else if (!text.includes('\\')) expect(n).toBeGreaterThanOrEqual(Object.keys(parsed as object).length);
      }),
      { numRuns: propertyRuns(20_000) },
    );
    const n = scanner.scanObject(Buffer.from('{"a":[1, 2],"b":"x\\"y","a":{}}'));
    expect(n).toBe(3);
    expect(scanner.scanned.slice(0, n).map((m) => [m.kind, m.spaced, m.escaped])).toEqual([
      ['array', true, false],
      ['string', false, true],
      ['object', false, false],
    ]);
  });
});

describe('feature rows fast path', () => {
  const rows = (key: DatasetSpec['key'], fields: NonNullable<DatasetSpec['fields']>): DatasetSpec => ({ ...spec(key, []), kind: 'feature-rows', fields });
  const rowSpecs = [
    rows({ fields: ['id'], mode: 'first-present' }, { score: 'number', n: 'integer', name: 'string', on: 'boolean', tags: 'array', meta: 'object', any: 'any' }),
    rows({ fields: ['state', 'zip'], mode: 'composite' }, Object.fromEntries([['pop', 'integer'], ['constructor', 'string']]) as NonNullable<DatasetSpec['fields']>),
  ];
  /** A row as a comparable value: compared as JSON values, nulls as reported. */
  const asRow = (r: ShapedRecord | BadRecord): unknown => (isBad(r) ? { bad: r.reason, offset: r.offset } : { key: r.key, row: JSON.parse(r.value) as unknown, nulls: r.nulls });
  const same = (text: string) => {
    const bytes = Buffer.from(text);
    for (const s of rowSpecs) {
      const fast = shapeFor(s, 1 << 20).shape({ offset: 9, bytes, length: bytes.length });
      const reference = shapeFor(s, 1 << 20, { scanner: false }).shape({ offset: 9, bytes, length: bytes.length });
      expect(asRow(fast)).toEqual(asRow(reference));
      // Stored compact, as the JSON.parse path stores it: no whitespace outside strings.
      if (!isBad(fast)) expect(fast.value.replace(/"(?:[^"\\]|\\.)*"/g, '""')).not.toMatch(/\s/);
    }
  };

  test('stores the fields as written, in declaration order, with the nulls named', () => {
    const shaped = shapeFor(rowSpecs[0]!, 1 << 20).shape({ offset: 0, bytes: Buffer.from('{"id":"c1","extra":1,"any":[1],"meta":{"a" : 1},"tags":[],"on":true,"name":null,"n":7,"score":1.50}'), length: 0 });
    expect(shaped).toEqual({ key: 'c1', value: '{"score":1.50,"n":7,"name":null,"on":true,"tags":[],"meta":{"a":1},"any":[1]}', nulls: [2] });
  });

  test.each([
    ['{"id":"c1","score":1,"n":2,"name":"x","on":false,"tags":[1],"meta":{},"any":"y"}'],
    ['{"id":"c1","score":1,"n":2.0,"name":"x","on":false,"tags":[1],"meta":{},"any":"y"}'],
    ['{"id":"c1","score":1,"n":1e2,"name":"x","on":false,"tags":[1],"meta":{},"any":null}'],
    ['{"id":"c1","score":"1","n":2,"name":"x","on":false,"tags":[1],"meta":{},"any":1}'],
    ['{"id":"c1","score":1,"n":2,"name":"x","on":false,"tags":[1],"meta":{}}'],
    ['{"id":"c1","score":1,"n":9007199254740993,"name":"x","on":0,"tags":{},"meta":[],"any":1}'],
    ['{"id":"c1","score":1,"score":null,"n":2,"name":"\\u00e9","on":true,"tags":[],"meta":{},"any":1}'],
    ['{"state":"CA","zip":94105,"pop":12,"constructor":"x"}'],
    ['{"state":"CA","zip":94105,"pop":12}'],
  ])('%s: the same answer as JSON.parse', (text) => same(text));

  test('generated records: the same answers as JSON.parse', () => {
    const field = fc.constantFrom('id', 'score', 'n', 'name', 'on', 'tags', 'meta', 'any', 'state', 'zip', 'pop', 'constructor', 'x');
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean(), fc.string({ maxLength: 5 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { maxLength: 12 }), fc.boolean(), (members, spaced) => {
        const body = members.map(([k, v]) => `"${k}":${JSON.stringify(v) ?? 'null'}`).join(spaced ? ', ' : ',');
        same(`{${body}}`);
      }),
      { numRuns: propertyRuns(3000) },
    );
  });

  test('generated rows whose declared fields come last, in order (copied in one piece): the same answers as JSON.parse', () => {
    // Numbers are checked from their bytes on this path: the texts around the rules matter.
    const numberText = fc.constantFrom('0', '-0', '-0.0', '-0e3', '-0.5', '-0.05', '1.50', '1e400', '-1e400', '1e-400', '-1e-400', '-1E-400', '2.5e-3', '1' + '0'.repeat(400), '01', '-01', '7', '-12', '1e2', '1.0', '123456789012345', '-999999999999999', '1234567890123456', '9007199254740991', '9007199254740993', '-9007199254740992');
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), numberText, fc.constant('null'), fc.constantFrom('true', 'false', '"x"', '"\\u00e9"', '[ 1 ]', '{"a" :1}'));
    const prefix = fc.array(fc.tuple(fc.constantFrom('id', 'state', 'zip', 'x', 'n', 'pop'), value), { maxLength: 3 });
    const separator = fc.constantFrom(',', ',', ',', ', ', ' ,');
    const colon = fc.constantFrom(':', ':', ':', ' :', ': ');
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.tuple(fc.constantFrom('"c1"', '7', '"CA"'), fc.constantFrom('94105', '"94105"')), prefix, fc.array(value, { minLength: 7, maxLength: 7 }), separator, colon, (which, [id, zip], before, values, sep, col) => {
        const declared = Object.keys(rowSpecs[which]!.fields!);
        const keyMembers = which === 0 ? [['id', id]] : [['state', id], ['zip', zip]];
        const members = [...before, ...keyMembers, ...declared.map((f, i) => [f, values[i]!])];
        same(`{${members.map(([k, v]) => `"${k}"${col}${v}`).join(sep)}}`);
      }),
      { numRuns: propertyRuns(5000) },
    );
  });
});
