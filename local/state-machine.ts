// Runs statemachine/ingest.asl.json — the same definition Step Functions runs — in process
// with aws-local-stepfunctions, each Lambda task bound to its real handler. Used by the tests,
// the local demo and `sluice ingest`. Placeholders become fake ARNs; the task overrides
// receive the lambda:invoke parameters {FunctionName, Payload} and answer like Lambda does.
// The SNS publish task (NotifyHeld) is bound to a local handler that records the message.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalContext } from '../functions/lambda/local-context.js';
import { systemClock, type Clock } from '../cli/clock.js';

const DEFINITION_PATH = fileURLToPath(new URL('../statemachine/ingest.asl.json', import.meta.url));

/** The Task states and the functions they call. */
const TASK_FUNCTIONS = {
  Plan: 'PlanFunction',
  LoadChunk: 'LoadChunkFunction',
  Commit: 'CommitFunction',
  Retire: 'RetireFunction',
  Cleanup: 'CleanupFunction',
} as const;
export type TaskName = keyof typeof TASK_FUNCTIONS;

/** The Task states that publish to SNS (arn:aws:states:::sns:publish), and the topic placeholder they name. */
const NOTIFY_TASKS = ['NotifyHeld'] as const;
type NotifyTaskName = (typeof NOTIFY_TASKS)[number];

/** One SNS message the state machine published (locally: recorded, not sent). */
interface PublishedNotification {
  state: NotifyTaskName;
  topicArn: string;
  subject?: string;
  message: string;
}

export type TaskHandler = (payload: unknown) => Promise<unknown>;
type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

function loadDefinition(): StateMachineDefinition {
  const text = readFileSync(DEFINITION_PATH, 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) =>
    name.endsWith('TopicArn') ? `arn:aws:sns:us-east-1:000000000000:${name.replace(/Arn$/, '')}` : `arn:aws:lambda:us-east-1:000000000000:function:${name.replace(/Arn$/, '')}`,
  );
  return JSON.parse(text) as StateMachineDefinition;
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}
interface RetryingState {
  Retry?: Retrier[];
  ItemProcessor?: { States: Record<string, RetryingState> };
}

export interface RetryPolicy {
  /** Retries after the first attempt (MaxAttempts). */
  retries: number;
  /** The pause before retry number `retry` (1-based), as Step Functions computes it; `random` in [0, 1) draws the jitter. */
  pauseMs(retry: number, random?: () => number): number;
}

/** How the definition retries a TransientError thrown by each task: its Retry entry, with ASL's defaults. */
export function retryPolicies(): Record<TaskName, RetryPolicy> {
  const states = loadDefinition().States as unknown as Record<string, RetryingState>;
  const find = (task: TaskName, within: Record<string, RetryingState>): RetryingState | undefined => {
    for (const [name, state] of Object.entries(within)) {
      const found = name === task ? state : state.ItemProcessor && find(task, state.ItemProcessor.States);
      if (found) return found;
    }
    return undefined;
  };
  const policyOf = (task: TaskName): RetryPolicy => {
    const r = find(task, states)?.Retry?.find((x) => x.ErrorEquals.includes('TransientError') || x.ErrorEquals.includes('States.ALL'));
    if (!r) return { retries: 0, pauseMs: () => 0 };
    return {
      retries: r.MaxAttempts ?? 3,
      pauseMs: (retry, random = Math.random) => {
        const ms = Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** (retry - 1), r.MaxDelaySeconds ?? Infinity) * 1000;
        return r.JitterStrategy === 'FULL' ? random() * ms : ms;
      },
    };
  };
  return Object.fromEntries((Object.keys(TASK_FUNCTIONS) as TaskName[]).map((t) => [t, policyOf(t)])) as Record<TaskName, RetryPolicy>;
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The real handlers, imported lazily so that merely loading this module connects nowhere.
 * `signal` goes on each invocation's context (LocalContext): LoadChunk stops when it aborts.
 */
export async function realTaskHandlers(signal?: AbortSignal): Promise<Record<TaskName, TaskHandler>> {
  // One at a time: Jest's ES module loader mis-links modules imported concurrently.
  const plan = await import('../functions/handlers/plan.js');
  const load = await import('../functions/handlers/load-chunk.js');
  const commit = await import('../functions/handlers/commit.js');
  const retire = await import('../functions/handlers/retire.js');
  const cleanup = await import('../functions/handlers/cleanup.js');
  const bind = (h: LambdaHandler, name: TaskName): TaskHandler => (payload) => h(payload as never, { ...lambdaContext(TASK_FUNCTIONS[name]), signal } as LocalContext);
  return {
    Plan: bind(plan.handler as LambdaHandler, 'Plan'),
    LoadChunk: bind(load.handler as LambdaHandler, 'LoadChunk'),
    Commit: bind(commit.handler as LambdaHandler, 'Commit'),
    Retire: bind(retire.handler as LambdaHandler, 'Retire'),
    Cleanup: bind(cleanup.handler as LambdaHandler, 'Cleanup'),
  };
}

export interface LocalRunOptions {
  /** Replace or wrap individual tasks (tests inject failures this way). */
  handlers?: Partial<Record<TaskName, TaskHandler>>;
  executionName?: string;
  /**
   * The WaitForReaders pause in milliseconds (default: none; `sluice ingest` passes GRACE_SECONDS),
   * or a function asked when Retire is reached (`sluice ingest` skips the wait when nothing
   * waits for the grace period). It is taken on `clock` just before Retire runs (the
   * interpreter's own Wait is set to 0), so that `stop` cuts it short and a movable clock moves on
   * by it at once.
   */
  graceWaitMs?: number | (() => number);
  /** What the WaitForReaders pause waits on (default: the real clock). */
  clock?: Clock;
  /**
   * Pause before a retry in milliseconds (default 10, so tests that inject failures stay fast).
   * `sluice ingest` passes 0 and pauses in its handlers as retryPolicies says, so Ctrl-C cuts a pause short.
   */
  retryPauseMs?: number;
  /** Handed to the real handlers (see realTaskHandlers). */
  signal?: AbortSignal;
  /** Stops the execution where it is, as StopExecution does (the result is ABORTED). */
  stop?: AbortSignal;
  /** Replaces the local SNS publish (tests make it fail this way); the default records the message. */
  publish?: (notification: PublishedNotification) => Promise<void>;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  executionId: string;
  output?: unknown;
  error?: string;
  cause?: string;
  /** What the run published to SNS (NotifyHeld: a held version). */
  notifications: PublishedNotification[];
}

function graceWaitMs(wait: LocalRunOptions['graceWaitMs']): number {
  return typeof wait === 'function' ? wait() : (wait ?? 0);
}

export async function runIngestLocally(input: unknown, options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const handlers = { ...(await realTaskHandlers(options.signal)), ...options.handlers };
  const name = options.executionName ?? `local-${randomUUID()}`;
  const executionId = `arn:aws:states:us-east-1:000000000000:execution:sluice-ingest:${name}`;
  // Invocations still running: when one Map iteration fails, the execution fails while the
  // others run on, as Lambda invocations do in AWS (they find their version failed and remove
  // their writes). The run returns only once they have stopped, so that whoever closes the
  // connections or the servers next does not strand them mid-write.
  const running = new Set<Promise<unknown>>();
  // Once the execution has ended, nothing new starts: the interpreter still starts the Map
  // iterations it had queued when an iteration failed, which Step Functions does not, and one
  // started after the run returned would open a runtime that nobody closes.
  let ended = false;
  // WaitForReaders (the only way to Retire) pauses here, on the clock, once per execution: a
  // retried Retire does not wait again.
  const clock = options.clock ?? systemClock;
  let waitedForReaders = false;
  const beforeRetire = async (): Promise<void> => {
    if (waitedForReaders) return;
    waitedForReaders = true;
    const ms = graceWaitMs(options.graceWaitMs);
    if (ms <= 0) return;
    await clock.sleep(ms, options.stop);
    if (options.stop?.aborted || ended) throw new Error('Retire not started: the execution was stopped during WaitForReaders');
  };
  const asLambda = (task: TaskName) => async (params: unknown) => {
    const { Payload } = params as { Payload: unknown };
    if (ended) throw new Error(`${task} not started: the execution has ended`);
    const invocation = task === 'Retire' ? beforeRetire().then(() => handlers[task](Payload)) : handlers[task](Payload);
    running.add(invocation);
    try {
      // Lambda's output crosses a JSON boundary: do the same so nothing non-JSON leaks through.
      return { StatusCode: 200, Payload: JSON.parse(JSON.stringify((await invocation) ?? null)) as never };
    } finally {
      running.delete(invocation);
    }
  };
  const notifications: PublishedNotification[] = [];
  // sns:publish takes {TopicArn, Subject?, Message} and answers {MessageId}, as SNS does.
  const asPublish = (state: NotifyTaskName) => async (params: unknown) => {
    const p = params as { TopicArn: string; Subject?: string; Message: string };
    const notification: PublishedNotification = { state, topicArn: p.TopicArn, subject: p.Subject, message: p.Message };
    if (options.publish) await options.publish(notification);
    notifications.push(notification);
    return { MessageId: randomUUID() };
  };
  const machine = new StateMachine(loadDefinition(), { validationOptions: { checkArn: true, checkPaths: true } });
  const pause = options.retryPauseMs ?? 10;
  const execution = machine.run(input as never, {
    context: { Execution: { Id: executionId, Name: name, Input: input as never, StartTime: new Date().toISOString() } },
    overrides: {
      taskResourceLocalHandlers: {
        ...Object.fromEntries((Object.keys(TASK_FUNCTIONS) as TaskName[]).map((t) => [t, asLambda(t)])),
        ...Object.fromEntries(NOTIFY_TASKS.map((t) => [t, asPublish(t)])),
      },
      waitTimeOverrides: { WaitForReaders: 0 }, // taken before Retire, on the clock (beforeRetire)
      retryIntervalOverrides: Object.fromEntries([...(Object.keys(TASK_FUNCTIONS) as string[]), ...NOTIFY_TASKS].map((t) => [t, pause])),
    },
  });
  const stop = () => execution.abort();
  options.stop?.addEventListener('abort', stop, { once: true });
  try {
    return { status: 'SUCCEEDED', executionId, output: await execution.result, notifications };
  } catch (err) {
    if (err instanceof ExecutionAbortedError) return { status: 'ABORTED', executionId, error: 'ExecutionAborted', cause: 'stopped on request', notifications };
    if (err instanceof ExecutionError) {
      const cause = err.cause as { name?: string; message?: string } | undefined;
      return { status: 'FAILED', executionId, error: cause?.name, cause: cause?.message, notifications };
    }
    throw err;
  } finally {
    ended = true;
    options.stop?.removeEventListener('abort', stop);
    while (running.size > 0) await Promise.allSettled([...running]);
  }
}
