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
 * Keeps the live version and the newest (retain - 1) others, where the others are superseded
 * versions (rollback targets) and held versions ordered after the live one (promotable),
 * newest order key first. Beyond that count: superseded versions go once their grace has passed
 * (readers may still hold the pointer); held ones go at once (the pointer never named them).
 * A held version ordered at or before the live one can never be promoted: it goes too. Also
 * retired: failed, refused and discarded versions whose keys may remain, a retire that stopped
 * halfway, and stale loads. Running loads belong to their execution and are never touched.
 */
export function decideRetention(versions: readonly VersionInfo[], retain: number, graceMs: number, now: number): RetentionDecision {
  const retire: string[] = [];
  const deferred: string[] = [];
  const live = versions.find((v) => v.status === 'live');
  const promotable = (v: VersionInfo) => v.status === 'held' && (!live || v.orderKey > live.orderKey);
  const others = versions.filter((v) => v.status === 'superseded' || promotable(v)).sort((a, b) => b.orderKey - a.orderKey);
  const keep = Math.max(0, retain - (live ? 1 : 0));
  for (const v of others.slice(keep)) {
    if (v.status === 'superseded' && v.supersededAt !== undefined && v.supersededAt + graceMs > now) deferred.push(v.id);
    else retire.push(v.id);
  }
  for (const v of versions) {
    const leftover = v.status === 'failed' || v.status === 'refused' || v.status === 'discarded' || v.status === 'retiring';
    if (leftover || (v.status === 'held' && !promotable(v)) || (v.status === 'loading' && v.stale)) retire.push(v.id);
  }
  return { retire, deferred };
}
