import { readFileSync } from 'node:fs';
import { erasureLogKey, parseLogEntry, replayLog, type ErasureLogEntry } from '../../../functions/domain/erasure.js';
import { evaluateChecks, DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { InvalidInputError } from '../../../functions/errors.js';
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
