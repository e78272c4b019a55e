// CSV shaping cost per record, in one thread with no I/O, against the JSON Lines shape of the
// same records (10 integer ids each): the CSV fast path (field offsets, the items' own text),
// the splitting path it falls back to (RFC 4180 quoting), and the JSON record scanner. Not part
// of `npm run bench`; BENCHMARKS.md's notes quote it.
//   node --import tsx bench/csv-shape-micro.ts [records=200000]
import { csvShape } from '../functions/domain/formats/csv/csv-shape.js';
import { parseDatasetSpecs } from '../functions/domain/dataset-spec.js';
import { shapeFor, type RecordShape } from '../functions/domain/record-shape.js';
import { recommendations } from '../local/sample-data.js';
import { summarise } from './stats.js';

const records = Number(process.argv[2] ?? 200_000);
const [spec] = parseDatasetSpecs([{ name: 'd', csv: { items: { trailing: 10 } } }]);
const columns = ['userId', ...Array.from({ length: 10 }, (_, i) => `i${i + 1}`)];
const json: Buffer[] = [];
const csv: Buffer[] = [];
const quoted: Buffer[] = [];
for (const r of recommendations({ users: records, itemsPerUser: 10, seed: 11 })) {
  const items = r.items as number[];
  json.push(Buffer.from(JSON.stringify({ userId: r.userId, recommendations: items })));
  csv.push(Buffer.from(`${r.userId},${items.join(',')}`));
  quoted.push(Buffer.from(`"${r.userId}",${items.join(',')}`));
}
const cases: [string, RecordShape, Buffer[]][] = [
  ['JSON Lines, record scanner', shapeFor(spec!, 1 << 20), json],
  ['CSV, fast path', csvShape(spec!, spec!.csv!, columns, 1 << 20), csv],
  ['CSV, splitting path (fast path off)', csvShape(spec!, spec!.csv!, columns, 1 << 20, { fast: false }), csv],
  ['CSV, quoted key (takes the splitting path)', csvShape(spec!, spec!.csv!, columns, 1 << 20), quoted],
];
const us = new Map<string, number[]>();
for (let round = 0; round < 7; round++) {
  for (const [name, shape, input] of cases) {
    const t = performance.now();
    let stored = 0;
    for (const l of input) if ('value' in shape.shape({ offset: 0, bytes: l, length: l.length })) stored++;
    if (stored !== input.length) throw new Error(`${name}: ${input.length - stored} records not shaped`);
    us.set(name, [...(us.get(name) ?? []), ((performance.now() - t) * 1000) / input.length]);
  }
}
console.log(`${records.toLocaleString('en-US')} records, 7 rounds, median (min-max) µs per record:`);
for (const [name, , input] of cases) {
  const s = summarise(us.get(name)!);
  const bytes = input.reduce((n, l) => n + l.length, 0) / input.length;
  console.log(`  ${name.padEnd(46)} ${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)})  ${bytes.toFixed(0)} bytes/record`);
}
