// Brings a version about to go live up to date with the correction log (invariant 12): every
// logged correction is written into it, unless the version's job was created more than the
// dataset's rewind window after the correction (then the batch supersedes it). Written as a chunk
// writes (bucketed HSETs per master, then the replicas' acknowledgement), so what goes live with
// the swap survives a failover as the load's own records do, but packed: many HSETs per script
// call, since the replay runs in one process on the swap's critical path. After a load whose
// chunks wrote the corrections of their keys themselves, only what they left is replayed.
import { correctionApplies, rewindWindowMs, type CorrectionEntry, type CorrectionLog } from '../domain/corrections.js';
import { DEFAULT_REWIND_WINDOW_HOURS } from '../domain/dataset-spec.js';
import { bucketOf, dataKey } from '../domain/key-layout.js';
import type { HsetCommand } from '../domain/bulk-writer.js';
import type { PipelineDeps } from './deps.js';

export interface ReplayTarget {
  version: string;
  /** The version's order key: its job's creation time (or a manual run's time), epoch ms. */
  orderKey: number;
  buckets: number;
  /** Entries of this generation or older were applied by an earlier pass: skip them. */
  appliedUpTo?: number;
  /**
   * A load whose chunks wrote corrections in place of the batch's records (load-chunk.ts): the
   * oldest log generation a chunk read. Entries its chunks marked, of this generation or older,
   * are in the version; only the rest is replayed.
   */
  substitutedUpTo?: number;
}

export interface ReplayResult {
  /** The log's generation read before its entries: every correction up to it is in this version now. */
  gen: number;
  applied: number;
  superseded: number;
}

type ReplayDeps = Pick<PipelineDeps, 'dataset' | 'spec' | 'newWriter'> & { corrections: CorrectionLog };

export function windowOf(deps: Pick<PipelineDeps, 'spec'>): number {
  return rewindWindowMs(deps.spec.rewindWindowHours ?? DEFAULT_REWIND_WINDOW_HOURS);
}

export async function replayCorrections(deps: ReplayDeps, target: ReplayTarget): Promise<ReplayResult> {
  // The generation first: a put logged while we read moves it past this, and the swap then waits.
  const gen = await deps.corrections.generation();
  const windowMs = windowOf(deps);
  const after = target.appliedUpTo ?? 0;
  const writer = deps.newWriter({ packed: true });
  let applied = 0;
  let superseded = 0;
  for await (const page of pagesToReplay(deps, target, windowMs)) {
    superseded += page.superseded;
    const commands: HsetCommand[] = [];
    for (const e of page.entries) {
      if (e.gen <= after) continue;
      if (!correctionApplies(target.orderKey, e.at, windowMs)) {
        superseded++;
        continue;
      }
      commands.push({ op: 'hset', key: dataKey(deps.dataset, target.version, bucketOf(e.key, target.buckets)), field: e.key, value: e.value });
    }
    applied += commands.length;
    if (commands.length > 0) await writer.write(commands);
  }
  await writer.flush();
  await writer.awaitReplicas();
  return { gen, applied, superseded };
}

/** The whole log; or, after chunks that substituted, only the entries they left (found from key lists, CorrectionLog.unsubstituted). */
async function* pagesToReplay(deps: ReplayDeps, target: ReplayTarget, windowMs: number): AsyncIterable<{ entries: CorrectionEntry[]; superseded: number }> {
  if (target.substitutedUpTo !== undefined && target.appliedUpTo === undefined) {
    yield* deps.corrections.unsubstituted(target.version, target.orderKey - windowMs, target.substitutedUpTo);
    return;
  }
  for await (const entries of deps.corrections.entries()) yield { entries, superseded: 0 };
}
