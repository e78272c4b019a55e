// The keys a load's chunks check every record against, read once by Plan and stored beside the
// version (adapters/load-key-snapshots.ts says what that saves). A chunk container takes them as
// the stores' caches and the key filter built over them; the stores still compare their
// generation on every chunk, so an erase, unerase or put after the Plan is seen as before (the
// store then lists the keys itself).
import { KeyFilter } from '../domain/key-filter.js';
import type { LoadKeys } from '../domain/load-keys.js';
import type { PipelineDeps } from './deps.js';
import { windowOf } from './replay-corrections.js';

type Deps = Pick<PipelineDeps, 'dataset' | 'erasures' | 'corrections' | 'loadKeys' | 'spec'>;

/**
 * Plan: the keys and filter for a version ordered at `orderKey`; null when nothing is erased or
 * corrected (the chunks then read nothing either).
 */
export async function readLoadKeys(deps: Deps, orderKey: number): Promise<LoadKeys | null> {
  if (!deps.loadKeys || !deps.erasures.tombstonesWithGeneration || !deps.corrections) return null;
  const tombstones = await deps.erasures.tombstonesWithGeneration();
  // The window as the chunks' Substitution.start computes it from the version's order key.
  const minAt = orderKey - windowOf(deps);
  const corrected = await deps.corrections.correctedKeys(minAt);
  const filter = KeyFilter.of(tombstones.keys, corrected.keys);
  if (!filter) return null;
  return {
    tombstones: { generation: tombstones.generation, keys: [...tombstones.keys] },
    corrections: { gen: corrected.gen, minAt, keys: [...corrected.keys] },
    filter: filter.bits,
  };
}

/** The last version this container took a snapshot of: its later chunks need not read it again. */
let primed = '';

/** A chunk: takes the version's snapshot as this container's caches, once per version. */
export async function primeLoadKeys(deps: Deps, version: string): Promise<void> {
  const id = `${deps.dataset}/${version}`;
  if (!deps.loadKeys || primed === id) return;
  // Only a saving: a snapshot that cannot be read leaves the stores to list the keys themselves.
  const snapshot = await deps.loadKeys.load(version).catch(() => null);
  primed = id;
  if (!snapshot || !deps.erasures.adoptTombstones || !deps.corrections?.adoptCorrectedKeys) return;
  const erased = deps.erasures.adoptTombstones(snapshot.tombstones.generation, snapshot.tombstones.keys);
  const corrected = deps.corrections.adoptCorrectedKeys(snapshot.corrections);
  KeyFilter.adopt(erased, corrected.keys, snapshot.filter);
}
