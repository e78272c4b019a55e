// The load's key filter (key-filter.ts) may let an absent key through, never stop a present one:
// a false negative would load an erased user or lose a correction.
import fc from 'fast-check';
import { KeyFilter, MAYBE_CORRECTED, MAYBE_ERASED } from '../../../functions/domain/key-filter.js';
import { bucketOf, keyHash } from '../../../functions/domain/key-layout.js';
import { ListedKeys } from '../../../functions/domain/key-set.js';
import { propertyRuns } from '../../support/property-runs.js';

test('every key of either set gets its own bit, whatever the keys (no false negatives)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 300 }), fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 300 }), (erased, corrected) => {
      const filter = KeyFilter.of(ListedKeys.of(erased), ListedKeys.of(corrected));
      if (erased.length + corrected.length === 0) return expect(filter).toBeNull();
      for (const key of erased) expect(filter!.probe(keyHash(key)) & MAYBE_ERASED).toBe(MAYBE_ERASED);
      for (const key of corrected) expect(filter!.probe(keyHash(key)) & MAYBE_CORRECTED).toBe(MAYBE_CORRECTED);
    }),
    { numRuns: propertyRuns(200) },
  );
});

test('most absent keys are answered by the filter alone, and a set is asked only for its own bit', () => {
  const erased = ListedKeys.of(Array.from({ length: 100_000 }, (_, i) => `erased-${i}`));
  const corrected = ListedKeys.of(Array.from({ length: 100_000 }, (_, i) => `u${i * 10}`));
  const filter = KeyFilter.of(erased, corrected)!;
  let erasedBit = 0;
  let correctedBit = 0;
  const absent = 200_000;
  for (let i = 0; i < absent; i++) {
    const bits = filter.probe(keyHash(`absent-${i}`));
    if (bits & MAYBE_ERASED) erasedBit++;
    if (bits & MAYBE_CORRECTED) correctedBit++;
  }
  // 16 slots per key: about 1 in 32 absent keys finds each set's bit set.
  expect(erasedBit / absent).toBeLessThan(0.06);
  expect(correctedBit / absent).toBeLessThan(0.06);
  expect(erasedBit).toBeGreaterThan(0);
});

test('built once per pair of sets, and again when either set is replaced', () => {
  const erased = ListedKeys.of(['a']);
  const corrected = ListedKeys.of(['b']);
  expect(KeyFilter.of(erased, corrected)).toBe(KeyFilter.of(erased, corrected));
  expect(KeyFilter.of(erased, ListedKeys.of(['b']))).not.toBe(KeyFilter.of(erased, corrected));
  expect(KeyFilter.of(ListedKeys.of([]), ListedKeys.of([]))).toBeNull();
});

test('the hash is FNV-1a over UTF-16 code units, as buckets have always been placed (readers of older versions rely on it)', () => {
  // Figures from an independent implementation (Python, over the key's UTF-16 code units).
  expect([keyHash('user-1'), keyHash('u0'), keyHash('\u{1F600}k')]).toEqual([4115888500, 54699616, 2992166953]);
  expect([bucketOf('user-1', 97), bucketOf('u0', 97), bucketOf('\u{1F600}k', 4096)]).toEqual([20, 55, 2089]);
  expect(bucketOf('user-1', 97, keyHash('user-1'))).toBe(20);
});
