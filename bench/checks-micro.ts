// What the release checks add per record on the load side, in one thread with no I/O: shaping
// the bench input (the scanner also counts each list's elements) with and without adding the
// length to the chunk's histogram. Not part of `npm run bench`; BENCHMARKS.md's notes quote it.
//   node --import tsx bench/checks-micro.ts [records=200000]
import { DEFAULT_ITEMS_FIELDS, DEFAULT_KEY_FIELDS } from '../functions/domain/dataset-spec.js';
import { countList, newListStats } from '../functions/domain/load-stats.js';
import { isBad, shapeFor } from '../functions/domain/record-shape.js';
import { DEFAULT_RELEASE_CHECKS } from '../functions/domain/release-checks.js';
import { recommendations, toJsonLine } from '../local/sample-data.js';
import { summarise } from './stats.js';

const records = Number(process.argv[2] ?? 200_000);
const spec = { name: 'd', kind: 'ranked-items' as const, key: { fields: DEFAULT_KEY_FIELDS, mode: 'first-present' as const }, itemsFields: DEFAULT_ITEMS_FIELDS, jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' as const, rewindWindowHours: 24 };
const shape = shapeFor(spec);
const input = [...recommendations({ users: records, scored: 'pairs' })].map((r) => Buffer.from(toJsonLine(r)));

const us: Record<'shape only' | 'shape + list stats', number[]> = { 'shape only': [], 'shape + list stats': [] };
for (let round = 0; round < 9; round++) {
  for (const variant of Object.keys(us) as (keyof typeof us)[]) {
    const stats = variant === 'shape only' ? null : newListStats();
    const t = performance.now();
    let stored = 0;
    for (const l of input) {
      const s = shape.shape({ offset: 0, bytes: l, length: l.length });
      if (isBad(s)) continue;
      stored++;
      if (stats) countList(stats, s.items ?? 0);
    }
    if (stored !== input.length) throw new Error(`${input.length - stored} records not shaped`);
    if (round >= 2) us[variant].push(((performance.now() - t) * 1000) / input.length); // rounds 0-1 warm up
  }
}
for (const [name, values] of Object.entries(us)) {
  const s = summarise(values);
  console.log(`${name.padEnd(20)} ${s.median.toFixed(3)} µs/record (${s.min.toFixed(3)}–${s.max.toFixed(3)})`);
}
console.log(`ratio: ${(summarise(us['shape + list stats']).median / summarise(us['shape only']).median).toFixed(3)}`);
