import fc from 'fast-check';
import { itemName, withoutSuppressed, withoutSuppressedText } from '../../../functions/domain/suppressed-items.js';
import { propertyRuns } from '../../support/property-runs.js';

describe('suppressed items', () => {
  test('items are named by their id, whatever shape the list holds them in', () => {
    expect([itemName('i7'), itemName(2012), itemName([553, 0.9]), itemName({ item: 'i9', score: 1 }), itemName({ id: 4 }), itemName({ x: 1 })]).toEqual(['i7', '2012', '553', 'i9', '4', '{"x":1}']);
  });

  test('ranks close up over what remains; nothing suppressed keeps the list as it is', () => {
    expect(withoutSuppressed([1, 2, 3, 4], new Set(['1', '3']))).toEqual([2, 4]);
    const list = [1, 2];
    expect(withoutSuppressed(list, new Set())).toBe(list);
  });

  test('stored text: the same text unless one of its items is suppressed (no re-serialising for most lists)', () => {
    const text = '[[2012, 0.90], [553, 0.80]]';
    expect(withoutSuppressedText(text, new Set(['7']))).toBe(text);
    // A list that loses an item keeps the other items' own text.
    expect(withoutSuppressedText(text, new Set(['2012']))).toBe('[[553, 0.80]]');
    expect(withoutSuppressedText(text, new Set(['553']))).toBe('[[2012, 0.90]]');
    expect(withoutSuppressedText(text, new Set(['553', '2012']))).toBe('[]');
    expect(withoutSuppressedText('{"not":"a list"}', new Set(['2012']))).toBe('{"not":"a list"}');
  });
});

describe('a list filtered by its tokens, without a parse', () => {
  // The reference: parse the list, drop what withoutSuppressed drops, write it out only if it changed.
  const reference = (text: string, suppressed: ReadonlySet<string>): string => {
    const items = JSON.parse(text) as unknown[];
    const kept = withoutSuppressed(items, suppressed);
    return kept.length === items.length ? text : JSON.stringify(kept);
  };
  // The same list as the reference's; the same text too when nothing was cut or the text was
  // written compact (a cut keeps the other items' own text, spacing included).
  const expectAsReference = (text: string, suppressed: ReadonlySet<string>, compact: boolean): void => {
    const expected = reference(text, suppressed);
    const got = withoutSuppressedText(text, suppressed);
    if (compact || expected === text) expect(got).toBe(expected);
    else expect(JSON.parse(got)).toEqual(JSON.parse(expected));
  };
  const id = fc.oneof(
    fc.integer({ min: -5, max: 60 }),
    fc.double({ noNaN: true, min: -100, max: 100 }),
    fc.constantFrom(1e21, -0, 2 ** 53 + 2, 12.5, 1.0, 2 ** 32 + 100, -(2 ** 31) - 5),
    fc.string({ maxLength: 4 }),
    fc.constantFrom('7', '12', 'a"b', 'back\\slash', 'é', '1.0', 'true'),
  );
  const item = fc.oneof(
    id,
    fc.tuple(id, fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.tuple(id, fc.string({ maxLength: 4 }), fc.array(id, { maxLength: 2 })),
    fc.record({ item: id, score: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    fc.record({ id, extra: fc.string({ maxLength: 3 }) }),
    fc.constantFrom(true, null, { other: 1 }, [[1, 2], 0.5]),
  );
  // Names as an operator gives them (suppress-items: strings); numbers as JSON writes them.
  const name = fc.oneof(
    id.map((v) => itemName(v)),
    fc.constantFrom('true', 'null', '{"other":1}', '[[1,2],0.5]', '1e+21', '9007199254740994', '0'),
  );

  test('answers exactly as parsing every list would', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 12 }), fc.uniqueArray(name, { maxLength: 8 }), fc.boolean(), (items, names, spaced) => {
        const text = JSON.stringify(items, null, spaced ? 1 : undefined);
        expectAsReference(text, new Set(names), !spaced);
      }),
      { numRuns: propertyRuns(2000) },
    );
  });

  test('numbers written other ways than JSON.stringify writes them are still found', () => {
    const suppressed = new Set(['100', '-3', '1e+21', '0']);
    expect(withoutSuppressedText('[1.00e2, 5]', suppressed)).toBe('[5]');
    expect(withoutSuppressedText('[[100.0, 0.5], [7, 0.4]]', suppressed)).toBe('[[7, 0.4]]');
    expect(withoutSuppressedText('[-3.000, 4]', suppressed)).toBe('[4]');
    expect(withoutSuppressedText('[1000000000000000000000, 4]', suppressed)).toBe('[4]');
    expect(withoutSuppressedText('[-0, 4]', suppressed)).toBe('[4]');
    expect(withoutSuppressedText('[[55, 0.1000], [56, 100.5]]', suppressed)).toBe('[[55, 0.1000], [56, 100.5]]');
    // Compact [id, score] pairs are read straight through (no parse: the kept pair's own text, 0.40 not 0.4).
    expect(withoutSuppressedText('[[100,0.50],[7,4.0e-1],[8,-1]]', suppressed)).toBe('[[7,4.0e-1],[8,-1]]');
    // 2^32 + 100 shares 100's slot in the filter of integers: the set decides.
    const big = new Set(['4294967396']);
    expect(withoutSuppressedText('[100, 4294967396]', big)).toBe('[100]');
    expect(withoutSuppressedText('[100, 7]', big)).toBe('[100, 7]');
  });

  test('an item is named by itself or its first member only: a score or a later member never cuts it', () => {
    const suppressed = new Set(['100', 'x']);
    expect(withoutSuppressedText('[[5, 100], [6, "x"], ["7", [100]]]', suppressed)).toBe('[[5, 100], [6, "x"], ["7", [100]]]');
    expect(withoutSuppressedText('[["x", 5], [100, "a]b,c"], [8, "[{"]]', suppressed)).toBe('[[8, "[{"]]');
    expect(withoutSuppressedText('[\n  "x",\n  "y" ,\n  100\n]\n', suppressed)).toBe('["y"]');
    expect(withoutSuppressedText('[ "y" , "x" ]', suppressed)).toBe('[ "y"]');
  });

  test('objects whose strings or numbers may name an item, and text that is no list, take the parse', () => {
    const suppressed = new Set(['7']);
    expect(withoutSuppressedText('[{"item": "7", "score": 0.5}, {"item": "8"}]', suppressed)).toBe('[{"item":"8"}]');
    // "7" is a field's value here but not the item's name (item_id is absent, id comes after item).
    expect(withoutSuppressedText('[{"item": "8", "id": "7"}]', suppressed)).toBe('[{"item": "8", "id": "7"}]');
    expect(withoutSuppressedText('[{"item": "8", "score": 0.5}]', suppressed)).toBe('[{"item": "8", "score": 0.5}]');
    expect(() => withoutSuppressedText('[7, 8', suppressed)).toThrow(SyntaxError);
    expect(() => withoutSuppressedText('[7] x', suppressed)).toThrow(SyntaxError);
  });
});
