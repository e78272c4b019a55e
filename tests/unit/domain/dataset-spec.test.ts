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
    [[{ name: 'a b' }], /datasets\[0\]\.name/],
    [[{ name: 'a', kind: 'table' }], /dataset a: kind must be/],
    [[{ name: 'a', kind: 'feature-rows', fields: { x: 'date' } }], /dataset a: field x has type "date"/],
    [[{ name: 'a', fields: { x: 'string' } }], /fields applies to feature-rows datasets only/],
    [[{ name: 'a' }, { name: 'a' }], /declared twice/],
    [[{ name: 'a', key: 'x', keyCandidates: ['y'] }], /either key .* or keyCandidates/],
  ])('%j is refused: %s', (value, message) => {
    expect(() => parseDatasetSpecs(value)).toThrow(message);
  });

  test.each([
    [[{ name: 'a' }, { name: 'loans', promte: 'manual' }], 'dataset loans: unknown member "promte" at datasets[1]; did you mean "promote"?'],
    [[{ name: 'loans', chekcs: { minRecords: 5 } }], 'dataset loans: unknown member "chekcs" at datasets[0]; did you mean "checks"?'],
    [[{ name: 'a' }, { name: 'b', checks: { minRecrods: 5 } }], 'dataset b: unknown member "minRecrods" at datasets[1].checks; did you mean "minRecords"?'],
    [[{ name: 'a', csv: { header: true, delimter: ';' } }], 'dataset a: unknown member "delimter" at datasets[0].csv; did you mean "delimiter"?'],
    [[{ name: 'a', csv: { items: { trailling: 3 } } }], 'dataset a: unknown member "trailling" at datasets[0].csv.items; did you mean "trailing"?'],
    [[{ name: 'a', jobs: { prefixes: ['x-'] } }], 'dataset a: unknown member "prefixes" at datasets[0].jobs; did you mean "prefix"?'],
    [[{ name: 'a', colour: 'red' }], 'dataset a: unknown member "colour" at datasets[0]; known members: name, kind, key, keyCandidates, items, fields, jobs, checks, promote, csv, rewindWindowHours'],
  ])('an unknown member is refused, naming it, where, and the nearest name: %j', (value, message) => {
    expect(() => parseDatasetSpecs(value)).toThrow(message);
  });

  test('two datasets claiming the same job prefix or job name are refused', () => {
    expect(() => parseDatasetSpecs([{ name: 'a', jobs: { prefix: 'recs-' } }, { name: 'b', jobs: { prefix: ['x-', 'recs-'] } }])).toThrow(
      'datasets a and b both claim the job prefix "recs-": a job must feed one dataset; give each its own jobs.prefix',
    );
    expect(() => parseDatasetSpecs([{ name: 'a', jobs: { prefix: '' } }, { name: 'b', jobs: { prefix: '' } }])).toThrow('both claim the job prefix ""');
    expect(() => parseDatasetSpecs([{ name: 'a', jobs: { names: ['n1'] } }, { name: 'b', jobs: { names: ['n1'] } }])).toThrow('datasets a and b both claim the job name "n1"');
    // Nested prefixes are not a clash: the longer one wins for the jobs it matches.
    expect(() => parseDatasetSpecs([{ name: 'a', jobs: { prefix: 'recs-' } }, { name: 'b', jobs: { prefix: 'recs-eu-' } }])).not.toThrow();
  });

  test('rewindWindowHours: hours from 0 to 8760, 24 by default', () => {
    expect(parseDatasetSpecs([{ name: 'a' }])[0]!.rewindWindowHours).toBe(24);
    expect(parseDatasetSpecs([{ name: 'a', rewindWindowHours: 0.5 }])[0]!.rewindWindowHours).toBe(0.5);
    for (const bad of [-1, 8761, '24', null]) {
      expect(() => parseDatasetSpecs([{ name: 'a', rewindWindowHours: bad }])).toThrow('dataset a: rewindWindowHours must be a number of hours from 0 to 8760');
    }
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
