import fc from 'fast-check';
import { StoredJson, toJsonText } from '../../../functions/domain/stored-json.js';

describe('toJsonText', () => {
  test('writes stored JSON verbatim, wherever it sits', () => {
    const items = new StoredJson('[[12,0.5],[7,0.25]]');
    expect(toJsonText({ userId: 'u"1', items, version: 'v1' })).toBe('{"userId":"u\\"1","items":[[12,0.5],[7,0.25]],"version":"v1"}');
    expect(toJsonText({ results: [{ key: 'a', found: true, value: items }, { key: 'b', found: false }] })).toBe(
      '{"results":[{"key":"a","found":true,"value":[[12,0.5],[7,0.25]]},{"key":"b","found":false}]}',
    );
  });

  test('property: without stored JSON it is JSON.stringify', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.oneof(fc.constant(undefined), fc.jsonValue())), (value, withUndefined) => {
        expect(toJsonText(value)).toBe(JSON.stringify(value));
        expect(toJsonText(withUndefined)).toBe(JSON.stringify(withUndefined));
        expect(toJsonText([undefined, 1])).toBe(JSON.stringify([undefined, 1]));
      }),
      { numRuns: 1000 },
    );
  });
});
