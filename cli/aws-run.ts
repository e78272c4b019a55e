// A load in AWS: StartExecution on the deployed state machine, then follow it to the end by
// polling DescribeExecution and reading new history events (Plan's output gives the chunk
// count, each LoadChunk exit one chunk's records), with the same progress display and summary
// as a local run.
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionOutput,
  type GetExecutionHistoryOutput,
  type HistoryEvent,
  type StartExecutionOutput,
} from '@aws-sdk/client-sfn';
import { randomBytes } from 'node:crypto';
import type { CommitResult } from '../functions/pipeline/commit-version.js';
import type { PlanResult } from '../functions/pipeline/plan-load.js';
import type { StepFunctions } from './aws-clients.js';
import { CliError, EXIT, UsageError } from './command.js';
import type { Progress } from './progress.js';
import { reportFromFailure, reportFromOutput, type IngestReport } from './report.js';
import { sleep } from './sleep.js';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** The region a state machine lives in, from its ARN. */
export function regionOf(stateMachineArn: string): string {
  const m = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!m) throw new UsageError(`${JSON.stringify(stateMachineArn)} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>); take StateMachineArn from the stack outputs`);
  return m[1]!;
}

export function executionName(given: string | undefined, now = new Date()): string {
  if (given !== undefined) {
    if (!EXECUTION_NAME.test(given)) throw new UsageError(`--name ${JSON.stringify(given)} must be 1-80 letters, digits, '-' or '_'`);
    return given;
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `sluice-cli-${stamp}-${randomBytes(3).toString('hex')}`;
}

function unreachable(err: unknown): never {
  const e = err as Error & { $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode === undefined) throw new CliError(`cannot reach AWS Step Functions: ${e.message}`, EXIT.UNREACHABLE, { cause: err });
  throw new CliError(`Step Functions refused the request: ${e.name}: ${e.message}`, EXIT.FAILED, { cause: err });
}

export async function startExecution(sfn: StepFunctions, stateMachineArn: string, name: string, input: unknown): Promise<string> {
  const out = (await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })).catch(unreachable)) as StartExecutionOutput;
  if (!out.executionArn) throw new CliError('StartExecution returned no executionArn', EXIT.FAILED);
  return out.executionArn;
}

/** History events after `afterId`, oldest first (read newest first until a known one). */
async function newEvents(sfn: StepFunctions, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const found: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 500, nextToken, includeExecutionData: true })).catch(unreachable)) as GetExecutionHistoryOutput;
    for (const e of page.events ?? []) {
      if ((e.id ?? 0) <= afterId) return found.reverse();
      found.push(e);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return found.reverse();
}

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

export async function followExecution(sfn: StepFunctions, executionArn: string, progress: Progress, options: { pollMs: number; signal?: AbortSignal }): Promise<IngestReport> {
  const started = Date.now();
  let lastId = 0;
  let plan: PlanResult | undefined;
  let commit: CommitResult | undefined;
  for (;;) {
    const d = (await sfn.send(new DescribeExecutionCommand({ executionArn })).catch(unreachable)) as DescribeExecutionOutput;
    for (const e of await newEvents(sfn, executionArn, lastId)) {
      lastId = Math.max(lastId, e.id ?? 0);
      if (e.type !== 'TaskStateExited') continue;
      const name = e.stateExitedEventDetails?.name;
      const output = parse(e.stateExitedEventDetails?.output) as Record<string, unknown> | undefined;
      if (name === 'Plan' && output?.action === 'load') {
        plan = output as unknown as PlanResult;
        progress.planned({ dataset: plan.dataset, version: plan.version, chunks: plan.chunkCount, objects: plan.objects, bytes: plan.totalBytes });
      } else if (name === 'LoadChunk' && output) {
        progress.chunkDone({ records: Number(output.records ?? 0), badRecords: Number(output.badRecords ?? 0) });
      } else if (name === 'Commit' && output) {
        commit = (output.result as { commit?: CommitResult } | undefined)?.commit;
      }
    }
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      progress.finish();
      const ms = (d.stopDate?.getTime() ?? Date.now()) - (d.startDate?.getTime() ?? started);
      if (d.status === 'SUCCEEDED') return reportFromOutput(parse(d.output), executionArn, ms);
      return reportFromFailure({
        execution: executionArn,
        ms,
        plan,
        commit,
        error: d.error ?? d.status,
        cause: d.cause ?? `the execution ended ${d.status}`,
        badRecords: progress.badRecords,
        samples: [],
      });
    }
    await sleep(options.pollMs, options.signal);
    if (options.signal?.aborted) {
      progress.finish();
      throw new CliError(`stopped following; the execution goes on in AWS: ${executionArn}`, EXIT.INTERRUPTED);
    }
  }
}
