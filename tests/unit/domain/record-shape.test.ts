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
  },
  100,
);
const rec = (s: string | Buffer, offset = 7) => {
  const bytes = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return shape.shape({ offset, bytes, length: bytes.length });
};

describe('ranked-items record shape', () => {
  test('the AWS sample record: integer key, integer items kept in rank order', () => {
    expect(rec('{"movieId":[2012,553,780],"userId":1}')).toEqual({ key: '1', value: '[2012,553,780]' });
  });

  test('a scored recommendations record and SageMaker joined output', () => {
    expect(rec('{"user_id":"u-9","recommendations":[{"item":"b","score":0.9},{"item":"a","score":0.5}]}')).toEqual({
      key: 'u-9',
      value: '[{"item":"b","score":0.9},{"item":"a","score":0.5}]',
    });
    expect(rec('{"userId":"u1","features":[1,2],"SageMakerOutput":{"recommendations":[5,4]}}')).toEqual({ key: 'u1', value: '[5,4]' });
    expect(rec('{"userId":"u2","SageMakerOutput":[7,8]}')).toEqual({ key: 'u2', value: '[7,8]' });
  });

  test.each([
    ['{"userId":1,"movieId":[1]', /^malformed JSON/],
    ['[1,2]', /record is a JSON array, not an object/],
    ['{"movieId":[1]}', /no key field \(userId, user_id\)/],
    ['{"userId":{"a":1},"movieId":[1]}', /key field "userId" is a object; expected a string or an integer/],
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
