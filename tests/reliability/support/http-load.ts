// HTTP load against the local read API, in its own process so that it does not compete with the
// server for its event loop: `connections` keep-alive connections each asking for one user after
// another, every answer checked against the version it names (the right items, a known version,
// never older than one this connection already saw). Stops on a "stop" line on stdin, or at its
// time or request budget, then writes every sample to `out` and prints "done".
//
// Run: node --import tsx tests/reliability/support/http-load.ts '<json options>'
// Sample layout (16 bytes, little-endian): start (float64, epoch ms), latency (float32, ms),
// status (uint16), outcome (uint8: 0 ok, 1 wrong items or unknown version, 2 older version, 3 not 200),
// version index (uint8, 255 when none).
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { recommendations } from '../../../local/sample-data.js';

export interface LoadOptions {
  url: string;
  out: string;
  connections: number;
  users: number;
  itemsPerUser: number;
  /** Versions in order, oldest first, with the itemBase their input was generated with. */
  versions: { name: string; itemBase: number }[];
  maxMs: number;
  maxRequests: number;
}

export const SAMPLE_BYTES = 16;

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const expected = opts.versions.map((v) => [...recommendations({ users: opts.users, itemsPerUser: opts.itemsPerUser, itemBase: v.itemBase })].map((r) => JSON.stringify(r.items)));
const versionIndex = new Map(opts.versions.map((v, i) => [v.name, i]));
const samples = Buffer.alloc(opts.maxRequests * SAMPLE_BYTES);
let count = 0;
let running = true;
const deadline = Date.now() + opts.maxMs;
const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
const url = new URL(opts.url);
const now = () => performance.timeOrigin + performance.now();

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent, method: 'GET' }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (b: Buffer) => pieces.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(pieces).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function connection(seed: number): Promise<void> {
  let newest = -1;
  for (let i = seed; running && Date.now() < deadline && count < opts.maxRequests; i += 7919) {
    const u = i % opts.users;
    const started = now();
    let status = 0;
    let outcome = 3;
    let version = 255;
    try {
      const r = await get(`/users/u${u}/recommendations`);
      status = r.status;
      if (status === 200) {
        const body = JSON.parse(r.body) as { version: string; items: unknown };
        const v = versionIndex.get(body.version);
        if (v === undefined || JSON.stringify(body.items) !== expected[v]![u]) outcome = 1;
        else {
          version = v;
          outcome = v < newest ? 2 : 0;
          newest = Math.max(newest, v);
        }
      }
    } catch {
      status = 0;
    }
    const at = count++ * SAMPLE_BYTES;
    samples.writeDoubleLE(started, at);
    samples.writeFloatLE(now() - started, at + 8);
    samples.writeUInt16LE(status, at + 12);
    samples.writeUInt8(outcome, at + 14);
    samples.writeUInt8(version, at + 15);
  }
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  if (text.includes('stop')) running = false;
});
process.stdin.on('end', () => {
  running = false;
});

const loops = Array.from({ length: opts.connections }, (_, k) => connection(k * 104_729 + 1));
process.stdout.write('started\n');
await Promise.all(loops);
agent.destroy();
writeFileSync(opts.out, samples.subarray(0, count * SAMPLE_BYTES));
process.stdout.write(`done ${count}\n`);
process.exit(0);
