import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { erasureLogKey, itemName, parseLogEntry, replayLog, withoutSuppressed, withoutSuppressedText, type ErasureLogEntry } from '../../../functions/domain/erasure.js';
import { evaluateChecks, DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { InvalidInputError } from '../../../functions/errors.js';
import { propertyRuns } from '../../support/property-runs.js';
import { parseAdminEvent } from '../../../functions/handlers/admin.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as unknown;

describe('erase, unerase, suppress and unsuppress requests', () => {
  test('the fixtures parse as their actions', () => {
    expect(parseAdminEvent(fixture('admin-erase.json'))).toEqual({ action: 'erase', dataset: undefined, keys: ['u1999'], reason: 'erasure request 2026-118 (right to erasure)' });
    expect(parseAdminEvent(fixture('admin-unerase.json'))).toMatchObject({ action: 'unerase', keys: ['u1999'] });
    expect(parseAdminEvent(fixture('admin-suppress.json'))).toEqual({ action: 'suppress', dataset: undefined, items: ['item-recalled-1'] });
    expect(parseAdminEvent(fixture('admin-unsuppress.json'))).toMatchObject({ action: 'unsuppress', items: ['item-recalled-1'] });
  });

  test('1 to 1000 keys, duplicates dropped, a dataset and a reason taken', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    expect(parseAdminEvent({ action: 'erase', keys, dataset: 'recs' })).toMatchObject({ keys, dataset: 'recs', reason: '' });
    expect(parseAdminEvent({ action: 'erase', keys: ['a', 'a', 'b'], reason: 'why' })).toMatchObject({ keys: ['a', 'b'], reason: 'why' });
  });

  const refusals: [Record<string, unknown>, string][] = [
    [{ action: 'erase' }, 'keys must be an array of strings, e.g. {"keys": ["42"]}'],
    [{ action: 'erase', keys: '42' }, 'keys must be an array of strings'],
    [{ action: 'erase', keys: [] }, 'keys is empty; give 1 to 1000 per call'],
    [{ action: 'erase', keys: Array.from({ length: 1001 }, (_, i) => `k${i}`) }, 'keys holds 1001 entries; at most 1000 per call (send several calls)'],
    [{ action: 'erase', keys: ['ok', 42] }, 'keys[1] must be a non-empty string, not 42'],
    [{ action: 'unerase', keys: ['ok', ''] }, 'keys[1] must be a non-empty string, not ""'],
    [{ action: 'erase', keys: ['x'.repeat(1025)] }, 'keys[0] is 1025 characters long; at most 1024'],
    [{ action: 'erase', keys: ['1'], reason: 7 }, 'reason must be a string'],
    [{ action: 'erase', keys: ['1'], reason: 'r'.repeat(501) }, 'reason is 501 characters long; at most 500'],
    [{ action: 'erase', keys: ['1'], dataset: '' }, 'dataset must be a non-empty string'],
    [{ action: 'suppress', items: [] }, 'items is empty'],
    [{ action: 'suppress', items: [2012] }, 'items[0] must be a non-empty string, not 2012'],
    [{ action: 'unsuppress' }, 'items must be an array of strings, e.g. {"items": ["2012"]}'],
    [{ action: 'purge', keys: ['1'] }, 'unknown action "purge"; expected "status", "rollback", "promote", "discard", "freshness", "erase", "unerase", "suppress", "unsuppress" or "put"'],
  ];
  test.each(refusals.map(([event, message]) => [message, event] as const))('refused with: %s', (message, event) => {
    expect(() => parseAdminEvent(event)).toThrow(InvalidInputError);
    expect(() => parseAdminEvent(event)).toThrow(message);
  });
});

describe('the erasure log', () => {
  const entry = (action: ErasureLogEntry['action'], keys: string[], at: number, requestId = `r${at}`): ErasureLogEntry => ({ action, keys, reason: '', at, requestId });

  test('object names sort in time order and carry a safe request id', () => {
    const a = erasureLogKey('logs/', 'recs', { at: Date.UTC(2026, 11, 6, 9), requestId: 'abc/def' });
    const b = erasureLogKey('logs/', 'recs', { at: Date.UTC(2026, 11, 6, 10), requestId: '0' });
    expect(a).toBe('logs/recs/2026-12-06T09:00:00.000Z-abc_def.json');
    expect([b, a].sort()).toEqual([a, b]);
  });

  test('replay in time order: an unerase lifts only what came before it', () => {
    const tombstones = replayLog([entry('erase', ['3'], 30), entry('erase', ['1', '2'], 10), entry('unerase', ['1', '3'], 20)]);
    expect([...tombstones.keys()].sort()).toEqual(['2', '3']);
    expect(tombstones.get('3')).toEqual({ at: 30, reason: '', requestId: 'r30' });
  });

  test('an object that is not a log entry says which one', () => {
    expect(() => parseLogEntry('{"action":"drop","keys":[]}', 's3://b/k.json')).toThrow('s3://b/k.json is not an erasure log entry');
    expect(() => parseLogEntry('nope', 's3://b/k.json')).toThrow(/^s3:\/\/b\/k.json is not JSON/);
  });
});

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

describe('erased records and the count checks', () => {
  const checks = { ...DEFAULT_RELEASE_CHECKS, minRecords: 10, maxRecordDrop: 0.1, minLiveKeyCoverage: null };
  const measured = (records: number, erased: number, liveRecords: number, liveErased = 0) => ({
    stats: { records, written: records, duplicates: 0, erased },
    duplicateSamples: [],
    live: { version: 'v1', records: liveRecords, stats: { records: liveRecords, written: liveRecords, duplicates: 0, erased: liveErased } },
    coverage: null,
    inputs: null,
  });
  const outcome = (report: ReturnType<typeof evaluateChecks>, name: string) => report.checks.find((c) => c.name === name)?.outcome;

  test('a load whose input held erased keys is compared by its input size: an erasure never fails it', () => {
    // 100 users live; 30 erased since; tonight's input still holds all 100, 70 are stored.
    const report = evaluateChecks(checks, measured(70, 30, 100));
    expect(outcome(report, 'record-count-change')).toBe('pass');
    expect(report.checks.find((c) => c.name === 'record-count-change')?.detail).toContain('(30 of them erased keys, skipped)');
    // The next night: the live version (70 stored, 30 erased) against the same input.
    expect(outcome(evaluateChecks(checks, measured(70, 30, 70, 30)), 'record-count-change')).toBe('pass');
    expect(outcome(evaluateChecks({ ...checks, minRecords: 80 }, measured(70, 30, 100)), 'record-count-min')).toBe('pass');
  });

  test('a real drop still fails', () => {
    expect(outcome(evaluateChecks(checks, measured(70, 0, 100)), 'record-count-change')).toBe('fail');
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
