// What erasure and suppression add per record and per answer, in one thread with no I/O (the
// shared machine makes the end-to-end figures of measure-corrections.ts noisy): a load's
// tombstone lookup per record (a set of 100k erased keys as a load holds them, key-set.ts; none of which the input holds: every
// lookup misses) against none, and a read's suppression filter per answer (1,000 suppressed item
// ids, lists of 10 [id, score] pairs as the bench data holds) against none, and for the lists that
// do lose an item alone. Not part of `npm run bench`; docs/corrections.md quotes it.
//   node --import tsx bench/corrections-micro.ts [records=1000000]
// ioredis is loaded first, as in the load workers and the read server: it changes how fast V8 runs
// string code in the whole process (bench/string-scan-micro.ts).
import 'ioredis';
import { withoutSuppressedText } from '../functions/domain/suppressed-items.js';
import { KeyFilter, MAYBE_ERASED } from '../functions/domain/key-filter.js';
import { ListedKeys, type KeySet } from '../functions/domain/key-set.js';
import { bucketOf, keyHash } from '../functions/domain/key-layout.js';
import { recommendations } from '../local/sample-data.js';
import { summarise } from './stats.js';

const records = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = 5;

// Keys as the parser hands them over: strings sliced from a line, so none carries a cached hash.
const lines = Array.from({ length: records }, (_, i) => `{"userId":"u${i}","x":1}`);
const keyOf = (line: string) => line.slice(11, line.indexOf('"', 11));
const tombstones = ListedKeys.of(Array.from({ length: 100_000 }, (_, i) => `erased-${i}`));

let sink = 0;
function lookups(set: KeySet | null): number {
  const t = performance.now();
  for (let i = 0; i < records; i++) {
    const key = keyOf(lines[i]!);
    if (set?.has(key)) continue;
    sink += key.length;
  }
  return ((performance.now() - t) * 1e6) / records;
}

// As a load does it (load-chunk.ts): the key's hash (which its bucket needs) probes the filter, and
// only a key whose "maybe erased" bit is set is looked up in the set.
const filter = KeyFilter.of(tombstones, ListedKeys.of([]))!;
function filtered(withFilter: boolean): number {
  const t = performance.now();
  for (let i = 0; i < records; i++) {
    const key = keyOf(lines[i]!);
    const hash = keyHash(key);
    if (withFilter && filter.probe(hash) & MAYBE_ERASED && tombstones.has(key, hash)) continue;
    sink += bucketOf(key, 4096, hash);
  }
  return ((performance.now() - t) * 1e6) / records;
}

const lists = [...recommendations({ users: 10_000, itemsPerUser: 10, scored: 'pairs' })].map((r) => JSON.stringify(r.items));
const suppressed = new Set(Array.from({ length: 1000 }, (_, i) => String(i * 100)));
const none = new Set<string>();
const losing = lists.filter((l) => withoutSuppressedText(l, suppressed) !== l);
function answers(set: ReadonlySet<string>, n = 500_000, of = lists): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) sink += withoutSuppressedText(of[i % of.length]!, set).length;
  return ((performance.now() - t) * 1e6) / n;
}

const results = { noCheck: [] as number[], check: [] as number[], hashOnly: [] as number[], filter: [] as number[], noSuppression: [] as number[], suppression: [] as number[], losing: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  results.noCheck.push(lookups(null));
  results.check.push(lookups(tombstones));
  results.hashOnly.push(filtered(false));
  results.filter.push(filtered(true));
  results.noSuppression.push(answers(none));
  results.suppression.push(answers(suppressed));
  results.losing.push(answers(suppressed, 100_000, losing));
}
const hit = losing.length / lists.length;
const show = (name: string, values: number[]) => {
  const s = summarise(values);
  console.log(`${name.padEnd(62)} ${s.median.toFixed(0).padStart(6)} ns  (${s.min.toFixed(0)}-${s.max.toFixed(0)})`);
};
console.log(`median of ${ROUNDS} rounds, ${records.toLocaleString('en-US')} records; ${(hit * 100).toFixed(1)} % of lists hold a suppressed item`);
show('per record: key from the line, no tombstone check', results.noCheck);
show('per record: the same with a lookup in 100k tombstones', results.check);
show('per record: key, hash and bucket, no tombstone check', results.hashOnly);
show('per record: the same with the key filter over 100k tombstones', results.filter);
show('per answer: list text, nothing suppressed', results.noSuppression);
show('per answer: list text, 1,000 items suppressed (read by its tokens)', results.suppression);
show('per answer: only the lists that lose an item (cut out of the text)', results.losing);
if (sink === 0) console.log('');
