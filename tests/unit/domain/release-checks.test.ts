import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { compareOutputs, outputKeyFor, parseManifest, relativeToPrefix } from '../../../functions/domain/input-completeness.js';
import { binFloor, countList, lengthBin, lengthQuantile, newListStats, type ListStats, type VersionStats } from '../../../functions/domain/load-stats.js';
import { DEFAULT_RELEASE_CHECKS, evaluateChecks, type MeasuredLoad, type ReleaseCheckConfig } from '../../../functions/domain/release-checks.js';
import { loadConfig } from '../../../functions/config.js';
import { datasetVars } from '../../../local/datasets-file.js';

function lists(lengths: number[]): ListStats {
  const s = newListStats();
  for (const n of lengths) countList(s, n);
  return s;
}

/** Ten-item lists for every user, as a live version would have recorded them. */
const liveStats: VersionStats = { records: 1000, written: 1000, duplicates: 0, lists: lists(Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? 0 : 10))) };

function measured(over: Omit<Partial<MeasuredLoad>, 'stats'> & { stats?: Partial<VersionStats> } = {}): MeasuredLoad {
  const { stats, ...rest } = over;
  return {
    stats: { ...liveStats, ...stats },
    duplicateSamples: [],
    live: { version: 'v1', records: 1000, stats: liveStats },
    coverage: { sampled: 1000, present: 990 },
    inputs: null,
    ...rest,
  };
}

const byName = (r: ReturnType<typeof evaluateChecks>) => Object.fromEntries(r.checks.map((c) => [c.name, c]));
const config = (over: Partial<ReleaseCheckConfig> = {}): ReleaseCheckConfig => ({ ...DEFAULT_RELEASE_CHECKS, ...over });

describe('release checks: evaluation', () => {
  test('record-count minimum: pass, fail, and off at 0', () => {
    expect(byName(evaluateChecks(config({ minRecords: 10 }), measured({ stats: { records: 10 } })))['record-count-min']).toMatchObject({ outcome: 'pass', value: 10, threshold: '>= 10' });
    const r = evaluateChecks(config({ minRecords: 1000 }), measured({ stats: { records: 999 } }));
    expect(r.passed).toBe(false);
    expect(byName(r)['record-count-min']).toMatchObject({ outcome: 'fail', value: 999 });
    expect(byName(evaluateChecks(config({ minRecords: 0 }), measured()))['record-count-min']).toBeUndefined();
  });

  test('record-count change against live: a drop past 50% or more than doubling fails; off with null thresholds; skipped without a live version', () => {
    const at = (records: number, c = config()) => byName(evaluateChecks(c, measured({ stats: { records, written: records } })))['record-count-change'];
    expect(at(500)).toMatchObject({ outcome: 'pass', value: 0.5 });
    expect(at(499)).toMatchObject({ outcome: 'fail', value: 0.499 });
    expect(at(2000)).toMatchObject({ outcome: 'pass' });
    expect(at(2001)).toMatchObject({ outcome: 'fail' });
    expect(at(100, config({ maxRecordDrop: null, maxRecordGrowth: null }))).toBeUndefined();
    expect(at(100, config({ maxRecordDrop: 0.95 }))).toMatchObject({ outcome: 'pass' });
    expect(byName(evaluateChecks(config(), measured({ live: null })))['record-count-change']).toMatchObject({ outcome: 'skipped', detail: 'no live version to compare with' });
  });

  test('live-key coverage: the share of sampled live keys present', () => {
    const at = (present: number, c = config()) => byName(evaluateChecks(c, measured({ coverage: { sampled: 1000, present } })))['live-key-coverage'];
    expect(at(800)).toMatchObject({ outcome: 'pass', value: 0.8, threshold: '>= 0.8' });
    expect(at(333)).toMatchObject({ outcome: 'fail', value: 0.333 });
    expect(at(333)!.detail).toBe('333 of 1000 keys sampled from live version v1 are in this version (33.3%)');
    expect(at(333, config({ minLiveKeyCoverage: null }))).toBeUndefined();
    expect(byName(evaluateChecks(config(), measured({ coverage: { sampled: 0, present: 0 } })))['live-key-coverage']!.outcome).toBe('skipped');
  });

  test('duplicate keys: reject fails on any, last-wins passes and says which write wins is not defined', () => {
    const dup = measured({ stats: { records: 998, written: 1000, duplicates: 2 }, duplicateSamples: ['1', 'u7'] });
    const rejected = byName(evaluateChecks(config(), dup))['duplicate-keys']!;
    expect(rejected).toMatchObject({ outcome: 'fail', value: 2, threshold: '= 0' });
    expect(rejected.detail).toBe('1000 records written for 998 distinct keys: 2 were duplicates, e.g. "1", "u7"');
    const kept = byName(evaluateChecks(config({ duplicateKeys: 'last-wins' }), dup))['duplicate-keys']!;
    expect(kept).toMatchObject({ outcome: 'pass', value: 2 });
    expect(kept.detail).toMatch(/which one is not defined/);
    expect(byName(evaluateChecks(config(), measured()))['duplicate-keys']).toMatchObject({ outcome: 'pass', value: 0 });
  });

  test('list shape: lists suddenly empty or ten times shorter fail; off with null', () => {
    const emptied = lists(Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? 0 : 10)));
    const r1 = byName(evaluateChecks(config(), measured({ stats: { lists: emptied } })));
    expect(r1['empty-list-share']).toMatchObject({ outcome: 'fail', value: 0.25 });
    const shorter = lists(Array.from({ length: 1000 }, () => 1));
    const r2 = byName(evaluateChecks(config(), measured({ stats: { lists: shorter } })));
    expect(r2['list-length-median']).toMatchObject({ outcome: 'fail', value: 1 });
    expect(r2['list-length-p99']).toMatchObject({ outcome: 'fail', value: 1 });
    expect(r2['empty-list-share']).toMatchObject({ outcome: 'pass' });
    const off = byName(evaluateChecks(config({ maxEmptyListShareIncrease: null, maxListLengthFactor: null }), measured({ stats: { lists: shorter } })));
    expect(off['list-length-median']).toBeUndefined();
    expect(off['empty-list-share']).toBeUndefined();
    const old = byName(evaluateChecks(config(), measured({ live: { version: 'v0', records: 1000, stats: null } })));
    expect(old['list-length-median']).toMatchObject({ outcome: 'skipped', detail: 'live version v0 has no recorded stats' });
  });

  test('null rates of declared feature fields: a rise of more than 10 points fails', () => {
    const live: VersionStats = { records: 100, written: 100, duplicates: 0, nulls: { rows: 100, nulls: { wages: 5, city: 0 } } };
    const now: Partial<VersionStats> = { records: 100, written: 100, nulls: { rows: 100, nulls: { wages: 50, city: 10 } }, lists: undefined };
    const r = byName(evaluateChecks(config(), measured({ live: { version: 'v1', records: 100, stats: live }, stats: now })));
    expect(r['null-rate:wages']).toMatchObject({ outcome: 'fail', value: 0.5 });
    expect(r['null-rate:city']).toMatchObject({ outcome: 'pass', value: 0.1 });
  });

  test('input completeness: missing outputs fail and are named; unreadable input fails; not a job: no check', () => {
    const missing = { inputs: 3, missing: 1, missingSamples: ['s3://out/recs/b.csv.out'] };
    expect(byName(evaluateChecks(config(), measured({ inputs: missing })))['input-completeness']).toMatchObject({
      outcome: 'fail',
      value: 1,
      detail: '1 of 3 input objects have no output, e.g. s3://out/recs/b.csv.out',
    });
    expect(byName(evaluateChecks(config(), measured({ inputs: { inputs: 3, missing: 0, missingSamples: [] } })))['input-completeness']!.outcome).toBe('pass');
    expect(byName(evaluateChecks(config(), measured({ inputs: { inputs: 0, missing: 0, missingSamples: [], error: 'AccessDenied' } })))['input-completeness']!.outcome).toBe('fail');
    expect(byName(evaluateChecks(config({ inputCompleteness: false }), measured({ inputs: missing })))['input-completeness']).toBeUndefined();
    expect(byName(evaluateChecks(config(), measured()))['input-completeness']).toBeUndefined();
  });

  test('an ordinary night passes every default check: 90% of keys kept, 5% new, some lists changed or shortened', () => {
    // 1000 live users with 10 items (2% empty); tonight: 900 of them kept plus 50 new, a fifth
    // of the lists shortened to 7 items, a few more empty.
    const tonight = Array.from({ length: 950 }, (_, i) => (i % 40 === 0 ? 0 : i % 5 === 0 ? 7 : 10));
    const r = evaluateChecks(config(), measured({ stats: { records: 950, written: 950, lists: lists(tonight) }, coverage: { sampled: 1000, present: 900 } }));
    expect(r.checks.filter((c) => c.outcome !== 'pass')).toEqual([]);
    expect(r.passed).toBe(true);
  });
});

describe('release checks: list-length histogram', () => {
  test('exact bins below 128, then four per power of two; a bin floor is in its bin', () => {
    expect([0, 1, 127].map(lengthBin)).toEqual([0, 1, 127]);
    expect(lengthBin(128)).toBe(128);
    expect(lengthBin(160)).toBe(129);
    expect(lengthBin(256)).toBe(132);
    for (const n of [128, 150, 191, 192, 1000, 65_535, 10_000_000]) expect(binFloor(lengthBin(n))).toBeLessThanOrEqual(n);
    for (const n of [128, 1000, 65_535]) expect(lengthBin(binFloor(lengthBin(n)))).toBe(lengthBin(n));
    expect(lengthBin(2 ** 31)).toBeLessThan(240); // bounded, whatever the length
  });

  test('quantiles', () => {
    expect(lengthQuantile(lists([1, 2, 3, 4, 100]), 0.5)).toBe(3);
    expect(lengthQuantile(lists([...Array(99).fill(5), 500]), 0.99)).toBe(5);
    expect(lengthQuantile(lists([...Array(98).fill(5), 500, 500]), 0.99)).toBe(448);
    expect(lengthQuantile(newListStats(), 0.5)).toBeNull();
  });
});

describe('release checks: input completeness arithmetic', () => {
  test('outputs are <output path>/<key relative to the input prefix>.out', () => {
    expect(relativeToPrefix('in/2026/a.csv', 'in/2026/')).toBe('a.csv');
    expect(relativeToPrefix('in/2026/sub/a.csv', 'in/2026/')).toBe('sub/a.csv');
    expect(relativeToPrefix('in/part-1', 'in/part')).toBe('part-1');
    expect(outputKeyFor('out/x', 'a.csv')).toBe('out/x/a.csv.out');
    expect(outputKeyFor('', 'a.csv')).toBe('a.csv.out');
    const r = compareOutputs([{ key: 'in/a', relative: 'a' }, { key: 'in/b', relative: 'b' }], { bucket: 'o', prefix: 'out/' }, new Set(['out/a.out']));
    expect(r).toEqual({ inputs: 2, missing: 1, missingSamples: ['s3://o/out/b.out'] });
  });

  test('manifests: a prefix first, then relative keys; anything else is a clear error', () => {
    expect(parseManifest('[{"prefix":"s3://in/users/"},"a.jsonl","sub/b.jsonl"]', 'm')).toEqual({
      bucket: 'in',
      prefix: 'users/',
      objects: [{ key: 'users/a.jsonl', relative: 'a.jsonl' }, { key: 'users/sub/b.jsonl', relative: 'sub/b.jsonl' }],
    });
    expect(() => parseManifest('{', 's3://in/m')).toThrow('manifest s3://in/m is not valid JSON');
    expect(() => parseManifest('["a"]', 'm')).toThrow(/first element must be \{"prefix"/);
    expect(() => parseManifest('[{"prefix":"s3://in/"}, 3]', 'm')).toThrow(/element 1 must be a non-empty relative key/);
  });
});

describe('release checks: configuration', () => {
  test('declared per dataset, with defaults; the default declaration is the bundled datasets.json', () => {
    const [a, b] = parseDatasetSpecs([{ name: 'a' }, { name: 'b', promote: 'manual', checks: { minRecords: 0, maxRecordDrop: false, minLiveKeyCoverage: 0.5, duplicateKeys: 'last-wins', inputCompleteness: false } }]);
    expect(a).toMatchObject({ promote: 'auto', checks: DEFAULT_RELEASE_CHECKS });
    expect(b).toMatchObject({ promote: 'manual', checks: { ...DEFAULT_RELEASE_CHECKS, minRecords: 0, maxRecordDrop: null, minLiveKeyCoverage: 0.5, duplicateKeys: 'last-wins', inputCompleteness: false } });
    expect(() => parseDatasetSpecs([{ name: 'a', promote: 'later' }])).toThrow(/dataset a: promote must be "auto" or "manual"/);
    expect(() => parseDatasetSpecs([{ name: 'a', checks: { minRecords: -1 } }])).toThrow(/checks.minRecords/);
    expect(() => parseDatasetSpecs([{ name: 'a', checks: { minLiveKeyCoverage: 2 } }])).toThrow('dataset a: checks.minLiveKeyCoverage must be a number from 0 to 1, or false to switch it off');
    expect(() => parseDatasetSpecs([{ name: 'a', checks: { duplicates: 'reject' } }])).toThrow('dataset a: unknown member "duplicates" at datasets[0].checks; did you mean "duplicateKeys"?');
    // The bundled default spells out every default: loading it equals declaring only a name (and every job).
    const bundled = loadConfig({}).datasets;
    expect(bundled).toEqual(parseDatasetSpecs([{ name: 'recommendations', jobs: { prefix: '' } }]));
    expect(bundled[0]).toMatchObject({ promote: 'auto', checks: DEFAULT_RELEASE_CHECKS, rewindWindowHours: 24, jobs: { prefixes: [''] } });
    expect(loadConfig(datasetVars({ name: 'm', promote: 'manual', checks: { minRecords: 500 } })).datasets[0]).toMatchObject({ promote: 'manual', checks: { minRecords: 500 } });
    expect(() => loadConfig(datasetVars({ name: 'm', promote: 'sometimes' }))).toThrow(/SLUICE_DATASETS_FILE .*: dataset m: promote must be "auto" or "manual"/);
  });
});
