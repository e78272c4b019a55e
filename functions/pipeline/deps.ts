// What the pipeline steps need from the outside world, as narrow interfaces and plain config.
import type { LoadConfig } from '../config.js';
import type { MemoryProbe } from '../adapters/cluster-memory.js';
import type { ClusterBulkWriter } from '../adapters/cluster-writer.js';
import type { ObjectStore } from '../adapters/object-store.js';
import type { VersionStore } from '../adapters/version-store.js';
import type { DatasetSpec } from '../domain/dataset-spec.js';
import type { RecordShape } from '../domain/record-shape.js';

export interface PipelineDeps {
  dataset: string;
  /** The dataset's declaration: record shape, release checks, promote mode. */
  spec: DatasetSpec;
  load: LoadConfig;
  objects: ObjectStore;
  versions: VersionStore;
  /** A fresh writer per call: each tracks its own batches and failures. */
  newWriter(): ClusterBulkWriter;
  shape: RecordShape;
  now(): number;
  /** Free memory on the Redis masters, for the pre-flight check (pipeline/preflight.ts); without it the check is skipped. */
  memory?: MemoryProbe;
}
