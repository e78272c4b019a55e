import { assertCommittable, summarise, type ChunkResult } from '../../../functions/domain/load-summary.js';
import { decideRetention, type VersionInfo } from '../../../functions/domain/version-lifecycle.js';
import { normaliseOrderKey, versionIdForJob, versionIdForObjects } from '../../../functions/domain/version-identity.js';
import { detectFormat } from '../../../functions/domain/input-format.js';
import { BadDataError, InvalidInputError, TooManyBadRecordsError, VersionStateError } from '../../../functions/errors.js';

const result = (index: number, records: number, badRecords = 0): ChunkResult => ({
  index,
  records,
  badRecords,
  bytes: 100,
  samples: badRecords ? [{ object: 'b/k', offset: index * 10, reason: 'malformed JSON' }] : [],
});

describe('load summary', () => {
  test('sums every chunk and refuses when one is missing', () => {
    expect(summarise([result(1, 5), result(0, 7, 1)], 2)).toMatchObject({ records: 12, badRecords: 1, bytes: 200 });
    expect(() => summarise([result(0, 5)], 2)).toThrow(VersionStateError);
    expect(() => summarise([result(0, 5)], 2)).toThrow('chunks 1 of 2');
  });

  test('bad-record threshold and empty loads', () => {
    expect(() => assertCommittable(summarise([result(0, 99, 1)], 1), 0.01)).not.toThrow();
    expect(() => assertCommittable(summarise([result(0, 98, 2)], 1), 0.01)).toThrow(TooManyBadRecordsError);
    expect(() => assertCommittable(summarise([result(0, 98, 2)], 1), 0.01)).toThrow(/s3:\/\/b\/k at byte 0: malformed JSON/);
    expect(() => assertCommittable(summarise([result(0, 0)], 1), 0.5)).toThrow(BadDataError);
  });
});

describe('retention', () => {
  const v = (id: string, status: VersionInfo['status'], orderKey: number, supersededAt?: number): VersionInfo => ({ id, status, orderKey, buckets: 1, supersededAt });
  test('keeps the live version and the newest superseded ones; waits out the grace period', () => {
    const versions = [v('a', 'superseded', 1, 0), v('b', 'superseded', 2, 0), v('c', 'superseded', 3, 950), v('d', 'live', 4), v('e', 'loading', 5), v('f', 'failed', 0)];
    expect(decideRetention(versions, 2, 100, 1000)).toEqual({ retire: ['b', 'a', 'f'], deferred: [] });
    expect(decideRetention(versions, 1, 100, 1000)).toEqual({ retire: ['b', 'a', 'f'], deferred: ['c'] });
    expect(decideRetention(versions, 4, 100, 1000)).toEqual({ retire: ['f'], deferred: [] });
  });
});

describe('version identity', () => {
  test('a job maps to one id; manual ids follow the objects and their ETags', () => {
    expect(versionIdForJob('recs-nightly-2026-11-24')).toBe('recs-nightly-2026-11-24');
    expect(() => versionIdForJob('bad_name')).toThrow(InvalidInputError);
    const a = versionIdForObjects('s3://b/p/', [{ key: 'x', etag: '1' }, { key: 'y', etag: '2' }]);
    expect(versionIdForObjects('s3://b/p/', [{ key: 'y', etag: '2' }, { key: 'x', etag: '1' }])).toBe(a);
    expect(versionIdForObjects('s3://b/p/', [{ key: 'x', etag: '1' }, { key: 'y', etag: '3' }])).not.toBe(a);
    expect(a).toMatch(/^manual-[0-9a-f]{16}$/);
  });

  test('order keys from epoch ms, plain integers and ISO strings', () => {
    expect(normaliseOrderKey(1764028800000, 'x')).toBe(1764028800000);
    expect(normaliseOrderKey(7, 'x')).toBe(7);
    expect(() => normaliseOrderKey(1.5, 'x')).toThrow(InvalidInputError);
    expect(() => normaliseOrderKey(-1, 'x')).toThrow(InvalidInputError);
    expect(normaliseOrderKey('2025-11-25T00:00:00Z', 'x')).toBe(1764028800000);
    expect(normaliseOrderKey('1764028800000', 'x')).toBe(1764028800000);
    expect(() => normaliseOrderKey('yesterday', 'orderKey')).toThrow('orderKey "yesterday" is not a timestamp');
  });
});

describe('input format detection', () => {
  test.each([
    ['{"userId":1,"movieId":[1]}\n{"userId":2', 'jsonl'],
    ['\uFEFF  [{"userId":1}]', 'json'],
    ['{"schema":{"fields":[]},"data":[', 'json'],
    ['{ "data": [', 'json'],
    ['', 'jsonl'],
  ])('%j is %s', (head, format) => {
    expect(detectFormat(Buffer.from(head), 'auto')).toBe(format);
  });
  test('configuration overrides the guess', () => expect(detectFormat(Buffer.from('['), 'jsonl')).toBe('jsonl'));
});
