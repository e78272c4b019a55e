// Parquet versions of the sample ranked items, for the tests and the benchmarks: written by
// hyparquet-writer (a dev dependency: nothing at run time writes Parquet), with the list column in
// the three-level LIST layout that pyarrow and Spark write.
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { SampleRecord } from './sample-data.js';

type Physical = 'INT32' | 'INT64' | 'DOUBLE' | 'BYTE_ARRAY';

/** Schema elements of an optional LIST column `name` whose elements are `element`. */
function listColumnSchema(name: string, element: Physical) {
  return [
    { name, repetition_type: 'OPTIONAL' as const, converted_type: 'LIST' as const, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
    { name: 'element', type: element, repetition_type: 'OPTIONAL' as const },
  ];
}

/**
 * Ranked items as Parquet: a `userId` string column (optional, with nulls, when `userIds` is
 * given), optional extra string columns, and a `recommendations` list of INT32 item ids, in row groups of
 * `rowGroupSize` rows.
 */
export function rankedItemsParquet(records: SampleRecord[], rowGroupSize: number, options: { userIds?: (string | null)[]; extra?: Record<string, string[]> } = {}): Buffer {
  const extra = Object.entries(options.extra ?? {});
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'userId', data: options.userIds ?? records.map((r) => r.userId) },
        ...extra.map(([name, data]) => ({ name, data })),
        { name: 'recommendations', data: records.map((r) => r.items as number[]) },
      ],
      schema: [
        { name: 'root', num_children: 2 + extra.length },
        { name: 'userId', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: options.userIds ? 'OPTIONAL' : 'REQUIRED' },
        ...extra.map(([name]) => ({ name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const })),
        ...listColumnSchema('recommendations', 'INT32'),
      ],
      rowGroupSize,
    }),
  );
}
