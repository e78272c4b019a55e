// Plan over in-memory objects and versions: which objects a prefix loads, what a plan that finds
// none says, and how the input-completeness check treats a job input it cannot read.
import { gzipSync } from 'node:zlib';
import { checkedDataType } from '../../../functions/domain/input-completeness.js';
import type { IngestRequest } from '../../../functions/domain/ingest-request.js';
import { skipReason } from '../../../functions/domain/object-selection.js';
import { InvalidInputError } from '../../../functions/errors.js';
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { rankedItemsParquet } from '../../../local/sample-parquet.js';
import { testPipeline } from './fixtures.js';

const line = (user: string) => `{"userId":"${user}","recommendations":[1,2]}\n`;

function request(key: string, extra: Partial<IngestRequest> = {}): IngestRequest {
  return { bucket: 'out', key, singleObject: false, origin: 'test', explicitVersion: 'v1', orderKey: 1, ...extra };
}

describe('the input-completeness check and the job input', () => {
  test('an S3DataType the check cannot read is an InvalidInputError naming it and the way out', () => {
    expect(checkedDataType('S3Prefix')).toBe('S3Prefix');
    expect(checkedDataType('ManifestFile')).toBe('ManifestFile');
    expect(() => checkedDataType('AugmentedManifestFile')).toThrow(InvalidInputError);
    expect(() => checkedDataType('AugmentedManifestFile')).toThrow(
      'S3DataType AugmentedManifestFile is not one the input-completeness check reads (S3Prefix, ManifestFile); switch the check off for this dataset (checks.inputCompleteness: false)',
    );
  });

  test('Plan records it as the check error on the version: the check then fails, the load is planned', async () => {
    const p = testPipeline();
    p.objects.objects.set('out/job/part-0.out', Buffer.from(line('u1')));
    const transformInput = { dataType: 'AugmentedManifestFile', bucket: 'in', key: 'm.manifest' };
    const plan = await planLoad(request('job', { transformInput }), 'exec-1', p.deps);
    expect(plan).toMatchObject({ action: 'load', objects: 1 });
    const check = JSON.parse((await p.versions.get('v1'))!.fields.inputCheck!) as { error: string };
    expect(check.error).toBe('s3://in/m.manifest: S3DataType AugmentedManifestFile is not one the input-completeness check reads (S3Prefix, ManifestFile); switch the check off for this dataset (checks.inputCompleteness: false)');
  });
});

describe('which objects a prefix loads', () => {
  test('data objects by what they are: markers, checksums, manifests and hidden files are skipped, whatever the data is named', () => {
    const data = ['job/part-00000-1f.c000.snappy.parquet', 'job/part-0.csv', 'job/part-1.csv.gz', 'job/users.jsonl.out', 'job/users.out.gz', 'job/day=2026-12-06/part-0.json', 'job/noext'];
    for (const key of data) expect([key, skipReason(key, 'job/')]).toEqual([key, null]);
    const skipped: [string, RegExp][] = [
      ['job/_SUCCESS', /job-success marker/],
      ['job/.part-00000-1f.c000.snappy.parquet.crc', /checksum/],
      ['job/part-0.csv.crc', /checksum/],
      ['job/_committed_8233', /commit marker/],
      ['job/_started_8233', /commit marker/],
      ['job/_temporary/0/part-0.csv', /hidden folder \(_temporary\/:/],
      ['job/.spark-staging/x', /hidden folder/],
      ['job/_delta_log/00000.json', /hidden folder/],
      ['job/.hidden.csv', /hidden \(its name/],
      ['job/sub_$folder$', /folder marker/],
      ['job/sub/', /folder marker/],
      ['job/output.manifest', /a manifest/],
      ['job/manifest.json', /a manifest/],
      ['job/venue_manifest', /a manifest/],
    ];
    for (const [key, reason] of skipped) expect([key, skipReason(key, 'job/')]).toEqual([key, expect.stringMatching(reason)]);
    // Only what lies below the prefix counts: a prefix inside a hidden folder still loads.
    expect(skipReason('_tmp/job/part-0.csv', '_tmp/job/')).toBeNull();
    // OBJECT_SUFFIX, when set, narrows the choice.
    expect(skipReason('job/part-0.csv', 'job/', ['.out'])).toBe('its name does not end in OBJECT_SUFFIX (.out)');
    expect(skipReason('job/part-0.out', 'job/', ['.out'])).toBeNull();
  });

  test('a Spark prefix of Parquet, CSV and gzip objects plans every data object and nothing else, with no setting', async () => {
    const p = testPipeline();
    const body = Buffer.from(line('u1') + line('u2'));
    for (const name of ['part-0.jsonl', 'part-1.out.gz', 'part-3.out']) p.objects.objects.set(`out/spark/${name}`, name.endsWith('.gz') ? gzipSync(body) : body);
    p.objects.objects.set('out/spark/part-2.csv', Buffer.from('userId,r1,r2\nu3,1,2\n'));
    p.objects.objects.set('out/spark/part-4.snappy.parquet', rankedItemsParquet([{ userId: 'u4', items: [1, 2] }], 10));
    for (const name of ['_SUCCESS', '.part-0.jsonl.crc', '_committed_1', '_started_1', 'output.manifest', '_temporary/0/part-9.jsonl']) p.objects.objects.set(`out/spark/${name}`, Buffer.from(name === '_SUCCESS' ? '' : 'x'));
    const plan = await planLoad(request('spark'), 'exec-1', p.deps);
    expect(plan).toMatchObject({ action: 'load', objects: 5 });
  });

  test('a prefix with no data object fails, saying what it skipped and why', async () => {
    const p = testPipeline();
    for (const name of ['_SUCCESS', 'part-0.csv.crc', '_temporary/0/part-0.csv']) p.objects.objects.set(`out/empty/${name}`, Buffer.from(''));
    await expect(planLoad(request('empty'), 'exec-1', p.deps)).rejects.toThrow(
      new InvalidInputError(
        'no input objects under s3://out/empty: all 3 object(s) under it were skipped as not data (_SUCCESS: a job-success marker (_SUCCESS); ' +
          'part-0.csv.crc: a checksum file (.crc); _temporary/0/part-0.csv: in a hidden folder (_temporary/: its name starts with "_" or "."))',
      ),
    );
    await expect(planLoad(request('nothing/'), 'exec-1', p.deps)).rejects.toThrow('no input objects under s3://out/nothing/: nothing is stored under it');
    p.objects.objects.set('out/csv-only/part-0.csv', Buffer.from('userId,a\nu1,1\n'));
    p.deps.load.objectSuffixes = ['.out'];
    await expect(planLoad(request('csv-only'), 'exec-1', p.deps)).rejects.toThrow('part-0.csv: its name does not end in OBJECT_SUFFIX (.out)');
  });
});

describe('a Plan that fails', () => {
  test('fails only once its tombstone restore (which reads S3) has finished: nothing of the attempt runs on after it', async () => {
    const p = testPipeline();
    const events: string[] = [];
    p.deps.erasures.isRestored = () => Promise.resolve(false);
    p.deps.erasures.restoreFromLog = async () => {
      await new Promise((r) => setTimeout(r, 50));
      events.push('restored');
    };
    await planLoad(request('nothing/'), 'exec-1', p.deps).catch(() => events.push('failed'));
    expect(events).toEqual(['restored', 'failed']);
  });
});

describe('the key lists the chunks read', () => {
  /** Records when the tombstones are restored and the lists refreshed; each takes a while. */
  function watched() {
    const p = testPipeline();
    p.objects.objects.set('out/job/part-0.out', Buffer.from(line('u1')));
    const events: string[] = [];
    const slowly = (what: string) => async () => {
      await new Promise((r) => setTimeout(r, 30));
      events.push(what);
    };
    p.deps.erasures.isRestored = () => Promise.resolve(false);
    p.deps.erasures.restoreFromLog = slowly('restored');
    p.deps.erasures.refreshKeyList = slowly('tombstone list');
    return { p, events };
  }

  test('are refreshed after the tombstones are restored (a restore changes them), before Plan returns', async () => {
    const { p, events } = watched();
    const plan = await planLoad(request('job'), 'exec-1', p.deps);
    events.push(plan.action);
    expect(events).toEqual(['restored', 'tombstone list', 'load']);
  });

  test('a Plan that fails waits for the refresh too, and a refresh that fails fails no Plan (it only saves the chunks work)', async () => {
    const failing = watched();
    await planLoad(request('nothing/'), 'exec-1', failing.p.deps).catch(() => failing.events.push('failed'));
    expect(failing.events).toEqual(['restored', 'tombstone list', 'failed']);
    const { p } = watched();
    p.deps.erasures.refreshKeyList = () => Promise.reject(new Error('READONLY'));
    expect(await planLoad(request('job'), 'exec-1', p.deps)).toMatchObject({ action: 'load' });
  });
});

