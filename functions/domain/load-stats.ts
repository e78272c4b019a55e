// Per-load figures the release checks compare with the live version's: list lengths of ranked
// items (a bounded histogram, so a chunk's result stays small whatever the list lengths) and
// null rates of declared feature fields. Chunks collect them as they load; commit adds them up
// and stores them on the version, where the next load finds them.

export interface ListStats {
  /** Records whose list was counted. */
  lists: number;
  empty: number;
  /** Counts per length bin (see lengthBin), trailing zero bins left out. */
  lengths: number[];
}

export interface NullStats {
  rows: number;
  /** Rows holding null, per declared field. */
  nulls: Record<string, number>;
}

/** What the next load compares against, stored on the version as `stats`. */
export interface VersionStats {
  /** Distinct keys in the version. */
  records: number;
  /** Records written by the chunks (a key written twice counts twice). */
  written: number;
  duplicates: number;
  /** Records of erased keys the input held, skipped: the count checks compare records + erased (the input's size). */
  erased?: number;
  lists?: ListStats;
  nulls?: NullStats;
}

/** Lengths below this have a bin each: ranked lists are mostly short, and there exact medians matter. */
const EXACT_BINS = 128;
const SUB_BINS = 4;
const MAX_EXPONENT = 30;

/** Bin of a list length: exact below 128, then four bins per power of two (at most 227 bins). */
export function lengthBin(n: number): number {
  if (n < EXACT_BINS) return n;
  const e = Math.min(MAX_EXPONENT, 31 - Math.clz32(n)); // >= 7
  const sub = Math.min(SUB_BINS - 1, Math.floor((n / 2 ** e - 1) * SUB_BINS));
  return EXACT_BINS + (e - 7) * SUB_BINS + sub;
}

/** The smallest length a bin holds. */
export function binFloor(bin: number): number {
  if (bin < EXACT_BINS) return bin;
  const i = bin - EXACT_BINS;
  const e = 7 + Math.floor(i / SUB_BINS);
  return Math.ceil(2 ** e * (1 + (i % SUB_BINS) / SUB_BINS));
}

export function newListStats(): ListStats {
  return { lists: 0, empty: 0, lengths: [] };
}

export function countList(stats: ListStats, length: number): void {
  stats.lists++;
  if (length === 0) stats.empty++;
  const bin = lengthBin(length);
  const lengths = stats.lengths;
  while (lengths.length <= bin) lengths.push(0);
  lengths[bin]!++;
}

export function mergeListStats(into: ListStats, from: ListStats): void {
  into.lists += from.lists;
  into.empty += from.empty;
  from.lengths.forEach((n, bin) => {
    while (into.lengths.length <= bin) into.lengths.push(0);
    into.lengths[bin]! += n;
  });
}

export function mergeNullStats(into: NullStats, from: NullStats): void {
  into.rows += from.rows;
  for (const [field, n] of Object.entries(from.nulls)) into.nulls[field] = (into.nulls[field] ?? 0) + n;
}

/** The q-quantile of the counted lengths (the floor of its bin); null when nothing was counted. */
export function lengthQuantile(stats: ListStats, q: number): number | null {
  if (stats.lists === 0) return null;
  const rank = Math.max(1, Math.ceil(q * stats.lists));
  let seen = 0;
  for (let bin = 0; bin < stats.lengths.length; bin++) {
    seen += stats.lengths[bin]!;
    if (seen >= rank) return binFloor(bin);
  }
  return binFloor(stats.lengths.length - 1);
}
