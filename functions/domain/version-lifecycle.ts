// Version states and the retention rule. Pure: the version store applies the decisions.

/**
 * loading -> live | held | failed | refused; held -> live (promote) | discarded | retiring;
 * live -> superseded -> live (rollback) | retiring -> retired. A loading version whose load
 * stopped heartbeating is shown as stale (`VersionInfo.stale`) but keeps the stored status
 * 'loading' until it is taken over, discarded or cleaned up.
 */
export type VersionStatus = 'loading' | 'live' | 'superseded' | 'held' | 'failed' | 'refused' | 'discarded' | 'retiring' | 'retired';

export interface VersionInfo {
  id: string;
  status: VersionStatus;
  orderKey: number;
  buckets: number;
  /** When it stopped being live (epoch ms); readers may hold it until grace has passed. */
  supersededAt?: number;
  /** Loading, but no heartbeat within the stale time: its process is gone. */
  stale?: boolean;
}

export interface RetentionDecision {
  retire: string[];
  /** Old enough to go but still inside the readers' grace period. */
  deferred: string[];
}

/**
 * Keeps the live version and (retain - 1) others: the newest held version ordered after the
 * live one (promotable), if there is one, then the newest superseded versions (rollback
 * targets). Beyond that count superseded versions go once their grace has passed (readers may
 * still hold the pointer). Held versions are bounded to one: the newest promotable one is kept
 * even when the count leaves no slot (so that an operator can always look at the last held
 * night, RETAIN_VERSIONS=1 included), every older held version goes at once (the
 * pointer never named them), and so does a held version ordered at or before the live one (it
 * can never be promoted). Also retired: failed, refused and discarded versions whose keys may
 * remain, a retire that stopped halfway, and stale loads. Running loads belong to their
 * execution and are never touched.
 *
 * What that bounds: outside a load a dataset holds at most max(retain, 2) versions' data (the
 * live one and one held version at retain 1), and a load adds its own: a cache must hold
 * max(retain, 2) + 1 copies. It holds only if retention runs whenever a version is held and
 * before a load is planned, not only after a swap.
 */
export function decideRetention(versions: readonly VersionInfo[], retain: number, graceMs: number, now: number): RetentionDecision {
  const retire: string[] = [];
  const deferred: string[] = [];
  const live = versions.find((v) => v.status === 'live');
  const promotable = (v: VersionInfo) => v.status === 'held' && (!live || v.orderKey > live.orderKey);
  const newestFirst = (a: VersionInfo, b: VersionInfo) => b.orderKey - a.orderKey;
  const [newestHeld, ...olderHeld] = versions.filter(promotable).sort(newestFirst);
  // The newest held version takes the first slot (or none, at retain 1: it is kept all the same).
  const superseded = versions.filter((v) => v.status === 'superseded').sort(newestFirst);
  const slots = Math.max(0, retain - (live ? 1 : 0) - (newestHeld ? 1 : 0));
  for (const v of superseded.slice(slots)) {
    if (v.supersededAt !== undefined && v.supersededAt + graceMs > now) deferred.push(v.id);
    else retire.push(v.id);
  }
  for (const v of olderHeld) retire.push(v.id);
  for (const v of versions) {
    const leftover = v.status === 'failed' || v.status === 'refused' || v.status === 'discarded' || v.status === 'retiring';
    if (leftover || (v.status === 'held' && !promotable(v)) || (v.status === 'loading' && v.stale)) retire.push(v.id);
  }
  return { retire, deferred };
}
