// Version states and the retention rule. Pure: the version store applies the decisions.

export type VersionStatus = 'loading' | 'live' | 'superseded' | 'failed' | 'refused' | 'retiring' | 'retired';

export interface VersionInfo {
  id: string;
  status: VersionStatus;
  orderKey: number;
  buckets: number;
  /** When it stopped being live (epoch ms); readers may hold it until grace has passed. */
  supersededAt?: number;
}

export interface RetentionDecision {
  retire: string[];
  /** Old enough to go but still inside the readers' grace period. */
  deferred: string[];
}

/**
 * Keep the live version and the newest (retain - 1) superseded ones; retire older superseded
 * versions once their grace has passed, and any failed or refused version whose keys may remain.
 * Loading versions belong to a running execution and are never touched here.
 */
export function decideRetention(versions: readonly VersionInfo[], retain: number, graceMs: number, now: number): RetentionDecision {
  const retire: string[] = [];
  const deferred: string[] = [];
  const superseded = versions.filter((v) => v.status === 'superseded').sort((a, b) => b.orderKey - a.orderKey);
  const hasLive = versions.some((v) => v.status === 'live');
  const keepSuperseded = Math.max(0, retain - (hasLive ? 1 : 0));
  for (const v of superseded.slice(keepSuperseded)) {
    if (v.supersededAt !== undefined && v.supersededAt + graceMs > now) deferred.push(v.id);
    else retire.push(v.id);
  }
  // 'retiring' means an earlier retire stopped halfway: finish it.
  for (const v of versions) if (v.status === 'failed' || v.status === 'refused' || v.status === 'retiring') retire.push(v.id);
  return { retire, deferred };
}
