// Framing + parsing throughput, in one thread from memory (no S3, no Redis): Sluice's hand
// framers + JSON.parse against readline + JSON.parse, stream-json's JSON Lines parser, and
// stream-json's token parser + streamArray() over one document, on the same generated records
// (the bench's scored recommendations, ~370 bytes a line) fed in 64 KiB pieces as S3 streams
// them. Throughput is bytes per second of this process's CPU time (user + system), which a
// busy machine disturbs far less than wall time; wall time is shown beside it. The figures in
// docs/architecture.md#why-no-stream-json come from it. Not part of `npm run bench`:
//   node_modules/.bin/node --import tsx bench/framers.ts [records=200000] [rounds=5]
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import chain from 'stream-chain';
import { parser as tokenParser } from 'stream-json';
import jsonlParser from 'stream-json/jsonl/parser.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { JsonDocumentFramer } from '../functions/domain/formats/json/json-document-framer.js';
import { LineFramer } from '../functions/domain/formats/line-framer.js';
import type { RecordFramer } from '../functions/domain/raw-record.js';
import { recommendations, toJsonLine } from '../local/sample-data.js';
import { summarise } from './stats.js';

const records = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const PIECE = 64 * 1024;

const lines = [...recommendations({ users: records, scored: true })].map((r) => toJsonLine(r));
const jsonl = Buffer.from(`${lines.join('\n')}\n`);
const document = Buffer.from(`[${lines.join(',\n')}]`);
const pieces = (b: Buffer): Buffer[] => Array.from({ length: Math.ceil(b.length / PIECE) }, (_, i) => b.subarray(i * PIECE, (i + 1) * PIECE));
const jsonlPieces = pieces(jsonl);
const documentPieces = pieces(document);

/** Every way returns how many records it parsed; each must find them all. */
type Way = { name: string; input: Buffer; run: () => Promise<number> };

function framed(framer: RecordFramer, input: Buffer[]): number {
  let n = 0;
  const take = (rs: { bytes: Buffer | null }[]) => {
    for (const r of rs) if (r.bytes && JSON.parse(r.bytes.toString('utf8')) !== null) n++;
  };
  for (const p of input) take(framer.push(p));
  take(framer.end());
  return n;
}

async function counted(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const item of stream) if (item !== undefined) n++;
  return n;
}

const ways: Way[] = [
  { name: 'LineFramer + JSON.parse (JSON Lines)', input: jsonl, run: async () => framed(new LineFramer(0, jsonl.length, 1 << 24), jsonlPieces) },
  {
    name: 'readline + JSON.parse (JSON Lines)',
    input: jsonl,
    run: async () => {
      let n = 0;
      for await (const line of createInterface({ input: Readable.from(jsonlPieces), crlfDelay: Infinity })) if (line && JSON.parse(line) !== null) n++;
      return n;
    },
  },
  { name: "stream-json's JSON Lines parser", input: jsonl, run: () => counted(chain([Readable.from(jsonlPieces), jsonlParser()])) },
  { name: 'JsonDocumentFramer + JSON.parse (a document)', input: document, run: async () => framed(new JsonDocumentFramer(1 << 24), documentPieces) },
  { name: "stream-json's parser + streamArray() (a document)", input: document, run: () => counted(chain([Readable.from(documentPieces), tokenParser(), streamArray()])) },
];

console.log(`${records} records, ${(jsonl.length / records).toFixed(0)} bytes a line; JSON Lines ${(jsonl.length / 1e6).toFixed(1)} MB, document ${(document.length / 1e6).toFixed(1)} MB; Node ${process.version}; median of ${rounds} rounds after one warm-up`);
console.log(`  ${''.padEnd(52)} MB per CPU second (min–max)   MB per wall second`);
for (const way of ways) {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const n = await way.run();
    const used = process.cpuUsage(c);
    const s = (performance.now() - t) / 1000;
    if (n !== records) throw new Error(`${way.name}: parsed ${n} of ${records} records`);
    if (round === 0) continue;
    cpu.push(way.input.length / 1e6 / ((used.user + used.system) / 1e6));
    wall.push(way.input.length / 1e6 / s);
  }
  const c = summarise(cpu);
  const w = summarise(wall);
  console.log(`  ${way.name.padEnd(52)} ${c.median.toFixed(0).padStart(4)} (${c.min.toFixed(0)}–${c.max.toFixed(0)})${' '.repeat(22)}${w.median.toFixed(0).padStart(4)}`);
}
