import calculateSlot from 'cluster-key-slot';
import { BUCKET_INPUT_BYTES, bucketCountFor, bucketOf, controlKeys, dataKey } from '../../../functions/domain/key-layout.js';
import { assertName } from '../../../functions/domain/names.js';
import { InvalidInputError } from '../../../functions/errors.js';

describe('key layout', () => {
  test('control keys of a dataset share one slot; data keys spread over many', () => {
    const k = controlKeys('recs');
    const slots = new Set([k.current, k.versions, k.version('v1'), k.lock('v1'), k.chunkResults('v1')].map((x) => calculateSlot(x)));
    expect(slots.size).toBe(1);
    const dataSlots = new Set(Array.from({ length: 1000 }, (_, b) => calculateSlot(dataKey('recs', 'v1', b))));
    expect(dataSlots.size).toBeGreaterThan(900);
  });

  test('data keys are namespaced by dataset and version and carry no hash tag', () => {
    expect(dataKey('recs', 'job-1', 42)).toBe('sluice:recs:job-1:42');
    expect(dataKey('recs', 'job-1', 42)).not.toMatch(/[{}]/);
  });

  test('bucketOf is stable, in range, and spreads keys evenly', () => {
    expect(bucketOf('user-1', 97)).toBe(bucketOf('user-1', 97));
    const counts = new Array<number>(50).fill(0);
    for (let i = 0; i < 50_000; i++) counts[bucketOf(String(i), 50)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  test('bucket count follows input size', () => {
    expect(bucketCountFor(0)).toBe(1);
    expect(bucketCountFor(BUCKET_INPUT_BYTES)).toBe(1);
    expect(bucketCountFor(BUCKET_INPUT_BYTES + 1)).toBe(2);
  });

  test('names that could escape a namespace or form a hash tag are refused', () => {
    for (const bad of ['', 'a:b', 'a{b}', 'a*', 'x'.repeat(65), 'a b']) expect(() => assertName('version', bad)).toThrow(InvalidInputError);
    expect(() => assertName('version', 'recs-nightly_2026.11')).not.toThrow();
  });
});
