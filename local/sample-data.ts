// Sample SageMaker batch-transform output for the demo, the tests and the benchmarks:
// JSON Lines `.out` parts (ranked items with scores, optionally joined with the input
// record), and the pandas orient="table" document of the AWS ElastiCache sample.

/** Deterministic PRNG (mulberry32): the same seed gives the same data on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RecommendationOptions {
  users: number;
  itemsPerUser?: number;
  /**
   * Items with scores instead of bare ids: `true` writes {"item","score"} objects (about 370
   * bytes a line at 10 items), `'pairs'` writes [item id, score] pairs (about 190 bytes a line).
   */
  scored?: boolean | 'pairs';
  /** Wrap the model output as SageMaker does with JoinSource=Input. */
  joined?: boolean;
  seed?: number;
  /** Added to every item id, so two generated versions can be told apart. */
  itemBase?: number;
  userPrefix?: string;
}

export interface SampleRecord {
  userId: string;
  items: unknown[];
}

export function* recommendations(o: RecommendationOptions): Generator<SampleRecord> {
  const rand = prng(o.seed ?? 42);
  const n = o.itemsPerUser ?? 10;
  for (let u = 0; u < o.users; u++) {
    const items: unknown[] = [];
    let score = 1;
    for (let i = 0; i < n; i++) {
      const id = (o.itemBase ?? 0) + Math.floor(rand() * 100_000);
      score = Math.round((score - rand() * 0.09) * 10_000) / 10_000;
      items.push(o.scored === 'pairs' ? [id, score] : o.scored ? { item: `i${id}`, score } : id);
    }
    yield { userId: `${o.userPrefix ?? 'u'}${u}`, items };
  }
}

export function toJsonLine(r: SampleRecord, joined = false): string {
  if (joined) return JSON.stringify({ userId: r.userId, country: 'DE', SageMakerOutput: { recommendations: r.items } });
  return JSON.stringify({ userId: r.userId, recommendations: r.items });
}

/** Splits generated records over `parts` JSON Lines bodies, as a multi-instance transform job writes them. */
export function jsonLinesParts(o: RecommendationOptions, parts: number): Buffer[] {
  const lines: string[][] = Array.from({ length: parts }, () => []);
  let i = 0;
  for (const r of recommendations(o)) lines[i++ % parts]!.push(toJsonLine(r, o.joined));
  return lines.map((l) => Buffer.from(l.join('\n') + (l.length ? '\n' : '')));
}

export interface TransformOutputObject {
  /** Key under the job's S3OutputPath. */
  key: string;
  body: Buffer;
}

/**
 * A batch transform job's output as SageMaker writes it with SplitType=Line/AssembleWith=Line:
 * one `<input object>.out` JSON Lines object per input part (users spread over `parts`), ranked
 * items, with scores if `scored`, joined with the input record if `joined` (JoinSource=Input).
 */
export function transformOutput(o: RecommendationOptions, parts: number): TransformOutputObject[] {
  return jsonLinesParts(o, parts).map((body, i) => ({ key: `users-${String(i).padStart(5, '0')}.jsonl.out`, body }));
}

/** The AWS ElastiCache sample's three users, as its pandas orient="table" document. */
export const AWS_SAMPLE_DOCUMENT = JSON.stringify({
  schema: {
    fields: [
      { name: 'index', type: 'integer' },
      { name: 'movieId', type: 'string' },
      { name: 'userId', type: 'integer' },
    ],
    primaryKey: ['index'],
    pandas_version: '1.4.0',
  },
  data: [
    { movieId: [2012, 553, 780], userId: 1 },
    { movieId: [1704], userId: 2 },
    { movieId: [2424, 527, 3949, 1302], userId: 3 },
  ],
});

/** A pandas orient="table" document of generated users with integer movie ids (1-10 per user). */
export function pandasTableDocument(users: number, seed = 7): Buffer {
  const rand = prng(seed);
  const rows: string[] = [];
  for (let u = 1; u <= users; u++) {
    const n = 1 + Math.floor(rand() * 10);
    const movies = Array.from({ length: n }, () => 1 + Math.floor(rand() * 60_000));
    rows.push(JSON.stringify({ movieId: movies, userId: u }));
  }
  const schema = JSON.stringify(JSON.parse(AWS_SAMPLE_DOCUMENT).schema);
  return Buffer.from(`{"schema":${schema},"data":[${rows.join(',')}]}`);
}
