import { DEFAULT_ITEMS_FIELDS, DEFAULT_KEY_FIELDS } from '../../../functions/domain/dataset-spec.js';
import { isBad, shapeFor } from '../../../functions/domain/record-shape.js';
import { DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';

const shape = shapeFor(
  {
    name: 'default',
    kind: 'ranked-items',
    key: { fields: ['userId', 'user_id'], mode: 'first-present' },
    itemsFields: ['movieId', 'recommendations', 'SageMakerOutput.recommendations', 'SageMakerOutput'],
    jobs: { names: [], prefixes: [] },
    checks: DEFAULT_RELEASE_CHECKS,
    promote: 'auto',
    rewindWindowHours: 24,
  },
  100,
);
const rec = (s: string | Buffer, offset = 7) => {
  const bytes = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return shape.shape({ offset, bytes, length: bytes.length });
};

describe('the default ITEMS_FIELD order', () => {
  const spec = { name: 'd', kind: 'ranked-items' as const, key: { fields: DEFAULT_KEY_FIELDS, mode: 'first-present' as const }, itemsFields: DEFAULT_ITEMS_FIELDS, jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' as const, rewindWindowHours: 24 };
  const both = (text: string) =>
    [shapeFor(spec, 1 << 20), shapeFor(spec, 1 << 20, { scanner: false })].map((s) => s.shape({ offset: 0, bytes: Buffer.from(text), length: Buffer.byteLength(text) }));
  test('joined output serves the prediction, not an input field that is also a candidate (fast path and JSON.parse agree)', () => {
    for (const r of both('{"userId":"h5","items":["history5"],"SageMakerOutput":{"recommendations":["pred5"]}}')) expect(r).toEqual({ key: 'h5', value: '["pred5"]', items: 1 });
    for (const r of both('{"data":[1,2],"userId":"h6","recommendations":["history6"],"SageMakerOutput":["pred6"]}')) expect(r).toEqual({ key: 'h6', value: '["pred6"]', items: 1 });
  });
  test('a SageMakerOutput without a list is a bad record, never served from the input', () => {
    for (const r of both('{"userId":"h7","items":["history7"],"SageMakerOutput":{"label":1}}')) {
      expect(r).toEqual({ offset: 0, reason: 'items field "SageMakerOutput" is an object; expected an array' });
    }
  });
  test('records without SageMakerOutput keep their own lists', () => {
    for (const r of both('{"userId":"u1","items":[3,4]}')) expect(r).toEqual({ key: 'u1', value: '[3,4]', items: 2 });
  });
});

describe('ranked-items record shape', () => {
  test('the AWS sample record: integer key, integer items kept in rank order', () => {
    expect(rec('{"movieId":[2012,553,780],"userId":1}')).toEqual({ key: '1', value: '[2012,553,780]', items: 3 });
  });

  test('a scored recommendations record and SageMaker joined output', () => {
    expect(rec('{"user_id":"u-9","recommendations":[{"item":"b","score":0.9},{"item":"a","score":0.5}]}')).toEqual({
      key: 'u-9',
      value: '[{"item":"b","score":0.9},{"item":"a","score":0.5}]',
      items: 2,
    });
    expect(rec('{"userId":"u1","features":[1,2],"SageMakerOutput":{"recommendations":[5,4]}}')).toEqual({ key: 'u1', value: '[5,4]', items: 2 });
    expect(rec('{"userId":"u2","SageMakerOutput":[7,8]}')).toEqual({ key: 'u2', value: '[7,8]', items: 2 });
  });

  test.each([
    ['{"userId":1,"movieId":[1]', /^malformed JSON/],
    ['[1,2]', /record is a JSON array, not an object/],
    ['{"movieId":[1]}', /no key field \(userId, user_id\)/],
    ['{"userId":{"a":1},"movieId":[1]}', /key field "userId" is an object; expected a string or an integer/],
    ['{"userId":1.5,"movieId":[1]}', /key field "userId" is a number/],
    ['{"userId":"","movieId":[1]}', /key field "userId" is empty/],
    ['{"userId":1,"movieId":"2012"}', /items field "movieId" is a string; expected an array/],
    ['{"userId":1}', /no items field/],
  ])('%s is a bad record: %s', (line, reason) => {
    const r = rec(line);
    expect(isBad(r)).toBe(true);
    if (isBad(r)) {
      expect(r.reason).toMatch(reason);
      expect(r.offset).toBe(7);
    }
  });

  test('invalid UTF-8 and over-long records are bad records with a reason', () => {
    const r1 = rec(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    expect(isBad(r1) && r1.reason).toBe('record is not valid UTF-8');
    const r2 = shape.shape({ offset: 3, bytes: null, length: 5000 });
    expect(isBad(r2) && r2.reason).toBe('record is 5000 bytes, over the 100-byte limit');
  });
});

test('a malformed record is located but never quoted in its reason', () => {
  for (const line of ['{"userId":"secret-123",', '{"userId":secret}', 'not json at all']) {
    const r = rec(line);
    expect(isBad(r) && r.reason).toMatch(/^malformed JSON/);
    expect(isBad(r) && r.reason).not.toMatch(/secret|not json/);
  }
});
