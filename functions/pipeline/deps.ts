// What the pipeline steps need from the outside world, as narrow interfaces and plain config.
import type { LoadConfig } from '../config.js';
import type { MemoryProbe } from '../adapters/cluster-memory.js';
import type { ErasureLogLocation } from '../adapters/erasure-log-writer.js';
import type { ObjectStore } from '../adapters/object-store.js';
import type { BulkWriter, WriterOptions } from '../domain/bulk-writer.js';
import type { CorrectionLog } from '../domain/corrections.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import type { ErasureRepository } from '../domain/erasure-repository.js';
import type { RecordShape } from '../domain/record-shape.js';
import type { VersionRepository } from '../domain/version-repository.js';

export interface PipelineDeps {
  dataset: string;
  /** The dataset's declaration: record shape, release checks, promote mode. */
  spec: DatasetSpec;
  load: LoadConfig;
  objects: ObjectStore;
  versions: VersionRepository;
  /** A fresh writer per call: each tracks its own batches and failures. */
  newWriter(options?: WriterOptions): BulkWriter;
  shape: RecordShape;
  now(): number;
  /** Free memory on the Redis masters, for the pre-flight check (pipeline/preflight.ts); without it the check is skipped. */
  memory?: MemoryProbe;
  /** Tombstones and suppressed items (erase-keys.ts, before-go-live.ts, the read path). */
  erasures: ErasureRepository;
  /** The durable erasure log in S3 (ERASURE_LOG_URI); absent: erase is refused, and a restore finds nothing to replay. */
  erasureLog?: ErasureLogLocation;
  /** The dataset's correction log (puts). The runtime always gives it; without it (unit tests) no version gets corrections. */
  corrections?: CorrectionLog;
}
