// Readers under load: the local read API (the real handler behind node:http) takes a steady
// load from 50 keep-alive connections, in another process, while a new version is ingested,
// swapped in and the old one retired after the grace period. Every answer is checked: 0 errors,
// 0 answers with wrong or mixed items, 0 answers from a version older than one already seen,
// 0 answers from the retired version once it is deleted. Requests per second and latency
// percentiles are reported for each phase (and written to .sluice/reliability/).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer, type ApiServer } from '../../local/api-server.js';
import { jsonLinesParts } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { putObject } from '../support/sluice.js';
import { livePointer, startHarness, versionKeyCount, type Harness } from './support/harness.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'underload';
const BUCKET = 'load-bucket';
const USERS = 50_000;
const CONNECTIONS = 50;
const POINTER_CACHE_MS = 1000;
const GRACE_SECONDS = 3;
const SAMPLE_BYTES = 16; // see support/http-load.ts
const OUTCOMES = ['ok', 'wrong', 'older', 'failed'] as const;
let h: Harness;
let server: ApiServer;

beforeAll(async () => {
  h = await startHarness();
  // RETAIN_VERSIONS=1: the retire after the swap deletes the old version, under load.
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: String(512 * 1024), MAP_CONCURRENCY: '4', POINTER_CACHE_MS: String(POINTER_CACHE_MS), REDIS_COMMAND_TIMEOUT_MS: '1000', GRACE_SECONDS: String(GRACE_SECONDS), RETAIN_VERSIONS: '1' });
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 3).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 1_000_000 }, 3).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
  expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 })).status).toBe('SUCCEEDED');
  server = await startApiServer();
});
afterAll(async () => {
  await server?.close();
  await h?.stop();
});

interface Sample {
  at: number;
  ms: number;
  status: number;
  outcome: (typeof OUTCOMES)[number];
  version: number;
}

function startLoad(out: string) {
  const script = fileURLToPath(new URL('./support/http-load.ts', import.meta.url));
  const options = { url: server.url, out, connections: CONNECTIONS, users: USERS, itemsPerUser: 5, versions: [{ name: 'v1', itemBase: 0 }, { name: 'v2', itemBase: 1_000_000 }], maxMs: 90_000, maxRequests: 3_000_000 };
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (output.includes(word) ? resolve() : undefined);
      child.stdout.on('data', (b: Buffer) => {
        output += b.toString();
        check();
      });
      child.once('exit', (code) => (output.includes(word) ? resolve() : reject(new Error(`load generator exited (${code}) before "${word}": ${output}`))));
      check();
    });
  const started = said('started');
  const done = said('done');
  return {
    started,
    stop: async (): Promise<Sample[]> => {
      child.stdin.end('stop\n');
      await done;
      const raw = readFileSync(out);
      rmSync(out, { force: true });
      const samples: Sample[] = [];
      for (let at = 0; at + SAMPLE_BYTES <= raw.length; at += SAMPLE_BYTES) {
        samples.push({ at: raw.readDoubleLE(at), ms: raw.readFloatLE(at + 8), status: raw.readUInt16LE(at + 12), outcome: OUTCOMES[raw.readUInt8(at + 14)]!, version: raw.readUInt8(at + 15) });
      }
      return samples;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

test('50 connections through an ingest, a swap and a retire: 0 errors, 0 mixed or deleted-version answers; req/s and p99 per phase', async () => {
  const real = await realTaskHandlers();
  const marks: Record<string, number> = {};
  const mark = (name: string, fn: TaskHandler): TaskHandler => async (payload) => {
    marks[`${name}Start`] ??= Date.now();
    try {
      return await fn(payload);
    } finally {
      marks[`${name}End`] = Date.now();
    }
  };
  const out = join(tmpdir(), `sluice-load-${process.pid}-${Date.now()}.bin`);
  const load = startLoad(out);
  let samples: Sample[] = [];
  try {
    await load.started;
    const loadStart = Date.now();
    // Measurement windows, not waits for a condition: 3 s of load before the ingest, 3 s after the retire.
    await new Promise((r) => setTimeout(r, 3000));
    marks.ingestStart = Date.now();
    const run = await runIngestLocally(
      { s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 },
      { handlers: { Commit: mark('commit', real.Commit), Retire: mark('retire', real.Retire) }, graceWaitMs: GRACE_SECONDS * 1000 },
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped', records: USERS } }, retired: { retire: { retired: ['v1'] } } } });
    expect(await versionKeyCount(h.admin, DATASET, 'v1')).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    samples = await load.stop();
    marks.loadStart = loadStart;
  } finally {
    load.kill();
  }
  // A loop, not Math.max(...): a fast machine records more samples than the call stack takes as arguments.
  marks.end = samples.reduce((latest, s) => Math.max(latest, s.at), 0);
  expect((await livePointer(h.admin, DATASET))?.version).toBe('v2');

  const phases: [string, number, number][] = [
    ['before (v1 live)', marks.loadStart!, marks.ingestStart!],
    ['ingest of v2', marks.ingestStart!, marks.commitStart!],
    [`swap (+${POINTER_CACHE_MS} ms pointer cache)`, marks.commitStart!, marks.commitEnd! + POINTER_CACHE_MS],
    ['grace period', marks.commitEnd! + POINTER_CACHE_MS, marks.retireStart!],
    ['retire of v1 (+1 s)', marks.retireStart!, marks.retireEnd! + 1000],
    ['after', marks.retireEnd! + 1000, marks.end + 1],
  ];
  const rows = phases.map(([name, from, to]) => {
    const inPhase = samples.filter((s) => s.at >= from && s.at < to);
    const ms = inPhase.map((s) => s.ms).sort((a, b) => a - b);
    const seconds = (to - from) / 1000;
    return {
      phase: name,
      seconds: Number(seconds.toFixed(2)),
      requests: inPhase.length,
      reqPerSec: Math.round(inPhase.length / seconds),
      p50ms: Number(percentile(ms, 50).toFixed(2)),
      p99ms: Number(percentile(ms, 99).toFixed(2)),
      maxMs: Number((ms[ms.length - 1] ?? NaN).toFixed(2)),
      errors: inPhase.filter((s) => s.outcome !== 'ok').length,
      v1: inPhase.filter((s) => s.version === 0).length,
      v2: inPhase.filter((s) => s.version === 1).length,
    };
  });
  mkdirSync('.sluice/reliability', { recursive: true });
  writeFileSync('.sluice/reliability/readers-under-load.json', `${JSON.stringify({ connections: CONNECTIONS, users: USERS, marks, phases: rows }, null, 2)}\n`);
  console.log(`readers under load (${CONNECTIONS} connections, ${samples.length} requests):\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);

  const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, samples.filter((s) => s.outcome === o).length]));
  expect(byOutcome).toEqual({ ok: samples.length, wrong: 0, older: 0, failed: 0 });
  // Nothing answered from v1 once its keys were being deleted (requests started after the retire began).
  expect(samples.filter((s) => s.version === 0 && s.at >= marks.retireStart!).length).toBe(0);
  expect(rows.every((r) => r.requests > 0)).toBe(true);
}, 180_000);
