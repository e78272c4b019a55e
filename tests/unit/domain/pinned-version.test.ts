import { PINNED_FIELDS, pinnedVersion } from '../../../functions/domain/pinned-version.js';
import { parsePinnedVersion } from '../../../functions/domain/read-request.js';
import { InvalidInputError } from '../../../functions/errors.js';

/** The HMGET answer for these fields (PINNED_FIELDS order; absent fields are null). */
const fields = (f: Partial<Record<(typeof PINNED_FIELDS)[number], string>>) => PINNED_FIELDS.map((name) => f[name] ?? null);
const at = Date.parse('2026-11-30T04:05:06.789Z');

describe('which versions a pinned read may answer from', () => {
  test.each(['live', 'superseded', 'held'])('%s versions answer, with their bucket count', (status) => {
    expect(pinnedVersion('recs', 'v1', fields({ status, buckets: '42' }))).toEqual({ readable: true, buckets: 42 });
  });

  test.each([
    [{}, 'dataset recs has no version v1'],
    [{ status: 'loading', buckets: '4' }, 'version v1 of dataset recs is still loading; it can be read once it is complete'],
    [{ status: 'failed', failedAt: String(at) }, 'version v1 of dataset recs failed to load on 2026-11-30T04:05:06.789Z'],
    [{ status: 'refused', refusedAt: String(at) }, 'version v1 of dataset recs was refused on 2026-11-30T04:05:06.789Z (a newer version was live) and its data deleted'],
    [{ status: 'retiring', buckets: '4' }, 'version v1 of dataset recs is being retired'],
    [{ status: 'retired', retiredAt: String(at) }, 'version v1 of dataset recs was retired on 2026-11-30T04:05:06.789Z'],
    [{ status: 'discarded', discardedAt: String(at) }, 'version v1 of dataset recs was discarded on 2026-11-30T04:05:06.789Z'],
    [{ status: 'discarded' }, 'version v1 of dataset recs was discarded'],
    [{ status: 'superseded' }, 'version v1 of dataset recs has no bucket count and cannot be read'],
    [{ status: 'quarantined', buckets: '4' }, 'version v1 of dataset recs is quarantined and cannot be read'],
  ])('%j: not readable, and says why', (f, reason) => {
    expect(pinnedVersion('recs', 'v1', fields(f))).toEqual({ readable: false, reason });
  });
});

describe('the version a request names', () => {
  test('none, either, or both when they agree', () => {
    expect(parsePinnedVersion(undefined, undefined)).toBeUndefined();
    expect(parsePinnedVersion('v1', undefined)).toBe('v1');
    expect(parsePinnedVersion(undefined, 'recs-nightly-2026-11-24')).toBe('recs-nightly-2026-11-24');
    expect(parsePinnedVersion('manual-3f2a.b_c', 'manual-3f2a.b_c')).toBe('manual-3f2a.b_c');
  });

  test('names that cannot be versions, and disagreement, are bad requests that say where', () => {
    expect(() => parsePinnedVersion('', undefined)).toThrow(new InvalidInputError('the version parameter must name a version: 1-64 characters of A-Z a-z 0-9 . _ -'));
    expect(() => parsePinnedVersion(undefined, 'a/b')).toThrow('the x-sluice-version header must name a version');
    expect(() => parsePinnedVersion('x'.repeat(65), undefined)).toThrow(InvalidInputError);
    expect(() => parsePinnedVersion('v1', 'v2')).toThrow('the version parameter and the x-sluice-version header name different versions');
  });
});
