// Step 3: check the totals and run the release checks, then either make the version live with
// one compare-and-set, or hold it (kept, never live) when a check failed or the dataset waits
// for manual approval.
import { heldNotice, type HeldNotice, type HoldReason } from '../domain/held-notice.js';
import { assertCommittable, summarise, type BadSample } from '../domain/load-summary.js';
import type { CheckReport } from '../domain/release-checks.js';
import { VersionStateError } from '../errors.js';
import type { VersionRecord } from '../domain/version-repository.js';
import { beforeGoLive, correctHeld, plannedVersion, substitutedByChunks, swapAfterCorrections } from './before-go-live.js';
import { deleteVersion } from './delete-version.js';
import type { PipelineDeps } from './deps.js';
import { startHeartbeat } from './heartbeat.js';
import { retireAfterHold, type RetireResult } from './retire-versions.js';
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
  /** Records of erased keys the input held: skipped, never written, not bad. */
  erased: number;
  samples: BadSample[];
  /** From registration to the swap (or refusal, or hold). */
  loadMs: number;
  /** The release checks: what each measured, its threshold and outcome (and the figures stored for the next load). */
  checks: CheckReport;
  /** Held versions only: why, and the notification the state machine publishes. */
  held?: { reason: HoldReason; notification: HeldNotice };
  /** Held versions only: retention applied after the hold (older held versions retired). */
  retention?: RetireResult & { error?: string };
}

/** `observe` sees the checks' report before anything is decided on it (metrics, logs). */
export async function commitVersion(input: CommitInput, deps: PipelineDeps, observe?: (run: ReleaseCheckRun) => void): Promise<CommitResult> {
  const decided = await decidedEarlier(input, deps);
  if (decided) return decided;
  const chunkResults = await deps.versions.chunkResults(input.version);
  const summary = summarise(chunkResults, input.chunkCount);
  const substituted = substitutedByChunks(chunkResults);
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
  await beforeGoLive(deps, await plannedVersion(deps, input.version));
  if (holdReason) {
    await correctHeld(deps, input.version, substituted);
    const hold = await deps.versions.hold({ version: input.version, owner: input.owner, now, reason: holdReason, fields });
    outcome = hold.outcome;
    previous = hold.live;
    if (hold.outcome === 'held') {
      held = { reason: holdReason, notification: heldNotice({ dataset: input.dataset, version: input.version, reason: holdReason, checks: checks.checks, records: summary.records, live: hold.live }) };
    }
  } else {
    const swap = await swapAfterCorrections(deps, { version: input.version, owner: input.owner, requiredStatus: 'loading', force: false, now, fields, substituted });
    outcome = swap.outcome;
    previous = swap.previous;
  }
  // The chunks' marks served this replay; a later promote or rollback replays the whole log.
  await deps.corrections?.dropSubstituted(input.version);
  if (outcome === 'refused') await deleteRefused(input, deps, now);
  const registered = Number((await deps.versions.get(input.version))?.fields.createdAt ?? now);
  const result: CommitResult = {
    outcome,
    version: input.version,
    previous,
    records: summary.records,
    badRecords: summary.badRecords,
    erased: summary.erased,
    samples: summary.samples,
    loadMs: Math.max(0, now - registered),
    checks,
  };
  if (held) {
    result.held = held;
    result.retention = await retireAfterHold(deps);
  }
  return result;
}

/**
 * A newer version went live while this one loaded. Nobody ever read it: delete it now. The
 * claim is this execution's, so a retried commit finishes a deletion that stopped halfway.
 */
async function deleteRefused(input: CommitInput, deps: PipelineDeps, now: number, meta?: VersionRecord): Promise<void> {
  const refused = meta ?? (await deps.versions.get(input.version));
  if (refused) await deleteVersion(refused, deps, now, `commit:${input.owner}`);
}

/** Statuses of a version replaced since it went live (with committedAt), or retired from held (without). */
const REPLACED_SINCE = new Set(['superseded', 'retiring', 'retired']);

/**
 * A retried commit whose earlier attempt was refused, or swapped and was replaced since by a
 * newer version: that version may have been retired, or the refused one deleted, with its chunk
 * results, so there is nothing left to check or count. The answer comes from what the version's
 * metadata kept; a refused version's deletion is finished if it stopped halfway. (A version
 * still live, or held, takes the usual path: its swap or hold answers as the first one did.)
 */
async function decidedEarlier(input: CommitInput, deps: PipelineDeps): Promise<CommitResult | null> {
  const meta = await deps.versions.get(input.version);
  if (!meta || meta.fields.owner !== input.owner) return null;
  const refused = meta.status === 'refused';
  if (!refused && !REPLACED_SINCE.has(meta.status)) return null;
  if (!refused && meta.fields.committedAt === undefined) {
    // Held by the earlier attempt, then retired unpromoted (a newer version went live): it never went live.
    throw new VersionStateError(`version ${input.version} of ${input.dataset} was held by this execution and has been ${meta.status} since, unpromoted (a newer version went live); nothing to commit`);
  }
  const now = deps.now();
  if (refused) await deleteRefused(input, deps, now, meta);
  const checks = parseJson<CheckReport['checks']>(meta.fields.checks) ?? [];
  const records = Number(meta.fields.records ?? parseJson<{ records?: number }>(meta.fields.stats)?.records ?? 0);
  const registered = Number(meta.fields.createdAt ?? now);
  const decidedAt = Number((refused ? meta.fields.refusedAt : meta.fields.committedAt) ?? now);
  return {
    outcome: refused ? 'refused' : 'superseded',
    version: input.version,
    previous: refused ? (meta.fields.refusedBy ?? '') : ((await deps.versions.current())?.version ?? ''),
    records,
    badRecords: Number(meta.fields.badRecords ?? 0),
    erased: parseJson<{ erased?: number }>(meta.fields.stats)?.erased ?? 0,
    samples: [],
    loadMs: Math.max(0, decidedAt - registered),
    checks: { passed: !refused || checks.every((c) => c.outcome !== 'fail'), checks },
  };
}
