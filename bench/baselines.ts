// The two ingestion baselines of issue 5, written as plainly as a Node engineer would, without
// Sluice's code: what the pipeline is compared against in the same run.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { Readable } from 'node:stream';
import { bucketOf, dataKey } from '../functions/domain/key-layout.js';
import { pandasTableDocument, recommendations } from '../local/sample-data.js';
import { SCORED, type PrebuiltSource } from './protocol.js';

export interface Written {
  records: number;
  bytes: number;
  ms: number;
}

/** One user's ranked items as the AWS sample's `hmset(user, {1: item, 2: item, ...})` writes them. */
function rankFields(items: readonly unknown[]): Record<string, string> {
  const fields: Record<string, string> = {};
  items.forEach((item, i) => (fields[i + 1] = typeof item === 'string' ? item : JSON.stringify(item)));
  return fields;
}

async function* jsonLines(body: Readable): AsyncGenerator<{ userId: string; recommendations: unknown[] }> {
  let rest = '';
  for await (const piece of body) {
    const lines = (rest + (piece as Buffer).toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) yield JSON.parse(line) as { userId: string; recommendations: unknown[] };
  }
}

/**
 * Baseline A, the AWS ElastiCache sample's loader: read the input, parse it (JSON Lines line by
 * line; the pandas document whole, as the sample's `json.loads` does), and write each user with
 * one awaited command (`HSET <user> 1 <item> 2 <item> ...`, its `hmset`) before the next. Stops
 * after `limit` records: the rate is flat, and 1M records would take minutes.
 */
export async function oneAwaitedWritePerRecord(
  redis: Cluster,
  s3: S3Client,
  o: { bucket: string; keys: string[]; format: 'jsonl' | 'pandas'; limit: number; prefix: string },
): Promise<Written> {
  const started = performance.now();
  let records = 0;
  let bytes = 0;
  for (const key of o.keys) {
    const response = await s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key }));
    const body = response.Body as Readable;
    try {
      if (o.format === 'pandas') {
        const doc = JSON.parse(await response.Body!.transformToString('utf8')) as { data: { userId: number; movieId: number[] }[] };
        bytes += response.ContentLength ?? 0;
        for (const row of doc.data) {
          if (records >= o.limit) break;
          await redis.hset(`${o.prefix}${row.userId}`, rankFields(row.movieId));
          records++;
        }
      } else {
        for await (const record of jsonLines(body)) {
          if (records >= o.limit) break;
          await redis.hset(`${o.prefix}${record.userId}`, rankFields(record.recommendations));
          records++;
        }
      }
    } finally {
      body.destroy();
    }
    if (records >= o.limit) break;
  }
  return { records, bytes, ms: performance.now() - started };
}

export interface Prebuilt {
  keys: string[];
  values: string[];
}

/** The same records as the S3 input, encoded exactly as Sluice stores them (the items array as JSON). */
export function prebuild(source: PrebuiltSource): Prebuilt {
  const keys: string[] = [];
  const values: string[] = [];
  if (source.kind === 'scored-lines') {
    for (const r of recommendations({ users: source.users, scored: SCORED })) {
      keys.push(r.userId);
      values.push(JSON.stringify(r.items));
    }
  } else {
    const doc = JSON.parse(pandasTableDocument(source.users).toString('utf8')) as { data: { userId: number; movieId: number[] }[] };
    for (const row of doc.data) {
      keys.push(String(row.userId));
      values.push(JSON.stringify(row.movieId));
    }
  }
  return { keys, values };
}

/**
 * Baseline B, the ceiling: values already encoded in memory, pipelines of `batch` commands
 * grouped by owning master and sent on that master's own connection, `inFlightPerMaster`
 * pipelines at a time per master. `buckets` writes the same HSETs Sluice writes;
 * `strings` writes one SET per record (key `sluice:<dataset>:<version>:<record key>`).
 */
export async function pipelinedCeiling(
  redis: Cluster,
  data: Prebuilt,
  o: { layout: 'buckets' | 'strings'; dataset: string; version: string; buckets: number; batch: number; inFlightPerMaster: number },
): Promise<Written> {
  const started = performance.now();
  const masters = new Map<string, Redis>();
  for (const node of redis.nodes('master')) masters.set(`${node.options.host}:${node.options.port}`, node);
  const queues = new Map<string, number[]>();
  const prefix = `sluice:${o.dataset}:${o.version}:`;
  const keyOf = (i: number): string =>
    o.layout === 'buckets' ? dataKey(o.dataset, o.version, bucketOf(data.keys[i]!, o.buckets)) : prefix + data.keys[i]!;
  const inFlight = new Map<string, Set<Promise<unknown>>>();
  let bytes = 0;
  const send = async (node: string, indexes: number[]): Promise<void> => {
    const pipeline = masters.get(node)!.pipeline();
    for (const i of indexes) {
      if (o.layout === 'buckets') pipeline.hset(keyOf(i), data.keys[i]!, data.values[i]!);
      else pipeline.set(keyOf(i), data.values[i]!);
    }
    const flying = inFlight.get(node) ?? new Set();
    inFlight.set(node, flying);
    const p = pipeline.exec().then((results) => {
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
    const tracked = p.finally(() => flying.delete(tracked));
    flying.add(tracked);
    while (flying.size >= o.inFlightPerMaster) await Promise.race(flying);
  };
  for (let i = 0; i < data.keys.length; i++) {
    bytes += data.keys[i]!.length + data.values[i]!.length;
    const key = keyOf(i);
    const node = redis.slots[calculateSlot(key)]![0]!;
    let queue = queues.get(node);
    if (!queue) queues.set(node, (queue = []));
    queue.push(i);
    if (queue.length >= o.batch) {
      queues.delete(node);
      await send(node, queue);
    }
  }
  for (const [node, queue] of queues) await send(node, queue);
  for (const flying of inFlight.values()) await Promise.all(flying);
  return { records: data.keys.length, bytes, ms: performance.now() - started };
}
