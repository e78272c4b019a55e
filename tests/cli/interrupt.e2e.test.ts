// Ctrl-C during `sluice ingest` once every chunk has started (MAP_CONCURRENCY above the chunk
// count): the chunks must stop, the state machine's Cleanup delete the version, and the command
// exit 130 saying so. Chunks are slowed down through real settings (one record per Redis
// write, one write in flight), so the signal lands while they write.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLinesParts } from '../../local/sample-data.js';
import { adminRedis, closeTestClients, eventually, versionKeyCount } from '../support/sluice.js';
import { RunningCli, sluiceSpawned as sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-interrupt';
const env = testStackEnv({ ...datasetVars(DATASET), SLUICE_BUCKET: 'cli-interrupt' });
// About 8 chunks, all started at once, each writing one record per round trip.
const slow = { ...env, CHUNK_SIZE_BYTES: String(256 * 1024), MAP_CONCURRENCY: '40', WRITE_BATCH_SIZE: '1', WRITE_BATCHES_IN_FLIGHT: '1' };
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-interrupt-'));
  file = join(dir, 'recs.out');
  await writeFile(file, jsonLinesParts({ users: 6000, scored: true }, 1)[0]!);
  const base = await sluice(['ingest', file, '--version', 'base', '--order-key', '2026-11-01T00:00:00Z'], env);
  expect(base).toEqual(expect.objectContaining({ code: 0 }));
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

const pointer = async () => JSON.parse((await adminRedis().get(`{sluice:${DATASET}}:current`)) ?? 'null') as { version: string } | null;
const versionStatus = (version: string) => adminRedis().hget(`{sluice:${DATASET}}:version:${version}`, 'status');

test.each([
  ['the command alone', 'v-child', false],
  ['its process group (a terminal\'s Ctrl-C)', 'v-group', true],
])('Ctrl-C to %s with every chunk started: exit 130, nothing goes live, the version is deleted', async (_, version, group) => {
  const run = RunningCli.start(['ingest', file, '--version', version, '--order-key', '2026-11-02T00:00:00Z'], slow, { group });
  const [, chunks] = await run.waitForStderr(/loading version \S+ of \S+: 1 object, [\d.]+ [KM]iB, (\d+) chunks/);
  expect(Number(chunks)).toBeGreaterThan(1);
  expect(Number(chunks)).toBeLessThanOrEqual(40);
  // Data arriving means the Map has started its iterations (all of them: concurrency > chunks).
  await eventually(() => versionKeyCount(DATASET, version), (n) => n > 0);
  const code = group ? await run.stopGroup('SIGINT') : await run.stop('SIGINT');
  expect({ code, stdout: run.stdout }).toEqual({ code: 130, stdout: `interrupted: version ${version} was not made live and its keys were deleted; the live version is untouched\n` });
  expect(await pointer()).toMatchObject({ version: 'base' });
  expect(await versionStatus(version)).toBe('failed');
  expect(await versionKeyCount(DATASET, version)).toBe(0);
});

test('Ctrl-C while a step waits to be retried (S3 failing) ends the wait at once: exit 130, no further attempt, nothing registered', async () => {
  // An "S3" that drops every connection, counting them: Plan fails with a TransientError.
  let connections = 0;
  const s3 = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
    const run = RunningCli.start(['ingest', 's3://cli-interrupt/local/', '--version', 'v-pause', '--order-key', '2026-11-03T00:00:00Z'], { ...env, AWS_ENDPOINT_URL_S3: endpoint });
    await run.waitForStderr(/^Plan failed \(attempt 1 of 5\): .*; the state machine retries it after a pause, as in AWS$/m);
    const before = connections;
    const code = await run.stop('SIGINT');
    // The pause before the second attempt is up to 2 s: the command ends it, and tries nothing more.
    expect({ code, stdout: run.stdout, newConnections: connections - before }).toEqual({ code: 130, stdout: 'interrupted in Plan, before any data was written; the live version is untouched\n', newConnections: 0 });
    expect(run.stderr).not.toMatch(/attempt 2 of 5/);
    expect(await versionStatus('v-pause')).toBeNull();
    expect(await pointer()).toMatchObject({ version: 'base' });
  } finally {
    s3.close();
  }
});
