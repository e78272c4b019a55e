import { datasetForJob, parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { isBad, shapeFor } from '../../../functions/domain/record-shape.js';

const specs = parseDatasetSpecs([
  { name: 'recs', jobs: { prefix: 'recs-' } },
  { name: 'zip', kind: 'feature-rows', key: ['state', 'zipcode'], fields: { city: 'string', population: 'integer', wages: 'number' }, jobs: { prefix: ['zip-', 'zipcodes-'] } },
  { name: 'cust', kind: 'feature-rows', key: 'customer_id', jobs: { names: ['recs-special'] } },
]);

const rec = (s: string) => ({ offset: 5, bytes: Buffer.from(s), length: s.length });

describe('dataset declarations', () => {
  test('defaults and explicit settings', () => {
    expect(specs[0]).toMatchObject({ name: 'recs', kind: 'ranked-items', key: { fields: ['userId', 'user_id'], mode: 'first-present' } });
    expect(specs[1]).toMatchObject({ key: { fields: ['state', 'zipcode'], mode: 'composite' }, jobs: { prefixes: ['zip-', 'zipcodes-'] } });
  });

  test.each([
    [[], /non-empty JSON array/],
    [[{ name: 'a b' }], /DATASETS\[0\]\.name/],
    [[{ name: 'a', kind: 'table' }], /dataset a: kind must be/],
    [[{ name: 'a', kind: 'feature-rows', fields: { x: 'date' } }], /dataset a: field x has type "date"/],
    [[{ name: 'a', fields: { x: 'string' } }], /fields applies to feature-rows datasets only/],
    [[{ name: 'a' }, { name: 'a' }], /declared twice/],
    [[{ name: 'a', key: 'x', keyCandidates: ['y'] }], /either key .* or keyCandidates/],
  ])('%j is refused: %s', (value, message) => {
    expect(() => parseDatasetSpecs(value)).toThrow(message);
  });

  test('jobs map to datasets: exact names first, then the longest prefix', () => {
    expect(datasetForJob(specs, 'recs-special')?.name).toBe('cust');
    expect(datasetForJob(specs, 'recs-nightly')?.name).toBe('recs');
    expect(datasetForJob(specs, 'zipcodes-2026')?.name).toBe('zip');
    expect(datasetForJob(specs, 'other')).toBeUndefined();
  });
});

describe('feature-row records', () => {
  const zip = shapeFor(specs[1]!, 1000);
  test('composite key in declared order; declared fields kept, nulls allowed', () => {
    expect(zip.shape(rec('{"zipcode":"94105","state":"CA","city":"SF","population":100,"wages":null,"extra":1}'))).toEqual({
      key: 'CA:94105',
      value: '{"city":"SF","population":100,"wages":null}',
      nulls: [2], // wages, the third declared field: counted for the null-rate check
    });
  });
  test.each([
    ['{"zipcode":"94105","city":"SF","population":1,"wages":1}', 'key field "state" is missing'],
    ['{"zipcode":"94105","state":"CA","city":"SF","population":1.5,"wages":1}', 'field "population" is a number; expected integer'],
    ['{"zipcode":"94105","state":"CA","city":"SF","population":1}', 'field "wages" is missing'],
    ['{"zipcode":["x"],"state":"CA","city":"SF","population":1,"wages":1}', 'key field "zipcode" is an array; expected a string or an integer'],
  ])('%s → %s', (line, reason) => {
    const r = zip.shape(rec(line));
    expect(isBad(r) && r.reason).toBe(reason);
  });
  test('without declared fields every field but the key is kept', () => {
    expect(shapeFor(specs[2]!).shape(rec('{"customer_id":7,"a":1,"b":[2]}'))).toEqual({ key: '7', value: '{"a":1,"b":[2]}' });
  });
});
