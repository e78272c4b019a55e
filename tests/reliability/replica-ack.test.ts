// Nothing a load reported as done is lost in a failover. Replication is asynchronous: a master
// that dies right after a chunk or the pointer swap can be replaced by a replica that never got
// those writes. Here the replicas of one master really lag (a proxy holds its replication stream
// for DELAY_MS, local/replication-delay.ts) and that master is SIGKILLed right after the commit
// or right after the last chunk; the live version must then answer every key exactly. The same
// runs with the acknowledgement wait switched off (REDIS_REPLICA_ACK_TIMEOUT_MS=0) must lose data: that
// shows the lag is real and that the wait is what prevents the loss.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import calculateSlot from 'cluster-key-slot';
import pLimit from 'p-limit';
import { delayReplication } from '../../local/replication-delay.js';
import { jsonLinesParts, recommendations } from '../../local/sample-data.js';
import { realTaskHandlers, runIngestLocally, type TaskHandler } from '../../local/state-machine.js';
import { api, putObject } from '../support/sluice.js';
import { livePointer, startHarness, type Harness } from './support/harness.js';
import { datasetVars } from '../../local/datasets-file.js';

/** A bucket per run: each run has an S3 server of its own (the harness's), and the test helper remembers buckets it made. */
let runs = 0;
let BUCKET = 'replica-ack-0';
const USERS = 4000;
const DELAY_MS = 800;
// The controls hold the stream far longer: nothing waits for it there, and the kill must land
// before it passes however slow the machine is (with 800 ms, a slow kill could come too late).
const CONTROL_DELAY_MS = 30_000;
let h: Harness;

// A cluster of its own for each run: a run kills a master, and what the next run finds must not
// depend on how the last failover went.
beforeEach(async () => {
  h = await startHarness({ masters: 4, settings: { 'cluster-node-timeout': '2000', 'cluster-replica-validity-factor': '0' } });
  BUCKET = `replica-ack-${++runs}`;
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5 }, 2).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
}, 120_000);
afterEach(() => h?.stop());

/** The master port serving `key`'s slot now. */
async function masterOf(key: string): Promise<number> {
  const slot = calculateSlot(key);
  const slots = (await h.admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  return slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
}

/** A dataset name whose control slot is on the master `port` (or, with `not`, on any other). */
async function datasetOn(test: (port: number) => boolean, prefix: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const name = `${prefix}-${i}`;
    if (test(await masterOf(`{sluice:${name}}:current`))) return name;
  }
  throw new Error('no dataset name found');
}

/** Masters that still have a replica (or, with `all`, every master). */
async function mastersWithReplicas(all = false): Promise<number[]> {
  const slots = (await h.admin.cluster('SLOTS')) as unknown as [number, number, [string, number], ...[string, number][]][];
  return [...new Set(slots.filter((s) => all || s.length > 3).map((s) => s[2][1]))];
}

interface Outcome {
  run: string;
  /** The execution's status (and error). */
  status: string;
  pointer: string | null;
  /** Keys the live version does not answer exactly. */
  wrong: number;
  promotedInMs: number;
}

/**
 * Loads USERS records as version v1 of `dataset` with the replicas of `victim` lagging, and
 * SIGKILLs `victim` right after the last chunk (before the commit) or right after the commit.
 */
async function loadAndKill(dataset: string, victim: number, when: 'after-last-chunk' | 'after-commit', ack: boolean): Promise<Outcome> {
  // The functions' seed must be a live node that survives the kill (the harness's default may be dead by now).
  const seed = (await mastersWithReplicas(true)).find((p) => p !== victim)!;
  await h.env({ REDIS_PORT: String(seed), ...datasetVars({ name: dataset, checks: { duplicateKeys: 'last-wins' } }), CHUNK_SIZE_BYTES: '65536', MAP_CONCURRENCY: '4', REDIS_COMMAND_TIMEOUT_MS: '1000', GRACE_SECONDS: '2', REDIS_REPLICA_ACK_TIMEOUT_MS: ack ? '10000' : '0' });
  // (last-wins: without the wait, records lost with the dead master make HLEN fall short of what was written, which the
  // duplicate check would count and hold the version for; the control must show what would go live.)
  const delay = await delayReplication(h.cluster, victim, DELAY_MS);
  // (Once the replicas are in sync: held 30 s from the start, their initial sync would not finish.)
  if (!ack) delay.setDelay(CONTROL_DELAY_MS);
  const real = await realTaskHandlers();
  let promotedInMs = 0;
  let killed = false;
  // Once: a Commit retried after the failover must not kill again.
  const kill = async () => {
    if (killed) return;
    killed = true;
    promotedInMs = (await h.cluster.killMaster(victim, { timeoutMs: 30_000 })).ms;
    await delay.stop();
  };
  const commit: TaskHandler = async (payload) => {
    if (when === 'after-last-chunk') await kill();
    const result = await real.Commit(payload);
    if (when === 'after-commit') await kill();
    return result;
  };
  let status: string;
  try {
    const run = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 }, { handlers: { Commit: commit }, retryPauseMs: 500 });
    status = run.status === 'SUCCEEDED' ? run.status : `${run.status}: ${run.error}: ${run.cause}`;
  } finally {
    await delay.stop();
  }
  const pointer = (await livePointer(h.admin, dataset))?.version ?? null;
  // Every record through the read API (the handlers' own client, after the failover).
  const limit = pLimit(32);
  let wrong = 0;
  await Promise.all(
    [...recommendations({ users: USERS, itemsPerUser: 5 })].map((r) =>
      limit(async () => {
        const a = await api(`/users/${r.userId}/recommendations`);
        if (a.status !== 200 || a.body.version !== 'v1' || JSON.stringify(a.body.items) !== JSON.stringify(r.items)) wrong++;
      }),
    ),
  );
  const outcome = { run: `${when}, ack ${ack ? 'on' : 'off'}`, status, pointer, wrong, promotedInMs };
  console.log(`replica-ack: ${JSON.stringify(outcome)}`);
  return outcome;
}

test('a master killed right after the commit, its replicas lagging: the live version answers every key', async () => {
  const [victim] = await mastersWithReplicas();
  const dataset = await datasetOn((p) => p === victim, 'commit-ack');
  expect(await loadAndKill(dataset, victim!, 'after-commit', true)).toMatchObject({ status: 'SUCCEEDED', pointer: 'v1', wrong: 0 });
}, 180_000);

test('control: the same without the acknowledgement wait loses the swap or records', async () => {
  const [victim] = await mastersWithReplicas();
  const dataset = await datasetOn((p) => p === victim, 'commit-noack');
  const outcome = await loadAndKill(dataset, victim!, 'after-commit', false);
  expect(outcome.pointer === 'v1' && outcome.wrong === 0).toBe(false);
}, 180_000);

test('a master killed right after the last chunk, its replicas lagging: the live version answers every key', async () => {
  const [victim] = await mastersWithReplicas();
  const dataset = await datasetOn((p) => p !== victim, 'chunk-ack');
  expect(await loadAndKill(dataset, victim!, 'after-last-chunk', true)).toMatchObject({ status: 'SUCCEEDED', pointer: 'v1', wrong: 0 });
}, 180_000);

test('control: the same without the acknowledgement wait serves a live version with records missing', async () => {
  const [victim] = await mastersWithReplicas();
  const dataset = await datasetOn((p) => p !== victim, 'chunk-noack');
  const outcome = await loadAndKill(dataset, victim!, 'after-last-chunk', false);
  expect(outcome).toMatchObject({ status: 'SUCCEEDED', pointer: 'v1' }); // the commit went through on another master...
  expect(outcome.wrong).toBeGreaterThan(0); // ...and the live version lacks what the dead master had not passed on
}, 180_000);

/**
 * The Commit function as a second Lambda would run it: in a process of its own, with its own
 * Redis connections (in this process every execution shares one connection per master, and the
 * WAIT of one commit would hold back the next one's swap). It starts at once, so that its
 * startup is out of the way, and commits when `go` is called.
 */
function commitInAnotherProcess(): { go: (payload: unknown) => Promise<unknown>; stop: () => void } {
  const handler = fileURLToPath(new URL('../../functions/handlers/commit.ts', import.meta.url));
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(handler).href)});
    const { lambdaContext } = await import(${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../local/state-machine.ts', import.meta.url))).href)});
    let input = '';
    for await (const piece of process.stdin) input += piece;
    try {
      process.stdout.write(JSON.stringify({ ok: await handler(JSON.parse(input), lambdaContext('CommitFunction')) }));
    } catch (err) {
      process.stdout.write(JSON.stringify({ error: err.name + ': ' + err.message }));
    }
    process.exit(0);`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('JEST') || k === 'NODE_OPTIONS') delete env[k];
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', '--input-type=module', '-e', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      running = false;
      resolve();
    }),
  );
  let used = false;
  return {
    go: async (payload) => {
      // One attempt: a retried commit would need a second process, and this test expects none.
      if (used) throw new Error(`Commit in another process: a second attempt (the first: ${out || err})`);
      used = true;
      child.stdin.end(JSON.stringify(payload));
      await exited;
      const reply = JSON.parse(out || `{"error":${JSON.stringify(`no output; stderr: ${err}`)}}`) as { ok?: unknown; error?: string };
      if (reply.error) throw new Error(`Commit in another process: ${reply.error}`);
      return reply.ok;
    },
    stop: () => {
      if (running) child.kill('SIGKILL'); // our own child, by its handle
    },
  };
}

test('a newer version goes live while the commit before it waits for its replicas: both executions succeed, the newer one is live', async () => {
  // Two jobs finishing close together: v1 swaps, and while the acknowledgement of that swap is
  // held up (lagging replicas of the control master), v2 swaps. v1's swap landed: the wait must
  // not read the newer pointer as a lost swap (a retried commit would find v1 superseded and
  // fail an execution whose version did go live).
  const [control] = await mastersWithReplicas();
  const dataset = await datasetOn((p) => p === control, 'close-commits');
  for (const [i, body] of jsonLinesParts({ users: USERS, itemsPerUser: 5, itemBase: 1_000_000 }, 2).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
  await h.env({ ...datasetVars(dataset), CHUNK_SIZE_BYTES: '65536', MAP_CONCURRENCY: '4', GRACE_SECONDS: '2', REDIS_REPLICA_ACK_TIMEOUT_MS: '10000' });
  const real = await realTaskHandlers();
  let v1Swapped = false;
  let v2AtCommit = false;
  // No lag while the two versions load (each chunk waits for its replicas too); from v1's commit on, 3 s.
  const delay = await delayReplication(h.cluster, control!, 0);
  // v1's commit, once v2 is ready to commit: its swap is visible at once, its acknowledgement comes 3 s later.
  const commitV1: TaskHandler = async (payload) => {
    while (!v2AtCommit) await new Promise((r) => setTimeout(r, 10));
    // Longer than the usual lag: the second process's commit (checks, then the swap) must fit in it.
    delay.setDelay(3000);
    const watch = (async () => {
      while (!v1Swapped) {
        if ((await livePointer(h.admin, dataset))?.version === 'v1') v1Swapped = true;
        else await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      return await real.Commit(payload);
    } finally {
      v1Swapped = true;
      await watch;
    }
  };
  // v2's commit runs in a second process once v1's pointer is live, inside v1's acknowledgement wait.
  const second = commitInAnotherProcess();
  const commitV2: TaskHandler = async (payload) => {
    v2AtCommit = true;
    while (!v1Swapped) await new Promise((r) => setTimeout(r, 10));
    return second.go(payload);
  };
  try {
    const [r1, r2] = await Promise.all([
      runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 }, { handlers: { Commit: commitV1 }, retryPauseMs: 200 }),
      runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 }, { handlers: { Commit: commitV2 }, retryPauseMs: 200 }),
    ]);
    const summary = (r: typeof r1) => (r.status === 'SUCCEEDED' ? `${(r.output as { result: { commit: { outcome: string } } }).result.commit.outcome}` : `${r.status}: ${r.error}: ${r.cause}`);
    expect([summary(r1), summary(r2)]).toEqual(['swapped', 'swapped']);
  } finally {
    second.stop();
    await delay.stop();
  }
  expect((await livePointer(h.admin, dataset))?.version).toBe('v2');
}, 180_000);
