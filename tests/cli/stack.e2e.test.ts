// `sluice demo` and `sluice up` start their own Redis Cluster and S3: each must work end to
// end and leave nothing behind (every node process gone, every port closed).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningCli, sluiceSpawned as sluice } from './run-cli.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('sluice demo: the main job end to end on its own cluster, then everything stopped', async () => {
  const run = await sluice(['demo', '--users', '2000']); // fails if it runs past a minute
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run.stdout).toMatch(/wrote transform job recs-nightly-2026-11-24's output to s3:\/\/sluice-demo\/recs\/2026-11-24\/: 3 \.out files, 2,000 users/);
  expect(run.stdout).toMatch(/\nversion recs-nightly-2026-11-24 of recommendations is live: 2,000 records \(0 bad\) from 3 objects/);
  expect(run.stderr).toMatch(/(\d+)\/\1 chunks, 2,000 records/);
  expect(run.stdout).toContain('the same event again (SageMaker may send it twice): version recs-nightly-2026-11-24 is already live');
  expect(run.stdout).toMatch(/GET \/recommendations\?userId=u42&rank=1\n {4}→ 200 \{"userId":"u42","rank":1,"item":\{"item":"i\d+","score":[\d.]+\},"version":"recs-nightly-2026-11-24"\}/);
  expect(run.stdout).toContain('→ 404 {"error":{"code":"not_found","message":"no recommendations for user nobody"}}');
  expect(run.stdout).toContain('→ 400 {"error":{"code":"bad_request"');
  expect(run.stdout).toMatch(/stopped the local cluster and S3/);
  const ports = [...(/ {2}redis ((?:\d+[mr] ?)+);/.exec(run.stdout)?.[1] ?? '').matchAll(/(\d+)[mr]/g)].map((m) => Number(m[1]));
  expect(ports).toHaveLength(6);
  for (const port of ports) expect(await refused(port)).toBe(true);
});

test('sluice up: a stack the other commands can use, until Ctrl-C; then nothing is left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-up-'));
  const envFile = join(dir, 'env');
  const up = RunningCli.start(['up', '--write-env', envFile]);
  try {
    const [, exported] = await up.waitFor(/^export (.+)$/m);
    const env = Object.fromEntries(exported!.split(' ').map((kv) => kv.split('=') as [string, string]));
    expect(Object.keys(env)).toEqual(['REDIS_HOST', 'REDIS_PORT', 'REDIS_TLS', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'SLUICE_BUCKET', 'ERASURE_LOG_URI']);
    expect(readFileSync(envFile, 'utf8')).toBe(`${exported!.split(' ').join('\n')}\n`);
    const status = await sluice(['status'], env);
    expect(status).toMatchObject({ code: 4, stdout: 'dataset recommendations: no live version\n  no versions hold data (load one with sluice ingest)\n' });
  } finally {
    expect(await up.stop('SIGINT')).toBe(0);
  }
  expect(up.stdout).toMatch(/stopped the local cluster and S3\n$/);
  expect(existsSync(envFile)).toBe(false);
  const nodes = [...up.stdout.matchAll(/127\.0\.0\.1:(\d+) \((?:master|replica), pid (\d+)\)/g)].map((m) => ({ port: Number(m[1]), pid: Number(m[2]) }));
  expect(nodes).toHaveLength(6);
  for (const n of nodes) {
    expect(running(n.pid)).toBe(false);
    expect(await refused(n.port)).toBe(true);
  }
  await rm(dir, { recursive: true, force: true });
});
