// Shaping cost per record for feature rows, in one thread with no I/O: the rows of
// bench/measure-formats.ts (8 typed fields, ~121 bytes a line) through the scanner path and the
// JSON.parse path, beside ranked items of 10 ids and of as many bytes a line (14 ids). Not part
// of `npm run bench`; BENCHMARKS.md's notes quote it.
//   node --import tsx bench/rows-shape-micro.ts [records=200000]
import { parseDatasetSpecs } from '../functions/domain/dataset-spec.js';
import { shapeFor, type RecordShape } from '../functions/domain/record-shape.js';
import { prng, recommendations } from '../local/sample-data.js';
import { summarise } from './stats.js';

const records = Number(process.argv[2] ?? 200_000);
const fields = { f1: 'number', f2: 'number', f3: 'number', f4: 'integer', f5: 'integer', f6: 'integer', segment: 'string', active: 'boolean' } as const;
const [ranked, rows] = parseDatasetSpecs([{ name: 'r' }, { name: 'f', kind: 'feature-rows', key: 'customer_id', fields }]);
const rand = prng(5);
const rowLines: Buffer[] = [];
for (let i = 0; i < records; i++) {
  const row = { customer_id: `c${i}`, f1: Math.round(rand() * 1e6) / 1e3, f2: Math.round(rand() * 1e4) / 1e2, f3: Math.round(rand() * 1e5) / 1e4, f4: Math.floor(rand() * 1e6), f5: Math.floor(rand() * 100), f6: Math.floor(rand() * 5), segment: rand() < 0.5 ? 'retail' : 'business', active: rand() < 0.8 };
  rowLines.push(Buffer.from(JSON.stringify(row)));
}
const rankedLines = (n: number) => [...recommendations({ users: records, itemsPerUser: n, seed: 13 })].map((r) => Buffer.from(JSON.stringify({ userId: r.userId, recommendations: r.items })));
const inputs: [string, Buffer[], RecordShape][] = [
  ['ranked items, 10 ids', rankedLines(10), shapeFor(ranked!)],
  ['ranked items, 14 ids', rankedLines(14), shapeFor(ranked!)],
  ['feature rows, scanner', rowLines, shapeFor(rows!)],
  ['feature rows, JSON.parse', rowLines, shapeFor(rows!, undefined, { scanner: false })],
];
const us = new Map<string, number[]>(inputs.map(([name]) => [name, []]));
for (let round = 0; round < 7; round++) {
  for (const [name, input, shape] of inputs) {
    const t = performance.now();
    let stored = 0;
    for (const l of input) if ('value' in shape.shape({ offset: 0, bytes: l, length: l.length })) stored++;
    if (stored !== input.length) throw new Error(`${name}: ${input.length - stored} records not shaped`);
    if (round >= 2) us.get(name)!.push(((performance.now() - t) * 1000) / input.length); // rounds 0-1 warm up
  }
}
for (const [name, input] of inputs) {
  const s = summarise(us.get(name)!);
  const bytes = input.reduce((n, l) => n + l.length, 0) / input.length;
  console.log(`${name.padEnd(26)} ${bytes.toFixed(0).padStart(4)} bytes  ${s.median.toFixed(3)} µs/record (${s.min.toFixed(3)}–${s.max.toFixed(3)})`);
}
