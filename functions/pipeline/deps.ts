// What the pipeline steps need from the outside world, as narrow interfaces and plain config.
import type { LoadConfig } from '../config.js';
import type { MemoryProbe } from '../adapters/cluster-memory.js';
import type { ObjectStore } from '../adapters/object-store.js';
import type { BulkWriter } from '../domain/bulk-writer.js';
import type { CorrectionLog } from '../domain/corrections.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
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
  newWriter(): BulkWriter;
  shape: RecordShape;
  now(): number;
  /** Free memory on the Redis masters, for the pre-flight check (pipeline/preflight.ts); without it the check is skipped. */
  memory?: MemoryProbe;
  /** The dataset's correction log (puts). The runtime always gives it; without it (unit tests) no version gets corrections. */
  corrections?: CorrectionLog;
}
