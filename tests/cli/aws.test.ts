// `sluice ingest --aws` cannot reach AWS here: its argument handling, the input it sends and how
// it follows an execution are checked with a stub in place of the SDK's SFNClient (the SDK
// boundary: the commands it is given are the real SDK command objects).
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseCommandArgs, type CliContext } from '../../cli/command.js';
import type { StepFunctions } from '../../cli/aws-clients.js';
import { command } from '../../cli/ingest.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:IngestStateMachine-AbC123';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:IngestStateMachine-AbC123:nightly-25';
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));

const plan = { action: 'load', dataset: 'recommendations', version: 'v25', orderKey: 1, owner: EXECUTION, objects: 3, totalBytes: 3 << 20, buckets: 384, chunkCount: 3, chunks: [0, 1, 2], mapConcurrency: 10, graceSeconds: 60 };
const HISTORY: HistoryEvent[] = [
  { id: 1, type: 'ExecutionStarted', timestamp: new Date() },
  { id: 2, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name: 'Plan' } },
  { id: 3, type: 'TaskStateExited', timestamp: new Date(), stateExitedEventDetails: { name: 'Plan', output: JSON.stringify(plan) } },
  { id: 4, type: 'MapStateEntered', timestamp: new Date() },
  ...[5, 6, 7].map((id): HistoryEvent => ({ id, type: 'TaskStateExited', timestamp: new Date(), stateExitedEventDetails: { name: 'LoadChunk', output: '{"records":1000,"badRecords":1}' } })),
  { id: 8, type: 'ExecutionSucceeded', timestamp: new Date() },
];
const commit = { outcome: 'swapped', version: 'v25', previous: 'v24', records: 3000, badRecords: 3, samples: [{ object: 'b/recs/x.out', offset: 12, reason: 'malformed JSON' }], loadMs: 4000 };

/** Step Functions as seen through the SDK: the execution advances a few events per DescribeExecution. */
class StubStepFunctions implements StepFunctions {
  readonly sent: unknown[] = [];
  private polls = 0;
  constructor(
    private readonly end: { status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string; cause?: string },
    private readonly history: HistoryEvent[] = HISTORY,
  ) {}

  async send(cmd: StartExecutionCommand | DescribeExecutionCommand | GetExecutionHistoryCommand): Promise<unknown> {
    this.sent.push(cmd);
    if (cmd instanceof StartExecutionCommand) return { executionArn: EXECUTION, startDate: new Date() };
    if (cmd instanceof DescribeExecutionCommand) {
      this.polls++;
      const done = this.polls >= 3;
      return { executionArn: EXECUTION, status: done ? this.end.status : 'RUNNING', startDate: new Date(0), stopDate: done ? new Date(5000) : undefined, output: done ? JSON.stringify(this.end.output) : undefined, error: this.end.error, cause: this.end.cause };
    }
    // Newest first, two a page: the command must page back until an event it has seen.
    const visible = this.history.slice(0, this.polls * 3).reverse();
    const from = Number(cmd.input.nextToken ?? 0);
    const page = visible.slice(from, from + 2);
    return { events: page, nextToken: from + 2 < visible.length ? String(from + 2) : undefined };
  }

  ofType<T>(type: new (...args: never[]) => T): T[] {
    return this.sent.filter((c): c is T => c instanceof type);
  }
}

function context(stub: StubStepFunctions, env: NodeJS.ProcessEnv = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  err.on('data', (d: Buffer) => (text.err += d.toString()));
  const regions: string[] = [];
  const ctx: CliContext = { out, err, env, tty: false, signal: new AbortController().signal, stepFunctions: (region) => (regions.push(region), stub) };
  return { ctx, text, regions };
}

const ingest = (argv: string[], ctx: CliContext) => command.run(parseCommandArgs(command, argv), ctx);

test('a manual run: StartExecution with the input Plan expects, followed to the end with progress and a summary', async () => {
  const stub = new StubStepFunctions({ status: 'SUCCEEDED', output: { ...plan, result: { commit } } });
  const { ctx, text, regions } = context(stub);
  const code = await ingest(['--aws', '--state-machine', ARN, '--name', 'nightly-25', '--poll-ms', '10', 's3://example-ml-predictions/recs/2026-11-25/', '--version', 'v25', '--order-key', '2026-11-25T02:00:00Z'], ctx);
  expect(code).toBe(0);
  expect(regions).toEqual(['eu-west-1']);
  const [start, ...others] = stub.ofType(StartExecutionCommand);
  expect(others).toEqual([]);
  expect(start!.input).toEqual({ stateMachineArn: ARN, name: 'nightly-25', input: expect.any(String) });
  expect(JSON.parse(start!.input.input!)).toEqual({ s3Uri: 's3://example-ml-predictions/recs/2026-11-25/', version: 'v25', orderKey: '2026-11-25T02:00:00Z' });
  expect(stub.ofType(GetExecutionHistoryCommand)[0]!.input).toMatchObject({ executionArn: EXECUTION, reverseOrder: true, includeExecutionData: true });
  expect(text.err).toContain(`started execution ${EXECUTION}`);
  expect(text.err).toContain('loading version v25 of recommendations: 3 objects, 3.0 MiB, 3 chunks');
  expect(text.err).toMatch(/ {2}3\/3 chunks, 3,000 records, 3 bad/);
  expect(text.out).toMatch(/^version v25 of recommendations is live: 3,000 records \(3 bad\) from 3 objects \(3\.0 MiB\) in 3 chunks, live in [\d.]+ s/);
  expect(text.out).toContain('it replaced version v24');
  expect(text.out).toContain('  s3://b/recs/x.out at byte 12: malformed JSON');
});

test('a completion event is sent as it is; --detach prints the execution and returns', async () => {
  const stub = new StubStepFunctions({ status: 'SUCCEEDED' });
  const { ctx, text } = context(stub, { SLUICE_STATE_MACHINE_ARN: ARN });
  expect(await ingest(['--aws', '--event', 'events/sagemaker-transform-completed.json', '--detach'], ctx)).toBe(0);
  expect(stub.sent).toHaveLength(1);
  const [start] = stub.ofType(StartExecutionCommand);
  expect(JSON.parse(start!.input.input!)).toEqual(fixture('sagemaker-transform-completed.json'));
  expect(start!.input.name).toMatch(/^sluice-cli-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  expect(text.out).toBe(`${EXECUTION}\n`);
});

test('a failed execution exits 1 with its error and cause', async () => {
  const stub = new StubStepFunctions({ status: 'FAILED', error: 'TooManyBadRecordsError', cause: '500 of 1000 records are bad' });
  const { ctx, text } = context(stub);
  expect(await ingest(['--aws', '--state-machine', ARN, '--poll-ms', '10', '--event', 'events/manual-start.json'], ctx)).toBe(1);
  expect(JSON.parse(stub.ofType(StartExecutionCommand)[0]!.input.input!)).toEqual(fixture('manual-start.json'));
  expect(text.out).toMatch(/^load failed: TooManyBadRecordsError: 500 of 1000 records are bad\n {2}version v25 was not made live/);
});

test('an execution that failed after the swap (RetireFailed) loaded all the same: exit 0, with the failure shown', async () => {
  const committed: HistoryEvent = { id: 8, type: 'TaskStateExited', timestamp: new Date(), stateExitedEventDetails: { name: 'Commit', output: JSON.stringify({ ...plan, result: { commit } }) } };
  const stub = new StubStepFunctions({ status: 'FAILED', error: 'RetireFailed', cause: 'The new version is live; retiring old versions failed' }, [...HISTORY.slice(0, 7), committed]);
  const { ctx, text } = context(stub);
  expect(await ingest(['--aws', '--state-machine', ARN, '--poll-ms', '10', 's3://example-ml-predictions/recs/'], ctx)).toBe(0);
  expect(text.out).toMatch(/^version v25 of recommendations is live: 3,000 records \(3 bad\)/);
  expect(text.out).toContain('  but then: RetireFailed: The new version is live; retiring old versions failed');
});

test('argument mistakes are usage errors (exit 2) before anything is sent; no answer from AWS is exit 3', async () => {
  const stub = new StubStepFunctions({ status: 'SUCCEEDED' });
  const { ctx } = context(stub);
  const uri = 's3://example-ml-predictions/recs/';
  await expect(ingest(['--aws', uri], ctx)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--aws needs --state-machine <arn>') });
  await expect(ingest(['--aws', '--state-machine', 'IngestStateMachine', uri], ctx)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a state machine ARN') });
  await expect(ingest(['--aws', '--state-machine', ARN, 'package.json'], ctx)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--aws loads from S3') });
  await expect(ingest(['--aws', '--state-machine', ARN, '--name', 'no spaces', uri], ctx)).rejects.toMatchObject({ exitCode: 2 });
  await expect(ingest(['--aws', '--state-machine', ARN, '--event', 'events/sagemaker-transform-completed.json', '--order-key', '1'], ctx)).rejects.toMatchObject({ exitCode: 2 });
  expect(stub.sent).toEqual([]);

  const offline: StepFunctions = { send: async () => Promise.reject(new Error('getaddrinfo ENOTFOUND states.eu-west-1.amazonaws.com')) };
  const { ctx: ctx2 } = context(stub);
  await expect(ingest(['--aws', '--state-machine', ARN, uri], { ...ctx2, stepFunctions: () => offline })).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('cannot reach AWS Step Functions') });
});

test('an execution that ended Held (a release check failed) exits 7 with the failed checks', async () => {
  const checks = { passed: false, checks: [{ name: 'record-count-min', outcome: 'fail', value: 3000, threshold: '>= 5000', detail: '3000 records loaded; at least 5000 required' }] };
  const held = { ...commit, outcome: 'held', previous: 'v24', checks, held: { reason: 'checks-failed', notification: { subject: 's', message: 'm' } } };
  const stub = new StubStepFunctions({ status: 'SUCCEEDED', output: { ...plan, result: { commit: held } } });
  const { ctx, text } = context(stub);
  expect(await ingest(['--aws', '--state-machine', ARN, '--poll-ms', '10', 's3://example-ml-predictions/recs/'], ctx)).toBe(7);
  expect(text.out).toMatch(/^version v25 of recommendations is held, not live: a release check failed; 3,000 records \(3 bad\)/);
  expect(text.out).toContain('  record-count-min: 3000 (threshold >= 5000): 3000 records loaded; at least 5000 required');
  expect(text.out).toContain('the live version v24 is untouched; sluice promote v25 --dataset recommendations makes it live');
});
