// Parquet values JSON has no type for, through Plan and LoadChunk over real Parquet bytes (written
// by hyparquet-writer, read back by hyparquet): dates and timestamps become ISO-8601 text, 64-bit
// integers past 2^53 their exact digits, and a bad row is named by its row number.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { formatSample, type BadSample } from '../../../functions/domain/load-summary.js';
import { PARQUET_TIME_PARSERS, parquetRowShape } from '../../../functions/domain/formats/parquet/parquet-row.js';
import { loadChunk } from '../../../functions/pipeline/load-chunk.js';
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { testPipeline } from './fixtures.js';

const ids = ['a', 'b', null, 'd'];
const at = Date.UTC(2026, 11, 6, 18, 30, 5, 123);
const file = Buffer.from(
  parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids },
      { name: 'seen', data: ids.map((_, i) => new Date(at + i)) },
      { name: 'seenMicros', data: [BigInt(at) * 1000n + 456n, -1n, 0n, 1n] },
      { name: 'seenNanos', data: [BigInt(at) * 1_000_000n + 456_789n, 0n, 0n, 0n] },
      { name: 'day', data: [20_428, 0, -1, 1] },
      { name: 'big', data: [9_007_199_254_740_993n, -9_223_372_036_854_775_808n, 1n, 42n] },
      { name: 'ranks', data: [[9_007_199_254_740_993n, 1n], [], [], [2n]] },
    ],
    schema: [
      { name: 'root', num_children: 7 },
      { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'seen', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
      { name: 'seenMicros', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'REQUIRED' },
      { name: 'seenNanos', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' }, repetition_type: 'REQUIRED' },
      { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
      { name: 'big', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'ranks', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
    ],
  }),
);

/** Plans s3://out/pq/ and loads its one chunk; returns the stored values by key and the chunk's samples. */
async function load(spec: Parameters<typeof testPipeline>[0]) {
  const p = testPipeline(spec);
  p.objects.objects.set('out/pq/part-0.parquet.out', file);
  const plan = await planLoad({ bucket: 'out', key: 'pq', singleObject: false, origin: 'test', explicitVersion: 'v1', orderKey: 1 }, 'exec-1', p.deps);
  expect(plan).toMatchObject({ action: 'load', chunkCount: 1 });
  const result = await loadChunk({ dataset: p.deps.dataset, version: 'v1', owner: 'exec-1', chunk: 0 }, p.deps);
  const stored = new Map<string, string>();
  for (const hash of p.versions.data.values()) for (const [k, v] of hash) stored.set(k, v);
  return { stored, result };
}

test('dates and timestamps declared "string" load as ISO-8601 text; INT64 past 2^53 declared "integer" keeps its exact digits', async () => {
  const fields = { seen: 'string', seenMicros: 'string', seenNanos: 'string', day: 'string', big: 'integer' } as const;
  const { stored, result } = await load({ name: 'pqtypes', kind: 'feature-rows', key: { fields: ['id'], mode: 'composite' }, fields: { ...fields } });
  expect(result).toMatchObject({ records: 3, badRecords: 1 });
  expect(stored.get('a')).toBe(
    '{"seen":"2026-12-06T18:30:05.123Z","seenMicros":"2026-12-06T18:30:05.123456Z","seenNanos":"2026-12-06T18:30:05.123456789Z","day":"2025-12-06","big":9007199254740993}',
  );
  // Before the epoch the fraction counts up from the second below; the smallest INT64 is exact too.
  expect(stored.get('b')).toBe('{"seen":"2026-12-06T18:30:05.124Z","seenMicros":"1969-12-31T23:59:59.999999Z","seenNanos":"1970-01-01T00:00:00.000000000Z","day":"1970-01-01","big":-9223372036854775808}');
  expect(stored.get('d')).toMatch(/"day":"1970-01-02","big":42\}$/);
});

test('a list of 64-bit item ids past 2^53 is stored exactly as ranked items', async () => {
  const { stored } = await load({ name: 'pqranks', itemsFields: ['ranks'], key: { fields: ['id'], mode: 'first-present' } });
  expect(stored.get('a')).toBe('[9007199254740993,1]');
  expect(stored.get('d')).toBe('[2]');
});

test('a bad Parquet record is placed by its row number, and says "row"', async () => {
  const { result } = await load({ name: 'pqrows', itemsFields: ['ranks'], key: { fields: ['id'], mode: 'first-present' } });
  expect(result.samples).toEqual([{ object: 'out/pq/part-0.parquet.out', offset: 2, unit: 'row', reason: 'key field "id" is null; expected a string or an integer' }]);
  expect(formatSample(result.samples[0]!)).toBe('s3://out/pq/part-0.parquet.out at row 2: key field "id" is null; expected a string or an integer');
  const bytes: BadSample = { object: 'out/x.jsonl', offset: 17, reason: 'malformed JSON' };
  expect(formatSample(bytes)).toBe('s3://out/x.jsonl at byte 17: malformed JSON');
});

test('a timestamp beyond what ISO-8601 text holds makes its row a bad record, not a failed load', () => {
  expect(PARQUET_TIME_PARSERS.timestampFromMilliseconds(1n)).toBe('1970-01-01T00:00:00.001Z');
  expect(PARQUET_TIME_PARSERS.dateFromDays(-719_162)).toBe('0001-01-01');
  expect(PARQUET_TIME_PARSERS.timestampFromNanoseconds(-9_223_372_036_854_775_808n)).toBe('1677-09-21T00:12:43.145224192Z');
  const far = PARQUET_TIME_PARSERS.timestampFromMilliseconds(9_000_000_000_000_000n);
  const shape = parquetRowShape(testPipeline({ name: 'pqfar', kind: 'feature-rows', key: { fields: ['id'], mode: 'composite' }, fields: { seen: 'string' } }).deps.spec);
  expect(shape({ id: 'a', seen: far }, 7)).toEqual({ offset: 7, reason: 'row cannot be stored as JSON: timestamp 9000000000000000 (ms) is outside the range ISO-8601 text can hold' });
});
