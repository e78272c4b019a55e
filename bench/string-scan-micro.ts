// Why the list scanner of suppressed-items.ts reads bytes and not charCodeAt: once ioredis is
// loaded (its VerbatimString extends String), V8's optimized code stops inlining String.prototype
// methods, and a charCodeAt loop runs several times slower, in every module of the process. Run it
// both ways and compare (per list of 10 [id, score] pairs, ~190 characters; no I/O):
//   node --import tsx bench/string-scan-micro.ts
//   node --import tsx --import ioredis bench/string-scan-micro.ts
import { withoutSuppressedText } from '../functions/domain/suppressed-items.js';
import { recommendations } from '../local/sample-data.js';
import { summarise } from './stats.js';

const lists = [...recommendations({ users: 10_000, itemsPerUser: 10, scored: 'pairs' })].map((r) => JSON.stringify(r.items));
const suppressed = new Set(Array.from({ length: 1000 }, (_, i) => String(i * 100)));
const scratch = Buffer.alloc(4096);
let sink = 0;

function perList(scan: (text: string) => number, n = 300_000): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) sink += scan(lists[i % lists.length]!);
  return ((performance.now() - t) * 1e6) / n;
}

const scans: Record<string, (text: string) => number> = {
  'charCodeAt over every character': (text) => {
    let s = 0;
    for (let i = 0; i < text.length; i++) s += text.charCodeAt(i);
    return s;
  },
  'bytes: written into a buffer, then read': (text) => {
    const n = scratch.write(text, 0, 'utf8');
    let s = 0;
    for (let i = 0; i < n; i++) s += scratch[i]!;
    return s;
  },
  'withoutSuppressedText, 1,000 items suppressed': (text) => withoutSuppressedText(text, suppressed).length,
};

const loaded = process.execArgv.some((a, i, all) => a === '--import=ioredis' || (a === '--import' && all[i + 1] === 'ioredis'));
console.log(`ns per list, median of 5 rounds; ioredis ${loaded ? 'loaded' : 'not loaded'}`);
const times = new Map<string, number[]>(Object.keys(scans).map((k) => [k, []]));
for (let round = 0; round < 5; round++) for (const [name, scan] of Object.entries(scans)) times.get(name)!.push(perList(scan));
for (const [name, t] of times) console.log(`${name.padEnd(48)} ${summarise(t).median.toFixed(0).padStart(6)} ns`);
if (sink === 0) console.log('');
