// Reads pinned to one version (`?version=` or the `x-sluice-version` header): which versions
// may answer, and what a reader is told about the others. Pure: the reader fetches the fields.

/**
 * Complete versions that hold their data: the live one, retained ones (superseded, kept for
 * rollback) and held ones (complete, not yet promoted). Every other state either never held a
 * whole version (loading, failed, refused) or is losing or has lost its data (retiring,
 * retired, discarded): those answer 404.
 */
const READABLE = new Set(['live', 'superseded', 'held']);

export const VERSION_HEADER = 'x-sluice-version';
export const VERSION_PARAMETER = 'version';

/** What a pinned read needs to know about its version: its bucket count, if it may be read. */
export type PinnedVersion = { readable: true; buckets: number } | { readable: false; reason: string };

/** The metadata fields a pinned read looks at, in this order (one HMGET). */
export const PINNED_FIELDS = ['status', 'buckets', 'failedAt', 'refusedAt', 'retiredAt', 'discardedAt'] as const;

function when(ms: string | null | undefined): string {
  const n = Number(ms);
  return ms && Number.isFinite(n) ? ` on ${new Date(n).toISOString()}` : '';
}

/** Decides from the version's metadata (`values` in PINNED_FIELDS order; status null: no such version). */
export function pinnedVersion(dataset: string, version: string, values: readonly (string | null)[]): PinnedVersion {
  const [status, buckets, failedAt, refusedAt, retiredAt, discardedAt] = values;
  const name = `version ${version} of dataset ${dataset}`;
  if (!status) return { readable: false, reason: `dataset ${dataset} has no version ${version}` };
  if (READABLE.has(status)) {
    const n = Number(buckets);
    // A complete version always has its bucket count; without it no key can be found.
    if (Number.isInteger(n) && n > 0) return { readable: true, buckets: n };
    return { readable: false, reason: `${name} has no bucket count and cannot be read` };
  }
  switch (status) {
    case 'loading':
      return { readable: false, reason: `${name} is still loading; it can be read once it is complete` };
    case 'failed':
      return { readable: false, reason: `${name} failed to load${when(failedAt)}` };
    case 'refused':
      return { readable: false, reason: `${name} was refused${when(refusedAt)} (a newer version was live) and its data deleted` };
    case 'retiring':
      return { readable: false, reason: `${name} is being retired` };
    case 'retired':
      return { readable: false, reason: `${name} was retired${when(retiredAt)}` };
    case 'discarded':
      return { readable: false, reason: `${name} was discarded${when(discardedAt)}` };
    default:
      return { readable: false, reason: `${name} is ${status} and cannot be read` };
  }
}
