// Release control: the checks a complete load must pass before it may go live unattended.
// Pure: the measured figures come in, a report comes out. Each check records what it measured,
// against which threshold, and its outcome, so an operator can see why a version was held.
import type { InputCompleteness } from './input-completeness.js';
import { lengthQuantile, type VersionStats } from './load-stats.js';

type CheckOutcome = 'pass' | 'fail' | 'skipped';

export interface CheckResult {
  /** Stable name (metrics, the state machine's output, `sluice status`), e.g. 'record-count-min'. */
  name: string;
  outcome: CheckOutcome;
  /** What was measured (a count, a ratio); null when it could not be measured. */
  value: number | null;
  /** The threshold as operators read it, e.g. '>= 1000'. */
  threshold: string;
  /** One sentence: what was measured against what, and why a skip was a skip. */
  detail: string;
}

export interface CheckReport {
  /** No enabled check failed. */
  passed: boolean;
  checks: CheckResult[];
}

type DuplicatePolicy = 'reject' | 'last-wins';

/**
 * Per dataset; every check can be switched off: minRecords 0, a null threshold, duplicateKeys
 * 'last-wins', inputCompleteness false. Relative thresholds compare with the live version.
 */
export interface ReleaseCheckConfig {
  /** A load with fewer records is held. 0: off. */
  minRecords: number;
  /** Held if the record count falls by more than this share of the live count (0.5: below half). */
  maxRecordDrop: number | null;
  /** Held if the record count grows past this multiple of the live count (2: more than doubles). */
  maxRecordGrowth: number | null;
  /** Held if less than this share of sampled live keys is in the new version. */
  minLiveKeyCoverage: number | null;
  /** How many live keys the coverage check samples. */
  coverageSample: number;
  /** 'reject': any key written twice holds the version; 'last-wins': one of the writes is kept. */
  duplicateKeys: DuplicatePolicy;
  /** Ranked items: held if the share of empty lists rises by more than this (0.1 = 10 points). */
  maxEmptyListShareIncrease: number | null;
  /** Ranked items: held if the median or p99 list length shrinks or grows by more than this factor. */
  maxListLengthFactor: number | null;
  /** Feature rows: held if a declared field's null rate rises by more than this (0.1 = 10 points). */
  maxNullRateIncrease: number | null;
  /** SageMaker jobs: held unless every input object has its `.out` output. */
  inputCompleteness: boolean;
}

export const DEFAULT_RELEASE_CHECKS: ReleaseCheckConfig = {
  minRecords: 1,
  maxRecordDrop: 0.5,
  maxRecordGrowth: 2,
  minLiveKeyCoverage: 0.8,
  coverageSample: 1000,
  duplicateKeys: 'reject',
  maxEmptyListShareIncrease: 0.1,
  maxListLengthFactor: 2,
  maxNullRateIncrease: 0.1,
  inputCompleteness: true,
};

/** The live version's figures, as recorded when it loaded. */
export interface LiveFigures {
  version: string;
  /** Its record count; null if unknown. */
  records: number | null;
  /** Its stats; null for versions loaded before stats were recorded. */
  stats: VersionStats | null;
}

/** What the finished load measured. */
export interface MeasuredLoad {
  stats: VersionStats;
  /** A few keys that were written more than once. */
  duplicateSamples: string[];
  /** null: no live version. */
  live: LiveFigures | null;
  /** Sampled live keys and how many the new version holds; null when not measured. */
  coverage: { sampled: number; present: number } | null;
  /** null: not a SageMaker job (nothing to compare the outputs with). */
  inputs: InputCompleteness | null;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const round = (x: number) => Math.round(x * 10_000) / 10_000;

export function evaluateChecks(config: ReleaseCheckConfig, measured: MeasuredLoad): CheckReport {
  const checks: CheckResult[] = [];
  const add = (c: CheckResult) => checks.push(c);
  const skip = (name: string, threshold: string, detail: string) => add({ name, outcome: 'skipped', value: null, threshold, detail });
  const { stats, live } = measured;
  // Records of erased keys were in the input but are never stored: the count checks compare the
  // input's size (stored + erased) on both sides, so an erasure never counts against a load.
  const erased = stats.erased ?? 0;
  const records = stats.records + erased;
  const erasedNote = erased > 0 ? ` (${erased} of them erased keys, skipped)` : '';

  if (config.minRecords > 0) {
    add({
      name: 'record-count-min',
      outcome: records >= config.minRecords ? 'pass' : 'fail',
      value: records,
      threshold: `>= ${config.minRecords}`,
      detail: `${records} records loaded${erasedNote}; at least ${config.minRecords} required`,
    });
  }

  if (config.maxRecordDrop !== null || config.maxRecordGrowth !== null) {
    const low = config.maxRecordDrop === null ? 0 : 1 - config.maxRecordDrop;
    const high = config.maxRecordGrowth ?? Infinity;
    const threshold = `${low}x to ${high}x of live`;
    const liveRecords = live?.records == null ? null : live.records + (live.stats?.erased ?? 0);
    if (!live || liveRecords === null || liveRecords === 0) skip('record-count-change', threshold, live ? `live version ${live.version} has no recorded record count` : 'no live version to compare with');
    else {
      const ratio = records / liveRecords;
      add({
        name: 'record-count-change',
        outcome: ratio < low || ratio > high ? 'fail' : 'pass',
        value: round(ratio),
        threshold,
        detail: `${records} records${erasedNote} against ${liveRecords} in live version ${live.version} (${round(ratio)}x)`,
      });
    }
  }

  if (config.minLiveKeyCoverage !== null) {
    const threshold = `>= ${config.minLiveKeyCoverage}`;
    const c = measured.coverage;
    if (!live) skip('live-key-coverage', threshold, 'no live version to compare with');
    else if (!c || c.sampled === 0) skip('live-key-coverage', threshold, `no keys could be sampled from live version ${live.version}`);
    else {
      const share = c.present / c.sampled;
      add({
        name: 'live-key-coverage',
        outcome: share < config.minLiveKeyCoverage ? 'fail' : 'pass',
        value: round(share),
        threshold,
        detail: `${c.present} of ${c.sampled} keys sampled from live version ${live.version} are in this version (${pct(share)})`,
      });
    }
  }

  {
    const reject = config.duplicateKeys === 'reject';
    const named = measured.duplicateSamples.length > 0 ? `, e.g. ${measured.duplicateSamples.slice(0, 5).map((k) => JSON.stringify(k)).join(', ')}` : '';
    add({
      name: 'duplicate-keys',
      outcome: reject && stats.duplicates > 0 ? 'fail' : 'pass',
      value: stats.duplicates,
      threshold: reject ? '= 0' : 'any (last-wins)',
      detail:
        stats.duplicates === 0
          ? `${stats.written} records written, all with distinct keys`
          : `${stats.written} records written for ${records} distinct keys: ${stats.duplicates} were duplicates${named}` +
            (reject ? '' : '; one write per key was kept (which one is not defined)'),
    });
  }

  evaluateShape(config, measured, add, skip);

  if (config.inputCompleteness && measured.inputs) {
    const i = measured.inputs;
    if (i.error !== undefined) {
      add({ name: 'input-completeness', outcome: 'fail', value: null, threshold: 'missing = 0', detail: `the job's input could not be listed, so completeness is unknown: ${i.error}` });
    } else {
      add({
        name: 'input-completeness',
        outcome: i.missing > 0 ? 'fail' : 'pass',
        value: i.missing,
        threshold: 'missing = 0',
        detail:
          i.missing === 0
            ? `all ${i.inputs} input objects have their output`
            : `${i.missing} of ${i.inputs} input objects have no output, e.g. ${i.missingSamples.join(', ')}`,
      });
    }
  }
  return { passed: checks.every((c) => c.outcome !== 'fail'), checks };
}

function evaluateShape(
  config: ReleaseCheckConfig,
  measured: MeasuredLoad,
  add: (c: CheckResult) => void,
  skip: (name: string, threshold: string, detail: string) => void,
): void {
  const { stats, live } = measured;
  const before = live?.stats ?? null;
  const why = !live ? 'no live version to compare with' : `live version ${live.version} has no recorded stats`;

  if (stats.lists) {
    const lists = stats.lists;
    if (config.maxEmptyListShareIncrease !== null) {
      const limit = config.maxEmptyListShareIncrease;
      const threshold = `<= live + ${limit}`;
      const share = lists.lists === 0 ? 0 : lists.empty / lists.lists;
      if (!before?.lists) skip('empty-list-share', threshold, why);
      else {
        const was = before.lists.lists === 0 ? 0 : before.lists.empty / before.lists.lists;
        add({
          name: 'empty-list-share',
          outcome: share - was > limit ? 'fail' : 'pass',
          value: round(share),
          threshold: `<= ${round(was + limit)} (live ${round(was)} + ${limit})`,
          detail: `${pct(share)} of lists are empty against ${pct(was)} in live version ${live!.version}`,
        });
      }
    }
    if (config.maxListLengthFactor !== null) {
      const f = config.maxListLengthFactor;
      for (const [name, q] of [['list-length-median', 0.5], ['list-length-p99', 0.99]] as const) {
        const threshold = `within ${f}x of live`;
        const now = lengthQuantile(lists, q);
        const was = before?.lists ? lengthQuantile(before.lists, q) : null;
        if (now === null || was === null) {
          skip(name, threshold, now === null ? 'no lists were loaded' : why);
          continue;
        }
        // A zero length cannot be divided by: any change from or to 0 counts as out of range.
        const ok = was === 0 ? now === 0 : now * f >= was && now <= was * f;
        add({ name, outcome: ok ? 'pass' : 'fail', value: now, threshold: `${was / f} to ${was * f} (live ${was}, factor ${f})`, detail: `${q === 0.5 ? 'median' : 'p99'} list length ${now} against ${was} in live version ${live!.version}` });
      }
    }
  }

  if (stats.nulls && config.maxNullRateIncrease !== null) {
    const limit = config.maxNullRateIncrease;
    for (const [field, n] of Object.entries(stats.nulls.nulls)) {
      const name = `null-rate:${field}`;
      const rate = stats.nulls.rows === 0 ? 0 : n / stats.nulls.rows;
      const beforeNulls = before?.nulls;
      if (!beforeNulls || beforeNulls.nulls[field] === undefined) {
        skip(name, `<= live + ${limit}`, beforeNulls ? `live version ${live!.version} did not declare field ${field}` : why);
        continue;
      }
      const was = beforeNulls.rows === 0 ? 0 : beforeNulls.nulls[field]! / beforeNulls.rows;
      add({
        name,
        outcome: rate - was > limit ? 'fail' : 'pass',
        value: round(rate),
        threshold: `<= ${round(was + limit)} (live ${round(was)} + ${limit})`,
        detail: `${pct(rate)} of rows have ${field} null against ${pct(was)} in live version ${live!.version}`,
      });
    }
  }
}
