// Which objects under a prefix hold data. Spark, Hadoop, EMR, Databricks, pandas and SageMaker
// write their data beside markers, checksums and manifests; a prefix loads its data objects
// whatever their names (`.out`, `.csv`, `.gz`, `.parquet`, none) and skips those, each for a
// reason Plan can give when nothing is left. Format is settled later, from each object's bytes.

/** A skipped object and why, as a Plan that finds no data reports it. */
export interface SkippedObject {
  key: string;
  reason: string;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Why `key` (found under `prefix`) is not a data object, or null when it is one. Only the part
 * of the key below the prefix counts: a prefix that is itself under `_tmp/` still loads.
 * `suffixes`, when not empty, is an opt-in filter (OBJECT_SUFFIX): only keys ending in one load.
 */
export function skipReason(key: string, prefix: string, suffixes: readonly string[] = []): string | null {
  const relative = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  if (relative === '' || relative.endsWith('/')) return 'a folder marker (a key ending in "/")';
  const name = basename(relative);
  const lower = name.toLowerCase();
  if (name.endsWith('_$folder$')) return 'a folder marker ("_$folder$", written by Hadoop and EMR)';
  if (name === '_SUCCESS') return 'a job-success marker (_SUCCESS)';
  if (/^_(committed|started)_/.test(name)) return 'a commit marker of a transactional write (_committed_*, _started_*)';
  if (lower.endsWith('.crc')) return 'a checksum file (.crc)';
  const hidden = relative.split('/').find((part) => part.startsWith('_') || part.startsWith('.'));
  if (hidden !== undefined) {
    return hidden === name ? 'hidden (its name starts with "_" or ".")' : `in a hidden folder (${hidden}/: its name starts with "_" or ".")`;
  }
  if (lower === 'manifest' || lower.endsWith('.manifest') || lower.endsWith('manifest.json') || lower.endsWith('_manifest')) {
    return 'a manifest (manifest, *.manifest, *manifest.json), not data';
  }
  if (suffixes.length > 0 && !suffixes.some((s) => key.endsWith(s))) return `its name does not end in OBJECT_SUFFIX (${suffixes.join(', ')})`;
  return null;
}

const LISTED = 5;

/** Why a prefix gave no data objects: what was there and why each was skipped (the first few). */
export function noDataExplanation(skipped: readonly SkippedObject[], prefix: string): string {
  if (skipped.length === 0) return 'nothing is stored under it';
  const named = skipped.slice(0, LISTED).map((s) => `${s.key.startsWith(prefix) ? s.key.slice(prefix.length) : s.key}: ${s.reason}`);
  const more = skipped.length > LISTED ? `; and ${skipped.length - LISTED} more` : '';
  return `all ${skipped.length} object(s) under it were skipped as not data (${named.join('; ')}${more})`;
}
