// A declaration's members are checked against the ones its reader knows: a misspelt member
// ("promte", "chekcs", "delimter") would otherwise be ignored and switch a setting off without
// a word. The error names the member, where it is, and the nearest known name.
import { ConfigError } from '../errors.js';

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours each cost 1, so "chekcs" is one edit from "checks".
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name` (case ignored), if it is close enough to be a likely misspelling. */
function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return best && best.distance <= allowed ? best.name : undefined;
}

/**
 * Refuses a member of `value` that is not in `known`. `at` names the declaration (its dataset),
 * `path` where the object sits (`datasets[1].csv`).
 */
export function refuseUnknownMembers(value: Record<string, unknown>, known: readonly string[], at: string, path: string): void {
  for (const member of Object.keys(value)) {
    if (known.includes(member)) continue;
    const near = nearestName(member, known);
    const hint = near ? `; did you mean "${near}"?` : `; known members: ${known.join(', ')}`;
    throw new ConfigError(`${at}: unknown member "${member}" at ${path}${hint}`);
  }
}
