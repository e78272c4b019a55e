import { assertCommittable, summarise, type ChunkResult } from '../../../functions/domain/load-summary.js';
import { decideRetention, type VersionInfo } from '../../../functions/domain/version-lifecycle.js';
import { heldNotice } from '../../../functions/domain/held-notice.js';
import { normaliseOrderKey, versionIdForJob, versionIdForObjects } from '../../../functions/domain/version-identity.js';
import { gzipSync } from 'node:zlib';
import { compressionOf, detectFormat } from '../../../functions/domain/formats/registry.js';
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

  test('held versions newer than the live one count toward retention like superseded ones; beyond the count they go at once', () => {
    // live d (4); held h (6) newer: a promotable candidate, ranked with the superseded ones by order key.
    const versions = [v('b', 'superseded', 2, 0), v('c', 'superseded', 3, 0), v('d', 'live', 4), v('h', 'held', 6)];
    expect(decideRetention(versions, 2, 100, 1000)).toEqual({ retire: ['c', 'b'], deferred: [] });
    expect(decideRetention(versions, 3, 100, 1000)).toEqual({ retire: ['b'], deferred: [] });
    // Retain 1: only the live version stays; the held one is past the count and was never named by the pointer.
    expect(decideRetention(versions, 1, 100, 1000)).toEqual({ retire: ['h', 'c', 'b'], deferred: [] });
    // No live version: held versions are kept up to the count.
    expect(decideRetention([v('h1', 'held', 1), v('h2', 'held', 2)], 1, 100, 1000)).toEqual({ retire: ['h1'], deferred: [] });
  });

  test('a held version ordered at or before the live one can never be promoted: retired, without taking a slot', () => {
    const versions = [v('c', 'superseded', 3, 0), v('h', 'held', 4), v('d', 'live', 5)];
    expect(decideRetention(versions, 2, 100, 1000)).toEqual({ retire: ['h'], deferred: [] });
  });

  test('stale loads and discarded leftovers are cleaned up; running loads are never touched', () => {
    const versions = [v('d', 'live', 4), { ...v('s', 'loading', 5), stale: true }, { ...v('r', 'loading', 6), stale: false }, v('x', 'discarded', 3)];
    expect(decideRetention(versions, 2, 100, 1000)).toEqual({ retire: ['s', 'x'], deferred: [] });
  });
});

describe('held notice', () => {
  const check = { name: 'record-count-min', outcome: 'fail' as const, value: 3000, threshold: '>= 5000', detail: '3000 records loaded; at least 5000 required' };
  test('names the failed checks with value and threshold, what stays live, and the ways out', () => {
    const n = heldNotice({ dataset: 'recs', version: 'v3', reason: 'checks-failed', checks: [check, { ...check, name: 'other', outcome: 'pass' }], records: 3000, live: 'v2' });
    expect(n.subject).toBe('Sluice: recs version v3 held, not live');
    expect(n.message).toContain('1 release check failed');
    expect(n.message).toContain('  record-count-min: 3000 (threshold >= 5000): 3000 records loaded; at least 5000 required');
    expect(n.message).not.toContain('other');
    expect(n.message).toContain('The live version (v2) is untouched');
    expect(n.message).toContain('sluice promote v3 --dataset recs');
    expect(n.message).toContain('sluice discard v3 --dataset recs');
  });
  test('manual approval; subjects stay within SNS limits', () => {
    const n = heldNotice({ dataset: 'recs', version: 'v'.repeat(200), reason: 'manual-approval', checks: [], records: 1, live: '' });
    expect(n.subject.length).toBeLessThanOrEqual(100);
    expect(n.message).toContain('manual approval');
    expect(n.message).toContain('no live version yet');
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
    // A JSON line whose first member is "data" has others: it is a record, not a document.
    ['{"data":[1,2],"userId":"u1","items":[3]}\n{"data":[],"userId":"u2","items":[]}\n', 'jsonl'],
    ['{"data":{"x":[1]},"userId":"u1"}\n', 'jsonl'],
    ['', 'jsonl'],
    ['userId,item1,item2\nu1,5,6\n', 'csv'],
    ['"u,1",5\n', 'csv'],
    ['u1\t5\t6\n', 'csv'],
    ['{"columns":["userId"],"index":[0],"data":[["u1"]]}', 'json'],
    ['{"data":[{"userId":1,"items":[1]}]}\n', 'json'],
    // JSON Lines whose records start with "data" (SageMaker output joined with its input).
    ['{"data":[1,2],"userId":"h5","SageMakerOutput":{"recommendations":["p5"]}}\n{"data":[3]', 'jsonl'],
    ['{"data":[1,2],"userId":"h5"}', 'jsonl'],
    ['{"data":[1,2]}\n{"data":[3,4]}\n', 'jsonl'],
    ['{"data":[1,2]} {"data":[3,4]}', 'jsonl'],
    ['{"schema":{"fields":[{"name":"data"}]},"userId":1}\n', 'jsonl'],
  ])('%j is %s', (head, format) => {
    expect(detectFormat(Buffer.from(head), 'auto')).toMatchObject({ ok: true, format });
  });
  test('a name ending in .csv (or .csv.gz) says CSV for a one-column file', () => {
    expect(detectFormat(Buffer.from('userId\nu1\n'), 'auto', { key: 'x/part-0.csv.gz' })).toMatchObject({ ok: true, format: 'csv' });
  });
  test('what is neither JSON nor delimited text is refused with the reason; Parquet is known by its magic bytes', () => {
    expect(detectFormat(Buffer.from('hello\nworld\n'), 'auto')).toMatchObject({ ok: false, reason: expect.stringMatching(/neither JSON nor delimited text/) });
    expect(detectFormat(Buffer.from('PAR1\x15\x04'), 'auto')).toMatchObject({ ok: true, format: 'parquet' });
  });
  test('configuration overrides the guess', () => expect(detectFormat(Buffer.from('['), 'jsonl')).toMatchObject({ ok: true, format: 'jsonl' }));
  test('gzip is recognised by its magic bytes, not its name', () => {
    expect(compressionOf(gzipSync('{"a":1}\n'))).toBe('gzip');
    expect(compressionOf(Buffer.from('{"a":1}\n'))).toBeUndefined();
  });
  test('a long first record that starts with "data" is still JSON Lines once another member shows', () => {
    const record = JSON.stringify({ data: Array.from({ length: 2000 }, (_, i) => i), userId: 'u1', SageMakerOutput: [1] });
    expect(detectFormat(Buffer.from(`${record}\n${record}\n`), 'auto')).toMatchObject({ ok: true, format: 'jsonl' });
  });
  test('a first object that may still be a document asks for more bytes', () => {
    expect(detectFormat(Buffer.from('{"data":[1,2,'), 'auto')).toEqual({ ok: true, format: 'json', settled: false });
  });
});
