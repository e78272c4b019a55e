// How many chunks one execution can run, derived from statemachine/ingest.asl.json. Step Functions
// keeps at most 25,000 events in an execution's history; past that the execution fails
// (Step Functions Developer Guide, "Step Functions service quotas": "Maximum execution history
// size 25,000 events", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
// Events per state, as Step Functions writes them (HistoryEvent types in the API reference,
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
//   Task    TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded|TaskFailed, TaskStateExited;
//           each retry one more TaskScheduled, TaskStarted, TaskFailed|TaskTimedOut (3).
//   Map     MapStateEntered, MapStateStarted, MapStateSucceeded|MapStateFailed, MapStateExited;
//           each iteration MapIterationStarted, MapIterationSucceeded|Failed, plus its own states.
//   Choice, Wait, Succeed, Fail, Pass: entered and exited (2; Fail writes 1, counted as 2).
//   The execution: ExecutionStarted and its end (2).
// The bound assumes the worst: every task uses every retry its Retry entries allow.
import { readFileSync } from 'node:fs';
import { MAX_GROWN_CHUNK_BYTES, MAX_MAP_ITEMS, planChunks, type InputObject } from '../../functions/domain/chunk-plan.js';
import { loadConfig } from '../../functions/config.js';
import { TooManyChunksError } from '../../functions/errors.js';
import { loadTemplate, type Obj } from './template/cfn.js';

const HISTORY_LIMIT = 25_000;

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
}
interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

const definition = JSON.parse(readFileSync(new URL('../../statemachine/ingest.asl.json', import.meta.url), 'utf8')) as Machine;

/** Retries a state may make: each retrier counts its own attempts (MaxAttempts defaults to 3). */
const retries = (s: State): number => (s.Retry ?? []).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);

/** Events of one state itself, without a Map's iterations. */
function ownEvents(s: State): number {
  switch (s.Type) {
    case 'Task':
      return 5 + 3 * retries(s);
    case 'Map':
      return 4;
    case 'Choice':
    case 'Wait':
    case 'Succeed':
    case 'Fail':
    case 'Pass':
      return 2;
    default:
      throw new Error(`no event count for state type ${s.Type}`);
  }
}

/** The most events any path from `start` can write, with `perIteration` events for each Map item times `items`. */
function longestPath(machine: Machine, start: string, items: number, seen: string[] = []): number {
  if (seen.includes(start)) throw new Error(`loop through ${start}: no bound`);
  const s = machine.States[start];
  if (!s) throw new Error(`no state ${start}`);
  let own = ownEvents(s);
  if (s.ItemProcessor) own += items * iterationEvents(s.ItemProcessor);
  const next = [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined);
  return own + Math.max(0, ...next.map((n) => longestPath(machine, n, items, [...seen, start])));
}

/** One Map iteration: started and ended, and the longest path through its states. */
const iterationEvents = (processor: { StartAt: string; States: Record<string, State> }): number => 2 + longestPath(processor, processor.StartAt, 0);

const eventsFor = (chunks: number): number => 2 + longestPath(definition, definition.StartAt, chunks);
const perChunk = eventsFor(1) - eventsFor(0);
const fixed = eventsFor(0);
const bound = Math.floor((HISTORY_LIMIT - fixed) / perChunk);

describe('the chunks one execution can run', () => {
  test('an iteration of the one-task Map costs 7 events, 3 more per retry its Retry allows; the rest of the longest path a few dozen', () => {
    const load = Object.values(definition.States).find((s) => s.Type === 'Map')!;
    const task = Object.values(load.ItemProcessor!.States);
    expect(task.map((s) => s.Type)).toEqual(['Task']);
    expect(perChunk).toBe(7 + 3 * retries(task[0]!));
    expect(fixed).toBeGreaterThan(30);
    expect(fixed).toBeLessThan(200);
  });

  test('MAX_MAP_ITEMS stays under the bound the definition allows (every retry used), and MAX_CHUNKS cannot go past it', () => {
    expect(eventsFor(bound)).toBeLessThanOrEqual(HISTORY_LIMIT);
    expect(eventsFor(bound + 1)).toBeGreaterThan(HISTORY_LIMIT);
    expect(MAX_MAP_ITEMS).toBeLessThanOrEqual(bound);
    expect(eventsFor(MAX_MAP_ITEMS)).toBeLessThanOrEqual(HISTORY_LIMIT);
    expect(loadConfig({ MAX_CHUNKS: String(MAX_MAP_ITEMS) }).load.maxChunks).toBe(MAX_MAP_ITEMS);
    expect(() => loadConfig({ MAX_CHUNKS: String(MAX_MAP_ITEMS + 1) })).toThrow(/MAX_CHUNKS/);
    expect(loadConfig({}).load.maxChunks).toBeLessThanOrEqual(MAX_MAP_ITEMS);
    const template = loadTemplate(new URL('../../template.yaml', import.meta.url));
    const env = (template.Globals?.Function?.Environment as Obj).Variables as Obj;
    expect(Number(env.MAX_CHUNKS)).toBeLessThanOrEqual(MAX_MAP_ITEMS);
  });
});

describe('Plan never plans past it', () => {
  const MiB = 1024 ** 2;
  const obj = (key: string, size: number, extra: Partial<InputObject> = {}): InputObject => ({ bucket: 'b', key, etag: `"${key}"`, size, format: 'jsonl', ...extra });

  test('objects that leave packing gaps (each 0.6 of a chunk): the chunk size grows until the plan fits', () => {
    const objects = Array.from({ length: 3000 }, (_, i) => obj(`o${i}`, Math.round(0.6 * 64 * MiB), { compression: 'gzip', expandedSize: Math.round(0.6 * 64 * MiB) }));
    const plan = planChunks(objects, 64 * MiB, 1_000_000);
    expect(plan.chunks.length).toBeLessThanOrEqual(MAX_MAP_ITEMS);
    expect(plan.chunkSizeBytes).toBeGreaterThan(64 * MiB);
    expect(plan.chunks.flatMap((c) => c.parts)).toHaveLength(3000);
  });

  test('a large plain input fits by bigger chunks, never more of them', () => {
    const plan = planChunks([obj('big', 200 * 1024 * MiB)], 64 * MiB, MAX_MAP_ITEMS);
    expect(plan.chunks.length).toBeLessThanOrEqual(MAX_MAP_ITEMS);
    expect(plan.chunkSizeBytes).toBe(Math.ceil((200 * 1024 * MiB) / MAX_MAP_ITEMS));
  });

  test('more uncuttable objects than chunks, each past half the largest chunk: refused, naming the sizes, the limit and what to do', () => {
    const size = Math.round(0.7 * MAX_GROWN_CHUNK_BYTES);
    const objects = Array.from({ length: MAX_MAP_ITEMS + 5 }, (_, i) => obj(`p${i}.gz`, size / 3, { compression: 'gzip', expandedSize: size }));
    let error: unknown;
    try {
      planChunks(objects, 64 * MiB, MAX_MAP_ITEMS);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TooManyChunksError);
    const message = (error as Error).message;
    expect(message).toContain(`needs ${MAX_MAP_ITEMS + 5} chunks even at 1024.0 MiB a chunk`);
    expect(message).toContain(`more than MAX_CHUNKS=${MAX_MAP_ITEMS}`);
    expect(message).toContain(`${MAX_MAP_ITEMS + 5} of the ${MAX_MAP_ITEMS + 5} objects cannot be cut`);
    expect(message).toContain('716.8 MiB to 716.8 MiB each');
    expect(message).toMatch(/several runs \(one per sub-prefix\)/);
    // With a configured MAX_CHUNKS above the history bound, the message names the history instead.
    expect(() => planChunks(objects, 64 * MiB, 10_000)).toThrow(/the most one execution can run \(Step Functions keeps at most 25,000 history events\)/);
  });
});
