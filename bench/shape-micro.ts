// Shaping cost per record, in one thread with no I/O: the record scanner's fast path against
// the JSON.parse path it falls back to, on three layouts of the same records. Not part of
// `npm run bench`; the figures in BENCHMARKS.md's notes come from it.
//   node --import tsx bench/shape-micro.ts [records=200000]
import { DEFAULT_ITEMS_FIELDS, DEFAULT_KEY_FIELDS } from '../functions/domain/dataset-spec.js';
import { shapeFor, type RecordShape } from '../functions/domain/record-shape.js';
import { recommendations, toJsonLine } from '../local/sample-data.js';
import { summarise } from './stats.js';
import { DEFAULT_RELEASE_CHECKS } from '../functions/domain/release-checks.js';

const records = Number(process.argv[2] ?? 200_000);
const spec = { name: 'd', kind: 'ranked-items' as const, key: { fields: DEFAULT_KEY_FIELDS, mode: 'first-present' as const }, itemsFields: DEFAULT_ITEMS_FIELDS, jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' as const, rewindWindowHours: 24 };
const paths: [string, RecordShape][] = [
  ['scanner', shapeFor(spec)],
  ['JSON.parse', shapeFor(spec, undefined, { scanner: false })],
];

const layouts: [string, Buffer[]][] = [
  ['[id, score] pairs, compact (the bench input)', lines('pairs', false)],
  ['{"item","score"} objects, compact', lines(true, false)],
  ['[id, score] pairs, Python json.dumps spacing', lines('pairs', true)],
  ['[id, score] pairs, SageMaker joined output (JoinSource=Input)', lines('pairs', false, true)],
];

function lines(scored: true | 'pairs', python: boolean, joined = false): Buffer[] {
  return [...recommendations({ users: records, scored })].map((r) => {
    const text = toJsonLine(r, joined);
    return Buffer.from(python ? text.replaceAll(',', ', ').replaceAll('":', '": ') : text);
  });
}

for (const [layout, input] of layouts) {
  const bytes = input.reduce((n, l) => n + l.length, 0) / input.length;
  const us: Record<string, number[]> = {};
  for (let round = 0; round < 7; round++) {
    for (const [name, shape] of paths) {
      const t = performance.now();
      let stored = 0;
      for (const l of input) if ('value' in shape.shape({ offset: 0, bytes: l, length: l.length })) stored++;
      if (stored !== input.length) throw new Error(`${name}: ${input.length - stored} records not shaped`);
      if (round >= 2) (us[name] ??= []).push(((performance.now() - t) * 1000) / input.length); // rounds 0-1 warm up
    }
  }
  const [fast, slow] = paths.map(([name]) => summarise(us[name]!));
  console.log(`${layout}, ${bytes.toFixed(0)} bytes a line:`);
  for (const [name] of paths) {
    const s = summarise(us[name]!);
    console.log(`  ${name.padEnd(10)} ${s.median.toFixed(2)} µs/record (${s.min.toFixed(2)}–${s.max.toFixed(2)})`);
  }
  console.log(`  scanner / JSON.parse: ${(fast!.median / slow!.median).toFixed(2)}`);
}
