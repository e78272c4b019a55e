import { readFileSync } from 'node:fs';
import { parseRank, parseUserId } from '../../../functions/domain/read-request.js';
import { toIngestRequest, unwrapPlanInvocation } from '../../../functions/lambda/plan-event.js';
import { loadConfig } from '../../../functions/config.js';
import { ConfigError, InvalidInputError } from '../../../functions/errors.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../events/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('Plan input', () => {
  test('the SageMaker completion event becomes a request for its output prefix, ordered by creation time', () => {
    expect(toIngestRequest(fixture('sagemaker-transform-completed.json'))).toEqual({
      bucket: 'example-ml-predictions',
      key: 'recs/2026-11-24/',
      singleObject: false,
      jobName: 'recs-nightly-2026-11-24',
      orderKey: Date.parse('2026-11-25T00:00:00Z'),
      origin: 'sagemaker:recs-nightly-2026-11-24',
      transformInput: { dataType: 'S3Prefix', bucket: 'example-ml-input', key: 'users/2026-11-24/' },
    });
  });

  test('the job input (for the input-completeness check): a prefix or a manifest; anything else is named', () => {
    const event = fixture('sagemaker-transform-completed.json') as { detail: { TransformInput: { DataSource: { S3DataSource: Record<string, unknown> } } } };
    const source = event.detail.TransformInput.DataSource.S3DataSource;
    Object.assign(source, { S3DataType: 'ManifestFile', S3Uri: 's3://example-ml-input/users/manifest.json' });
    expect(toIngestRequest(event).transformInput).toEqual({ dataType: 'ManifestFile', bucket: 'example-ml-input', key: 'users/manifest.json' });
    delete source.S3DataType;
    expect(() => toIngestRequest(event)).toThrow('detail.TransformInput.DataSource.S3DataSource.S3DataType is missing for job recs-nightly-2026-11-24');
    Object.assign(source, { S3DataType: 'S3Prefix', S3Uri: 'https://x' });
    expect(() => toIngestRequest(event)).toThrow(/^detail.TransformInput.DataSource.S3DataSource.S3Uri: /);
  });
  test.each(['sagemaker-transform-completed.json', 'sagemaker-transform-failed.json', 'sagemaker-transform-inprogress.json'])(
    '%s tells one story: created after the night its job is named for, started, ended, then reported',
    (name) => {
      const event = fixture(name) as { time: string; detail: { TransformJobName: string; CreationTime: number; TransformStartTime: number; TransformEndTime?: number } };
      const night = Date.parse(`${/(\d{4}-\d{2}-\d{2})$/.exec(event.detail.TransformJobName)![1]}T00:00:00Z`);
      const { CreationTime: created, TransformStartTime: started, TransformEndTime: ended = started } = event.detail;
      expect(created).toBeGreaterThanOrEqual(night);
      expect(created).toBeLessThan(night + 2 * 86_400_000);
      expect(started).toBeGreaterThanOrEqual(created);
      expect(ended).toBeGreaterThanOrEqual(started);
      expect(Date.parse(event.time)).toBeGreaterThanOrEqual(ended);
      // A manual run of the same night (events/manual-start.json) orders before the job's own event.
      expect(Date.parse(String(fixture('manual-start.json').orderKey))).toBeLessThan(created);
    },
  );

  test('a Failed job is refused with a message naming the job', () => {
    expect(() => toIngestRequest(fixture('sagemaker-transform-failed.json'))).toThrow(
      'transform job recs-nightly-2026-11-24 is "Failed", not Completed: nothing to load',
    );
  });

  test('manual requests: a prefix, or one object whatever its name', () => {
    expect(toIngestRequest(fixture('manual-start.json'))).toMatchObject({ bucket: 'example-ml-predictions', key: 'recs/2026-11-24/', singleObject: false, orderKey: Date.parse('2026-11-24T02:00:00Z') });
    expect(toIngestRequest({ s3Uri: 's3://bkt/sample/movies.json', version: 'v7' })).toMatchObject({ key: 'sample/movies.json', singleObject: true, explicitVersion: 'v7' });
    expect(() => toIngestRequest({ s3Uri: 'https://x' })).toThrow(InvalidInputError);
    expect(() => toIngestRequest({ s3Uri: 's3://bkt/', orderKey: 'soon' })).toThrow('orderKey "soon" is not a timestamp');
    // Checked while parsing, so Plan fails before it lists anything in S3.
    expect(() => toIngestRequest({ s3Uri: 's3://bkt/', version: 'a b' })).toThrow(InvalidInputError);
    expect(() => toIngestRequest({ s3Uri: 's3://bkt/', version: 'a b' })).toThrow('version "a b" must be 1-64 characters');
    expect(() => toIngestRequest({ hello: 1 })).toThrow('neither a SageMaker');
  });

  test('the state machine wrapper carries the execution id', () => {
    expect(unwrapPlanInvocation({ event: { s3Uri: 's3://b/' }, executionId: 'arn:x' })).toEqual({ event: { s3Uri: 's3://b/' }, executionId: 'arn:x' });
    expect(unwrapPlanInvocation({ s3Uri: 's3://b/' }).executionId).toMatch(/^direct-/);
  });
});

describe('API parameters', () => {
  test('userId', () => {
    expect(parseUserId('1')).toBe('1');
    expect(parseUserId('{a}:*?')).toBe('{a}:*?'); // looked up as a hash field: cannot reach another key
    expect(() => parseUserId(undefined)).toThrow('userId is required');
    expect(() => parseUserId('x'.repeat(513))).toThrow('at most 512');
    expect(() => parseUserId('a\nb')).toThrow('control characters');
  });
  test('rank', () => {
    expect(parseRank('1')).toBe(1);
    for (const bad of ['0', '-1', '1.5', 'abc', '10001', '1e3', ' 1', '99999999']) expect(() => parseRank(bad)).toThrow(InvalidInputError);
    expect(() => parseRank(undefined)).toThrow('rank is required');
  });
});

describe('configuration', () => {
  test('defaults are secure and usable', () => {
    const c = loadConfig({});
    expect(c.redis.tls).toBe(true);
    expect(c.defaultDataset).toBe('recommendations');
    expect(c.datasets).toEqual([expect.objectContaining({ name: 'recommendations', kind: 'ranked-items', key: { fields: ['userId', 'user_id'], mode: 'first-present' } })]);
    expect(c.load.objectSuffixes).toEqual([]);
  });
  test('bad values are named', () => {
    expect(() => loadConfig({ REDIS_PORT: 'abc' })).toThrow('REDIS_PORT="abc" must be an integer between 1 and 65535');
    expect(() => loadConfig({ REDIS_TLS: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ SLUICE_DATASETS_FILE: '/nonexistent/datasets.json' })).toThrow('SLUICE_DATASETS_FILE /nonexistent/datasets.json: ENOENT');
    expect(() => loadConfig({ GRACE_SECONDS: '1', POINTER_CACHE_MS: '5000' })).toThrow('readers could lose their version');
  });
});

describe('Admin input', () => {
  test('an event without an action says one is required and lists them; an unknown one is named', async () => {
    const { parseAdminEvent } = await import('../../../functions/handlers/admin.js');
    expect(() => parseAdminEvent({})).toThrow(InvalidInputError);
    expect(() => parseAdminEvent({})).toThrow('the event has no action: an action is required, one of "status", "rollback", "promote", "discard", "freshness", "erase", "unerase", "suppress", "unsuppress" or "put" (e.g. {"action": "status"})');
    expect(() => parseAdminEvent({ action: 'restart' })).toThrow('unknown action "restart"; expected "status", "rollback", "promote", "discard", "freshness", "erase", "unerase", "suppress", "unsuppress" or "put"');
  });
});
