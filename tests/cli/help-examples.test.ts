// The local examples in `sluice ingest --help`, run as written and in the order shown (the
// directory made for them): each must load, none refused as older than the one before.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../cli/ingest.js';
import { transformOutput } from '../../local/sample-data.js';
import { adminRedis, closeTestClients } from '../support/sluice.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'help-examples';
const env = testStackEnv({ ...datasetVars(DATASET) });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-help-'));
  await mkdir(join(dir, 'transform-output'));
  for (const o of transformOutput({ users: 200, scored: true, joined: true }, 2)) await writeFile(join(dir, 'transform-output', o.key), o.body);
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

test('the local `sluice ingest --help` examples load one after another', async () => {
  const local = (command.examples ?? []).filter((e) => !e.includes('--aws'));
  expect(local.length).toBeGreaterThanOrEqual(3);
  const versions: string[] = [];
  for (const example of local) {
    const args = example.split(' ').slice(2).map((a) => (a === './transform-output/' ? join(dir, 'transform-output') : a));
    const run = await sluice(['ingest', ...args, '--json'], env);
    expect({ example, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ example, code: 0, stderr: '' });
    const report = JSON.parse(run.stdout) as { outcome: string; version: string };
    expect(report.outcome).toBe('loaded');
    versions.push(report.version);
  }
  expect(versions.slice(0, 2)).toEqual(['recs-2026-11-23', 'recs-nightly-2026-11-24']);
  const live = JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string };
  expect(live.version).toBe(versions.at(-1));
});
