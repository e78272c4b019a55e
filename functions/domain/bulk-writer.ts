// What the pipeline needs of a bulk writer: queue commands with backpressure, flush, hear of
// keys written twice, wait for replicas. adapters/cluster-writer.ts implements it on a Redis
// cluster; tests/support/in-memory-versions.ts in memory.

/** `object` and `offset` (optional) say where an HSET's record came from, for duplicate samples. */
export type HsetCommand = { op: 'hset'; key: string; field: string; value: string; object?: string; offset?: number };
/** `hdel` removes one record from a bucket (an erasure). */
export type WriteCommand = HsetCommand | { op: 'unlink'; key: string } | { op: 'hdel'; key: string; field: string };

/**
 * `packed`: many HSETs go to Redis as one script call per master (a correction replay, a put):
 * a fifth of the client's CPU per field. Such a writer reports no existing fields.
 */
export interface WriterOptions {
  packed?: boolean;
}

export interface BulkWriter {
  /** Queues commands; resolves once the writer is ready for more (backpressure). */
  write(commands: readonly WriteCommand[]): Promise<void>;
  /** Sends what is queued and waits for all of it. */
  flush(): Promise<void>;
  /** Calls `fn` for each HSET whose field already existed (a key written twice). */
  onExistingField(fn: (command: HsetCommand) => void): void;
  /** After flush(): resolves once the replicas have what this writer wrote. */
  awaitReplicas(): Promise<void>;
}
