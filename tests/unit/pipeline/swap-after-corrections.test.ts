// The go-live path's handling of the correction log, over an in-memory log and version store
// (the Lua scripts themselves run on the real cluster in tests/statemachine/corrections.test.ts):
// apply vs supersede per the rewind window, a put that races the replay refuses the swap and is
// applied on the next pass under the fence, and a swap that can never win fails as a TransientError.
import type { CorrectedKeys, CorrectionEntry, CorrectionLog, LoggedPut } from '../../../functions/domain/corrections.js';
import { ListedKeys } from '../../../functions/domain/key-set.js';
import type { SwapOutcome } from '../../../functions/domain/version-repository.js';
import type { VersionStatus } from '../../../functions/domain/version-lifecycle.js';
import { dataKey, bucketOf } from '../../../functions/domain/key-layout.js';
import { CorrectionsMovedError, TransientError } from '../../../functions/errors.js';
import { swapAfterCorrections } from '../../../functions/pipeline/before-go-live.js';
import { InMemoryVersions } from '../../support/in-memory-versions.js';
import { testPipeline } from './fixtures.js';

const HOUR = 3_600_000;

class InMemoryLog implements CorrectionLog {
  gen = 0;
  readonly byKey = new Map<string, CorrectionEntry>();
  fenceHolder: string | null = null;
  fences = 0;
  /** Called once per entries() pass, after its page was read: a put racing the replay. */
  duringRead: (() => void) | null = null;
  constructor(private readonly honourFence = true) {}

  put(key: string, value: string, at: number): void {
    this.gen++;
    this.byKey.set(key, { key, value, at, requestId: 'r', gen: this.gen });
  }
  async log(entries: readonly { key: string; value: string }[], at: number): Promise<LoggedPut | null> {
    if (this.fenceHolder && this.honourFence) return null;
    for (const e of entries) this.put(e.key, e.value, at);
    return { gen: this.gen, targets: [] };
  }
  async fence(version: string): Promise<number> {
    this.fenceHolder = version;
    this.fences++;
    return this.gen;
  }
  async unfence(version: string): Promise<void> {
    if (this.fenceHolder === version) this.fenceHolder = null;
  }
  async generation(): Promise<number> {
    return this.gen;
  }
  async *entries(): AsyncIterable<CorrectionEntry[]> {
    // The page is read, then a put lands before the swap: the read missed it.
    const page = [...this.byKey.values()];
    this.duringRead?.();
    yield page;
  }
  async trim(): Promise<number> {
    return 0;
  }
  async summary() {
    return { length: this.byKey.size, oldestAt: null };
  }
  readonly marks = new Map<string, Set<string>>();
  async correctedKeys(minAt: number): Promise<CorrectedKeys> {
    return { gen: this.gen, keys: ListedKeys.of([...this.byKey.values()].filter((e) => e.at >= minAt).map((e) => e.key)) };
  }
  async entriesOf(keys: readonly string[]): Promise<(CorrectionEntry | null)[]> {
    return keys.map((k) => this.byKey.get(k) ?? null);
  }
  async markSubstituted(version: string, keys: readonly string[]): Promise<void> {
    const marks = this.marks.get(version) ?? new Set<string>();
    for (const k of keys) marks.add(k);
    this.marks.set(version, marks);
  }
  async *unsubstituted(version: string, minAt: number, afterGen: number): AsyncIterable<{ entries: CorrectionEntry[]; superseded: number }> {
    const marks = this.marks.get(version) ?? new Set<string>();
    const all = [...this.byKey.values()];
    yield { entries: all.filter((e) => e.at >= minAt && (e.gen > afterGen || !marks.has(e.key))), superseded: all.filter((e) => e.at < minAt).length };
  }
  async dropSubstituted(version: string): Promise<void> {
    this.marks.delete(version);
  }
}

/** The version store, with the SWAP script's generation check. */
class CheckedVersions extends InMemoryVersions {
  constructor(dataset: string, private readonly corrections: InMemoryLog) {
    super(dataset);
  }
  override async swap(input: { version: string; owner: string; requiredStatus: VersionStatus; force: boolean; now: number; fields: Record<string, string | number>; correctionsGen?: number }): Promise<SwapOutcome> {
    if (input.correctionsGen !== undefined && input.correctionsGen !== this.corrections.gen) throw new CorrectionsMovedError('moved');
    return super.swap(input);
  }
}

function setup(honourFence = true) {
  const p = testPipeline({ rewindWindowHours: 24 });
  const log = new InMemoryLog(honourFence);
  const versions = new CheckedVersions(p.deps.dataset, log);
  const deps = { ...p.deps, versions, newWriter: versions.newWriter, corrections: log };
  versions.seed('v1', 'live', 1000);
  versions.seed('h2', 'held', 10 * HOUR, { buckets: '4' });
  const stored = (key: string) => versions.data.get(dataKey(deps.dataset, 'h2', bucketOf(key, 4)))?.get(key);
  const promote = () => swapAfterCorrections(deps, { version: 'h2', owner: '', requiredStatus: 'held', force: false, now: 1, fields: {} });
  return { deps, log, versions, stored, promote };
}

test('a correction applies unless the version is newer than it by more than the window', async () => {
  const { log, versions, stored, promote } = setup();
  log.put('older', '[1]', 10 * HOUR - 5 * HOUR); // the job (10 h) is 5 h newer: applied
  log.put('edge', '[2]', 10 * HOUR - 24 * HOUR); // exactly the window: applied
  log.put('stale', '[3]', 10 * HOUR - 24 * HOUR - 1); // past it: the batch wins
  expect(await promote()).toMatchObject({ outcome: 'swapped' });
  expect([stored('older'), stored('edge'), stored('stale')]).toEqual(['[1]', '[2]', undefined]);
  expect((await versions.get('h2'))?.fields).toMatchObject({ correctionsApplied: '2', correctionsSuperseded: '1' });
});

test('a put that races the replay refuses the swap; the next pass applies it under the fence, which is lifted after', async () => {
  const { log, versions, stored, promote } = setup();
  log.put('a', '[1]', 9 * HOUR);
  let raced = false;
  log.duringRead = () => {
    if (raced) return;
    raced = true;
    log.put('b', '[2]', 9 * HOUR); // logged after the generation was read, before the swap
  };
  expect(await promote()).toMatchObject({ outcome: 'swapped' });
  expect([stored('a'), stored('b')]).toEqual(['[1]', '[2]']);
  expect(log.fences).toBe(1);
  expect(log.fenceHolder).toBeNull();
  expect((await versions.get('h2'))?.fields.correctionsApplied).toBe('2');
});

test('while the fence stands a put is held back (logs nothing); without it, puts on every pass starve the swap, which fails as a TransientError', async () => {
  const fenced = setup();
  await fenced.log.fence('h2');
  expect(await fenced.log.log([{ key: 'x', value: '[1]' }], 0)).toBeNull();

  const { log, promote, versions } = setup(false);
  log.duringRead = () => log.put(`k${log.gen}`, '[0]', 9 * HOUR);
  const err = await promote().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TransientError);
  expect((err as Error).name).toBe('TransientError');
  expect((err as Error).message).toMatch(/refused 5 times/);
  expect((await versions.current())?.version).toBe('v1');
  expect(log.fenceHolder).toBeNull();
});
