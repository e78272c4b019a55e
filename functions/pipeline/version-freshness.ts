// How old the data each dataset serves is. The age is that of the live version's data: from
// when its load finished (loadedAt, which a rollback keeps; committedAt for versions loaded
// before loadedAt existed) to now. A rollback to an older version therefore makes the dataset
// older, which is the point: readers get older predictions. Read-only.
import type { PipelineDeps } from './deps.js';

export interface DatasetFreshness {
  dataset: string;
  /** null when nothing is live: such a dataset has no age. */
  liveVersion: string | null;
  /** ISO-8601: when the live version's load finished. */
  loadedAt?: string;
  ageHours?: number;
}

type FreshnessDeps = Pick<PipelineDeps, 'dataset' | 'versions' | 'now'>;

export async function liveVersionFreshness(deps: FreshnessDeps): Promise<DatasetFreshness> {
  const pointer = await deps.versions.current();
  if (!pointer) return { dataset: deps.dataset, liveVersion: null };
  const fields = (await deps.versions.get(pointer.version))?.fields ?? {};
  const loaded = Number(fields.loadedAt || fields.committedAt);
  if (!Number.isFinite(loaded) || loaded <= 0) return { dataset: deps.dataset, liveVersion: pointer.version };
  const ageHours = Math.max(0, deps.now() - loaded) / 3_600_000;
  return { dataset: deps.dataset, liveVersion: pointer.version, loadedAt: new Date(loaded).toISOString(), ageHours: Math.round(ageHours * 1000) / 1000 };
}
