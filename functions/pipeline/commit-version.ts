// Step 3: check the totals and run the release checks, then either make the version live with
// one compare-and-set, or hold it (kept, never live) when a check failed or the dataset waits
// for manual approval.
import { heldNotice, type HeldNotice, type HoldReason } from '../domain/held-notice.js';
import { assertCommittable, summarise, type BadSample } from '../domain/load-summary.js';
import type { CheckReport } from '../domain/release-checks.js';
import type { PipelineDeps } from './deps.js';
import { startHeartbeat } from './heartbeat.js';
import { parseJson, runReleaseChecks, type ReleaseCheckRun } from './release-checks.js';

export interface CommitInput {
  dataset: string;
  version: string;
  owner: string;
  chunkCount: number;
}

export interface CommitResult {
  /**
   * 'held': complete, kept, not live (see `held`); the state machine notifies and ends "Held".
   * 'already-live' and 'superseded': a retried commit whose earlier attempt made it live (and,
   * for 'superseded', a newer version has replaced it since: `previous` names that one).
   */
  outcome: 'swapped' | 'already-live' | 'refused' | 'held' | 'superseded';
  version: string;
  /** The live version it replaced; for a held or refused version, the one that stays live. */
  previous: string;
  records: number;
  badRecords: number;
  samples: BadSample[];
  /** From registration to the swap (or refusal, or hold). */
  loadMs: number;
  /** The release checks: what each measured, its threshold and outcome (and the figures stored for the next load). */
  checks: CheckReport;
  /** Held versions only: why, and the notification the state machine publishes. */
  held?: { reason: HoldReason; notification: HeldNotice };
}

/** `observe` sees the checks' report before anything is decided on it (metrics, logs). */
export async function commitVersion(input: CommitInput, deps: PipelineDeps, observe?: (run: ReleaseCheckRun) => void): Promise<CommitResult> {
  const refused = await refusedEarlier(input, deps);
  if (refused) return refused;
  const summary = summarise(await deps.versions.chunkResults(input.version), input.chunkCount);
  assertCommittable(summary, deps.load.maxBadRecordRatio);
  // The checks may take a while (they compare with the live version): the load stays alive meanwhile.
  const heartbeat = startHeartbeat(input, deps);
  const checks = await runReleaseChecks({ version: input.version, summary }, deps).finally(() => heartbeat.stop());
  observe?.(checks);
  // Records are the distinct keys the version holds (the chunks' sum counts a duplicate twice).
  summary.records = checks.stats.records;
  const now = deps.now();
  const fields = { records: summary.records, badRecords: summary.badRecords, bytes: summary.bytes, samples: JSON.stringify(summary.samples), checks: JSON.stringify(checks.checks) };
  const holdReason: HoldReason | null = !checks.passed ? 'checks-failed' : deps.spec.promote === 'manual' ? 'manual-approval' : null;
  let outcome: CommitResult['outcome'];
  let previous: string;
  let held: CommitResult['held'];
  if (holdReason) {
    const hold = await deps.versions.hold({ version: input.version, owner: input.owner, now, reason: holdReason, fields });
    outcome = hold.outcome;
    previous = hold.live;
    if (hold.outcome === 'held') {
      held = { reason: holdReason, notification: heldNotice({ dataset: input.dataset, version: input.version, reason: holdReason, checks: checks.checks, records: summary.records, live: hold.live }) };
    }
  } else {
    const swap = await deps.versions.swap({ version: input.version, owner: input.owner, requiredStatus: 'loading', force: false, now, fields });
    outcome = swap.outcome;
    previous = swap.previous;
  }
  if (outcome === 'refused') await deleteRefused(input.version, deps, now);
  const registered = Number((await deps.versions.get(input.version))?.fields.createdAt ?? now);
  const result: CommitResult = {
    outcome,
    version: input.version,
    previous,
    records: summary.records,
    badRecords: summary.badRecords,
    samples: summary.samples,
    loadMs: Math.max(0, now - registered),
    checks,
  };
  if (held) result.held = held;
  return result;
}

/** A newer version went live while this one loaded. Nobody ever read it: delete it now. */
async function deleteRefused(version: string, deps: PipelineDeps, now: number): Promise<void> {
  const meta = await deps.versions.get(version);
  if (meta && (await deps.versions.beginDelete(version, now)) === 'claimed') {
    await deps.versions.deleteData(version, meta.buckets, deps.newWriter(), now);
  }
}

/**
 * A retried commit whose earlier attempt was refused: that attempt may have deleted the data
 * and the chunk results already, so there is nothing to check or count. Refused again, from
 * what the version's metadata kept; the deletion is finished if it stopped halfway.
 */
async function refusedEarlier(input: CommitInput, deps: PipelineDeps): Promise<CommitResult | null> {
  const meta = await deps.versions.get(input.version);
  if (meta?.status !== 'refused' || meta.fields.owner !== input.owner) return null;
  const now = deps.now();
  await deleteRefused(input.version, deps, now);
  const checks = parseJson<CheckReport['checks']>(meta.fields.checks) ?? [];
  const records = Number(parseJson<{ records?: number }>(meta.fields.stats)?.records ?? 0);
  const registered = Number(meta.fields.createdAt ?? now);
  return {
    outcome: 'refused',
    version: input.version,
    previous: meta.fields.refusedBy ?? '',
    records,
    badRecords: Number(meta.fields.badRecords ?? 0),
    samples: [],
    loadMs: Math.max(0, Number(meta.fields.refusedAt ?? now) - registered),
    checks: { passed: checks.every((c) => c.outcome !== 'fail'), checks },
  };
}
