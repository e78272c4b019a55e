// The key sets a load's chunk container reads from the key lists (key-set.ts) against what the
// lists mean when parsed as JSON: a key missing from the set would load an erased user or lose a
// correction; a key in it that is not in the list would drop or replace a record it should not.
import fc from 'fast-check';
import { keyHash } from '../../../functions/domain/key-layout.js';
import { correctionListText, ListedKeys, tombstoneListText } from '../../../functions/domain/key-set.js';
import { propertyRuns } from '../../support/property-runs.js';

/** Keys of every kind: plain, unicode, with quotes, backslashes, control characters and "/". */
const key = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('a/b', 'q"x', 'b\\s', 'n\nl', 'u1', 'u2', ''));

/** How a list's text writes a key: JSON.stringify (a reader's rebuild), or as Lua's cjson does ("/" escaped). */
const written = (k: string, lua: boolean) => (lua ? JSON.stringify(k).replaceAll('/', '\\/') : JSON.stringify(k));

/** A list's entries as JSON reads them: the reference the sets are held to. */
const parseList = (text: string): unknown[] => (text === '' ? [] : (JSON.parse(`[${text.slice(1)}]`) as unknown[]));

/** The set the text means: every key, a key's last time counting, kept if at or after minAt. */
function meaning(text: string, minAt: number): Set<string> {
  const flat = parseList(text);
  const last = new Map<string, number>();
  for (let i = 0; i < flat.length; i += 2) last.set(flat[i] as string, flat[i + 1] as number);
  return new Set([...last].filter(([, at]) => at >= minAt).map(([k]) => k));
}

test('a tombstone list: exactly its keys, whatever the keys and however they are escaped', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.boolean()), { maxLength: 200 }), fc.array(key, { maxLength: 50 }), (listed, others) => {
      const text = listed.map(([k, lua]) => `,${written(k, lua)}`).join('');
      const keys = new Set(listed.map(([k]) => k));
      const set = ListedKeys.tombstones(text);
      expect(set.size).toBe(keys.size);
      expect(new Set(set)).toEqual(keys);
      for (const k of [...keys, ...others]) expect([k, set.has(k), set.has(k, keyHash(k))]).toEqual([k, keys.has(k), keys.has(k)]);
      expect(new Set(set.hashes())).toEqual(new Set([...keys].map(keyHash)));
    }),
    { numRuns: propertyRuns(300) },
  );
});

test('a correction list: the keys whose last entry is at or after minAt; entries() gives each key once with its last time', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 }), fc.integer({ min: 0, max: 51 }), fc.array(key, { maxLength: 30 }), (listed, minAt, others) => {
      const text = listed.map(([k, at, lua]) => `,${written(k, lua)},${at}`).join('');
      const keys = meaning(text, minAt);
      const set = ListedKeys.corrections(text, minAt);
      expect(set.size).toBe(keys.size);
      expect(set.listed).toBe(listed.length);
      expect(new Set(set)).toEqual(keys);
      for (const k of [...listed.map(([k]) => k), ...others]) expect([k, set.has(k)]).toEqual([k, keys.has(k)]);
      expect(new Set(set.hashes())).toEqual(new Set([...keys].map(keyHash)));
      // Stored again compacted, it means the same for any window.
      const compact = correctionListText(set.entries());
      expect(parseList(compact).length).toBe(2 * meaning(text, 0).size);
      for (const m of [0, minAt, 51]) expect(meaning(compact, m)).toEqual(meaning(text, m));
    }),
    { numRuns: propertyRuns(300) },
  );
});

test('large lists: the set grows past its first capacity, and times of any form are read', () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `user-${i}`);
  const set = ListedKeys.tombstones(tombstoneListText(keys));
  expect(set.size).toBe(50_000);
  expect(keys.every((k) => set.has(k))).toBe(true);
  expect(set.has('user-50000')).toBe(false);
  const corrections = ListedKeys.corrections(`,"a",1.5e12,"b",1700000000000,"c",-1`, 0);
  expect([...corrections]).toEqual(['a', 'b']);
  expect([...corrections.entries()]).toEqual([['a', 1.5e12], ['b', 1_700_000_000_000], ['c', -1]]);
  expect([...ListedKeys.of(['x', 'y', 'x'])]).toEqual(['x', 'y']);
});

test('two keys of the same length and hash are two keys: the text is compared, not only the hash', () => {
  const [a, b] = ['user-1012789', 'user-1249192'];
  expect(keyHash(a)).toBe(keyHash(b));
  const one = ListedKeys.tombstones(tombstoneListText([a]));
  expect([one.has(a), one.has(b), one.has(b, keyHash(b))]).toEqual([true, false, false]);
  const both = ListedKeys.corrections(correctionListText([[a, 5], [b, 1]]), 2);
  expect([both.distinctKeys, both.size, both.has(a), both.has(b)]).toEqual([2, 1, true, false]);
});

test('text that is not a key list is a SyntaxError, as JSON.parse would give', () => {
  for (const bad of ['"a"', ',"a', ',a', ',"a""b"', ',"a\\', ',"a",']) expect(() => ListedKeys.tombstones(bad)).toThrow(SyntaxError);
  for (const bad of [',"a"', ',"a",', ',"a",x', ',"a",1,"b"']) expect(() => ListedKeys.corrections(bad, 0)).toThrow(SyntaxError);
  expect(ListedKeys.tombstones('').size).toBe(0);
});
