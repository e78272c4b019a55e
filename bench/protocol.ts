// Messages between the benchmark driver and its worker processes (node:child_process IPC).
export type LoadJob =
  /** The load Lambda's code path: fetch each planned chunk and loadChunk it, one after the other. */
  | { kind: 'sluice'; dataset: string; version: string; owner: string; chunks: number[] }
  /** The AWS sample's approach: read the objects, parse each record, one awaited HSET (rank -> item) per user. */
  | { kind: 'one-awaited-write'; bucket: string; keys: string[]; format: 'jsonl' | 'pandas'; limit: number; prefix: string }
  /** The ceiling for a Node client: pre-encoded values, pipelines of `batch` per master on its own connection. */
  | { kind: 'pipelined-ceiling'; source: PrebuiltSource; layout: 'buckets' | 'strings'; dataset: string; version: string; buckets: number; batch: number; inFlightPerMaster: number };

/** Records the ceiling baseline builds in memory before its clock starts (same records as the S3 input). */
export type PrebuiltSource = { kind: 'scored-lines'; users: number } | { kind: 'pandas-document'; users: number };

export interface LoadOutcome {
  records: number;
  bytes: number;
  ms: number;
  /** Peak resident set of the worker process so far (KiB), from /proc/self/status VmHWM. */
  peakRssKb: number;
  /** Resident set when the worker was ready, before its first job (KiB). */
  readyRssKb: number;
  /** CPU time (user + sys) the worker process spent on this job, in ms. */
  cpuMs: number;
}

export type ToWorker = { type: 'run'; id: number; job: LoadJob } | { type: 'exit' };
export type FromWorker = { type: 'ready'; rssKb: number } | { type: 'done'; id: number; outcome: LoadOutcome } | { type: 'failed'; id: number; error: string };

/** The scored JSON Lines records of issue 5: 10 items as [id, score] pairs, about 190 bytes a line. */
export const SCORED = 'pairs' as const;
