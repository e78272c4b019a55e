import { correctionApplies, rewindWindowMs } from '../../../functions/domain/corrections.js';
import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { parsePutRecords, shapePut } from '../../../functions/domain/put-request.js';
import { shapeFor } from '../../../functions/domain/record-shape.js';
import { BadRecordsError } from '../../../functions/errors.js';

const HOUR = 3_600_000;

describe('the rewind window rule: apply the correction, or let the batch supersede it', () => {
  const window = rewindWindowMs(24);
  const at = Date.UTC(2026, 11, 6, 12);
  test.each([
    ['a job created before the correction', at - 5 * HOUR, true],
    ['a job created at the same time', at, true],
    ['a job created inside the window after it', at + 23 * HOUR, true],
    ['a job created exactly at the window edge', at + 24 * HOUR, true],
    ['a job created 1 ms past the window', at + 24 * HOUR + 1, false],
    ['a job created days later', at + 72 * HOUR, false],
  ])('%s: applies=%s', (_what, orderKey, applies) => {
    expect(correctionApplies(orderKey, at, window)).toBe(applies);
  });

  test('a window of 0: any later job supersedes the correction', () => {
    expect(correctionApplies(at + 1, at, rewindWindowMs(0))).toBe(false);
    expect(correctionApplies(at, at, rewindWindowMs(0))).toBe(true);
  });

  test('rewindWindowHours is declared per dataset: default 24, 0..8760', () => {
    expect(parseDatasetSpecs([{ name: 'a' }])[0]!.rewindWindowHours).toBe(24);
    expect(parseDatasetSpecs([{ name: 'a', rewindWindowHours: 0.5 }])[0]!.rewindWindowHours).toBe(0.5);
    expect(() => parseDatasetSpecs([{ name: 'a', rewindWindowHours: -1 }])).toThrow(/dataset a: rewindWindowHours must be a number of hours from 0 to 8760/);
    expect(() => parseDatasetSpecs([{ name: 'a', rewindWindowHours: '24' }])).toThrow(/rewindWindowHours/);
  });
});

describe('a put is checked as a load checks its records, and refused whole', () => {
  const [recs, zip] = parseDatasetSpecs([
    { name: 'recs' },
    { name: 'zip', kind: 'feature-rows', key: ['state', 'zipcode'], fields: { city: 'string', population: 'integer' }, csv: { header: true } },
  ]);
  const shape = (records: unknown[], spec = recs!, extra: Record<string, unknown> = {}) =>
    shapePut(parsePutRecords({ records, ...extra }), spec, shapeFor(spec, 1024), 1024);

  test('good JSON records become what a load stores', () => {
    expect(shape([{ userId: 'u1', recommendations: [3, 2, 1] }, { user_id: 7, items: ['a'] }])).toEqual([
      expect.objectContaining({ key: 'u1', value: '[3,2,1]' }),
      expect.objectContaining({ key: '7', value: '["a"]' }),
    ]);
  });

  test('every bad record is named by its index and reason; none is shaped', () => {
    let err: unknown;
    try {
      shape([{ userId: 'u1', recommendations: [1] }, { recommendations: [1] }, null, 42, { userId: 'u1', recommendations: [2] }, { userId: 'u9', recommendations: 'no' }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadRecordsError);
    const bad = err as BadRecordsError;
    expect(bad.records.map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
    expect(bad.records[2]!.reason).toBe('a record must be a JSON object (or a CSV line, as a string)');
    expect(bad.records[3]!.reason).toMatch(/repeats the key "u1" of record 0/);
    expect(bad.message).toMatch(/^put refused, nothing was written: 5 of 6 records are bad \(record 1: .*key/);
  });

  test('a record longer than the load allows is bad, as in a load', () => {
    expect(() => shape([{ userId: 'u1', recommendations: ['x'.repeat(2000)] }])).toThrow(/record 0: /);
  });

  test('typed feature rows: the declared types are checked', () => {
    expect(shape([{ state: 'CA', zipcode: '94105', city: 'SF', population: 100 }], zip)).toEqual([expect.objectContaining({ key: 'CA:94105' })]);
    expect(() => shape([{ state: 'CA', zipcode: '94105', city: 'SF', population: 'many' }], zip)).toThrow(/record 0: .*population/);
  });

  test('CSV lines are shaped with the dataset\'s csv layout and the given header', () => {
    expect(shape(['CA,94105,SF,100'], zip, { header: 'state,zipcode,city,population' })).toEqual([expect.objectContaining({ key: 'CA:94105', value: '{"city":"SF","population":100}' })]);
    expect(() => shape(['CA,94105,SF,lots'], zip, { header: 'state,zipcode,city,population' })).toThrow(/record 0: .*population/);
    expect(() => shape(['CA,94105'], zip)).toThrow(/need their column names/);
    expect(() => shape(['CA,94105'], zip, { header: 'state,city' })).toThrow(/key column\(s\) zipcode missing/);
  });

  test.each([
    [{}, /put needs records/],
    [{ records: [] }, /put needs records/],
    [{ records: Array.from({ length: 1001 }, () => ({})) }, /at most 1000 records a call; this one has 1001/],
    [{ records: [{}], columns: 'a' }, /columns must be a non-empty array/],
    [{ records: [{}], header: 5 }, /header must be a CSV header line/],
  ])('request %#: refused with a clear message', (request, message) => {
    expect(() => parsePutRecords(request as Record<string, unknown>)).toThrow(message);
  });

  test('more than 256 KiB of records a call is refused', () => {
    const big = Array.from({ length: 300 }, (_, i) => ({ userId: `u${i}`, recommendations: ['x'.repeat(900)] }));
    expect(() => shapePut(parsePutRecords({ records: big }), recs!, shapeFor(recs!, 4096), 4096)).toThrow(/at most 256 KiB of records a call; this one has 2\d\d KiB/);
  });
});
