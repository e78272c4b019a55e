// Deleting single records from versions: an erasure (erase-keys.ts) and the sweep before a
// version goes live (before-go-live.ts). Redis only.
import { bucketOf, dataKey } from '../domain/key-layout.js';
import type { PipelineDeps } from './deps.js';

/**
 * Deletes `keys` from each version (HDEL on the bucket that would hold each), pipelined per
 * master through the bulk writer, and waits until the replicas have the deletions.
 */
export async function deleteKeys(deps: Pick<PipelineDeps, 'dataset' | 'newWriter'>, versions: readonly { version: string; buckets: number }[], keys: readonly string[]): Promise<void> {
  if (keys.length === 0 || versions.length === 0) return;
  const writer = deps.newWriter();
  for (const v of versions) {
    await writer.write(keys.map((k) => ({ op: 'hdel' as const, key: dataKey(deps.dataset, v.version, bucketOf(k, v.buckets)), field: k })));
  }
  await writer.flush();
  await writer.awaitReplicas();
}
