// Pipeline deps for unit tests: the default dataset of loadConfig({}), the in-memory version
// store and writer, objects from a map of buffers, and a clock the test moves.
import type { ByteStream, ObjectStore, StoredObject } from '../../../functions/adapters/object-store.js';
import { loadConfig } from '../../../functions/config.js';
import type { DatasetSpec } from '../../../functions/domain/dataset-spec.js';
import type { ChunkResult } from '../../../functions/domain/load-summary.js';
import { shapeFor } from '../../../functions/domain/record-shape.js';
import type { PipelineDeps } from '../../../functions/pipeline/deps.js';
import { InMemoryErasures, InMemoryVersions } from '../../support/in-memory-versions.js';

/** Objects by "bucket/key", each with etag "e". */
class InMemoryObjects implements ObjectStore {
  constructor(readonly objects: Map<string, Buffer> = new Map()) {}

  async *list(bucket: string, prefix: string): AsyncIterable<StoredObject> {
    for (const [path, body] of this.objects) if (path.startsWith(`${bucket}/${prefix}`)) yield { key: path.slice(bucket.length + 1), etag: 'e', size: body.length };
  }

  async head(bucket: string, key: string): Promise<StoredObject | null> {
    const body = this.objects.get(`${bucket}/${key}`);
    return body ? { key, etag: 'e', size: body.length } : null;
  }

  async read(bucket: string, key: string, _etag: string, offset: number, end?: number): Promise<ByteStream> {
    const body = this.objects.get(`${bucket}/${key}`)!.subarray(offset, end);
    return {
      close: () => undefined,
      async *[Symbol.asyncIterator]() {
        yield body;
      },
    };
  }
}

export interface TestPipeline {
  deps: PipelineDeps;
  versions: InMemoryVersions;
  objects: InMemoryObjects;
  clock: { now: number };
}

export function testPipeline(spec: Partial<DatasetSpec> = {}): TestPipeline {
  const config = loadConfig({});
  const full: DatasetSpec = { ...config.datasets[0]!, ...spec };
  const clock = { now: 1_000_000 };
  const versions = new InMemoryVersions(full.name, () => clock.now);
  const objects = new InMemoryObjects();
  const deps: PipelineDeps = {
    dataset: full.name,
    spec: full,
    load: { ...config.load, retainVersions: 2, graceSeconds: 60 },
    objects,
    versions,
    newWriter: versions.newWriter,
    shape: shapeFor(full, config.load.maxRecordBytes),
    now: () => clock.now,
    erasures: new InMemoryErasures(),
  };
  return { deps, versions, objects, clock };
}

/** A chunk's result as a worker records it. */
export function chunkResult(index: number, records: number): ChunkResult {
  return { index, records, badRecords: 0, bytes: records * 20, samples: [] };
}
