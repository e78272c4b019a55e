// A put (corrections and additions between loads): check and shape the records as a load would,
// log them and learn the versions to write to in one atomic step (the live one and the held
// ones), then write each record into its bucket in each of them, as a chunk does, and wait for
// the replicas. One HSET of one field per record and version (packed into script calls, each HSET
// still atomic on its own): a reader sees the old record or the new one. Versions that go live
// later get the log applied first (before-go-live.ts). Erasure wins (invariant 11): the log step
// refuses an erased key, and a key erased while the put writes is deleted again afterwards.
import type { CorrectionLog } from '../domain/corrections.js';
import type { HsetCommand } from '../domain/bulk-writer.js';
import { bucketOf, dataKey } from '../domain/key-layout.js';
import { shapePut, type PutRecords } from '../domain/put-request.js';
import { ConfigError, TransientError } from '../errors.js';
import { FENCE_MS } from './before-go-live.js';
import { deleteKeys } from './delete-keys.js';

/** How long a put waits for a swap's fence: past its ttl, the fence's holder has died. */
const FENCE_WAIT_MS = FENCE_MS * 2;
import type { PipelineDeps } from './deps.js';

export interface PutResult {
  dataset: string;
  /** Records written (and logged). */
  records: number;
  /** When the put was accepted: the time the rewind window counts from. */
  at: string;
  /** The log's generation after this put. */
  generation: number;
  /** The versions written to: the live one first, then held ones. */
  versions: string[];
  /** Keys erased while the put ran: deleted again from those versions (not counted in `records`). */
  erasedMeanwhile?: string[];
  requestId: string;
}

type PutDeps = Pick<PipelineDeps, 'dataset' | 'spec' | 'shape' | 'load' | 'newWriter' | 'now' | 'corrections' | 'erasures'>;

export async function putRecords(request: PutRecords, deps: PutDeps, requestId: string): Promise<PutResult> {
  const log: CorrectionLog | undefined = deps.corrections;
  if (!log) throw new ConfigError(`dataset ${deps.dataset} has no correction log configured`);
  // Refused whole before anything is logged or written.
  const shaped = shapePut(request, deps.spec, deps.shape, deps.load.maxRecordBytes);
  const entries = shaped.map((s) => ({ key: s.key, value: s.value }));
  let at = deps.now();
  let logged = await log.log(entries, at, requestId);
  // A swap holds the fence while it applies corrections that raced it: wait for it (bounded by its ttl).
  for (const started = Date.now(); !logged; at = deps.now(), logged = await log.log(entries, at, requestId)) {
    if (Date.now() - started > FENCE_WAIT_MS) throw new TransientError(`dataset ${deps.dataset}: a version swap held corrections back for more than ${FENCE_WAIT_MS} ms; try the put again`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const writer = deps.newWriter({ packed: true });
  for (const target of logged.targets) {
    const commands: HsetCommand[] = shaped.map((s) => ({ op: 'hset', key: dataKey(deps.dataset, target.version, bucketOf(s.key, target.buckets)), field: s.key, value: s.value }));
    await writer.write(commands);
  }
  await writer.flush();
  await writer.awaitReplicas();
  // An erase that ran after the log step above but deleted before these writes landed would leave
  // its key in a version (its script also dropped the key from the log): erasure wins, delete it.
  const erased = await deps.erasures.erasedAmong(shaped.map((s) => s.key));
  await deleteKeys(deps, logged.targets, erased);
  return {
    dataset: deps.dataset,
    records: shaped.length - erased.length,
    at: new Date(at).toISOString(),
    generation: logged.gen,
    versions: logged.targets.map((t) => t.version),
    ...(erased.length > 0 ? { erasedMeanwhile: erased } : {}),
    requestId,
  };
}
