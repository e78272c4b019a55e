// The pinned-version metadata cache over a fake HMGET (the only command it sends): how long an
// answer is reused, that concurrent reads share one lookup, that confirm() never uses the
// cache, and that the cache stays bounded whatever versions callers name.
import type { Cluster } from 'ioredis';
import { PinnedVersions } from '../../../functions/adapters/pinned-versions.js';
import { PINNED_FIELDS } from '../../../functions/domain/pinned-version.js';
import { VersionNotFoundError } from '../../../functions/errors.js';

class FakeMetadata {
  calls: string[] = [];
  statuses = new Map<string, Record<string, string>>();
  hmget = ((key: string) => {
    this.calls.push(key);
    const version = key.replace(/^\{sluice:d\}:version:/, '');
    const f = this.statuses.get(version) ?? {};
    return Promise.resolve(PINNED_FIELDS.map((name) => f[name] ?? null));
  }) as unknown as Cluster['hmget'];
}

function setup(cacheMs: number) {
  const redis = new FakeMetadata();
  let now = 1_000_000;
  const pins = new PinnedVersions(redis, 'd', cacheMs, (fn) => fn(), () => now);
  return { redis, pins, advance: (ms: number) => (now += ms) };
}

test('an answer is reused for the pointer-cache period and no longer', async () => {
  const { redis, pins, advance } = setup(1000);
  redis.statuses.set('v1', { status: 'superseded', buckets: '8' });
  expect(await pins.buckets('v1')).toBe(8);
  advance(999);
  redis.statuses.set('v1', { status: 'retiring', buckets: '8' });
  expect(await pins.buckets('v1')).toBe(8); // still inside the period: cached
  expect(redis.calls).toHaveLength(1);
  advance(1);
  await expect(pins.buckets('v1')).rejects.toThrow(new VersionNotFoundError('version v1 of dataset d is being retired'));
  expect(redis.calls).toHaveLength(2);
});

test('with no cache period every read asks Redis', async () => {
  const { redis, pins } = setup(0);
  redis.statuses.set('v1', { status: 'held', buckets: '3' });
  await pins.buckets('v1');
  await pins.buckets('v1');
  expect(redis.calls).toHaveLength(2);
});

test('concurrent reads of one version share one lookup', async () => {
  const { redis, pins } = setup(1000);
  redis.statuses.set('v1', { status: 'live', buckets: '5' });
  expect(await Promise.all([pins.buckets('v1'), pins.buckets('v1'), pins.buckets('v1')])).toEqual([5, 5, 5]);
  expect(redis.calls).toHaveLength(1);
});

test('confirm() asks Redis even while a readable answer is cached, and drops it when the version is gone', async () => {
  const { redis, pins } = setup(60_000);
  redis.statuses.set('v1', { status: 'superseded', buckets: '8' });
  await pins.buckets('v1');
  await pins.confirm('v1'); // still readable: no error
  redis.statuses.set('v1', { status: 'retired', retiredAt: String(Date.parse('2026-12-01T00:00:00Z')) });
  await expect(pins.confirm('v1')).rejects.toThrow('version v1 of dataset d was retired on 2026-12-01T00:00:00.000Z');
  await expect(pins.buckets('v1')).rejects.toThrow(VersionNotFoundError); // not the stale cached entry
  expect(redis.calls).toHaveLength(4);
});

test('the cache is bounded: naming many versions does not grow it past 64 entries', async () => {
  const { redis, pins } = setup(60_000);
  for (let i = 0; i < 200; i++) await expect(pins.buckets(`x${i}`)).rejects.toThrow(`dataset d has no version x${i}`);
  const size = (pins as unknown as { cache: Map<string, unknown> }).cache.size;
  expect(size).toBe(64);
  // The newest answers are the ones kept.
  const before = redis.calls.length;
  await expect(pins.buckets('x199')).rejects.toThrow(VersionNotFoundError);
  await expect(pins.buckets('x0')).rejects.toThrow(VersionNotFoundError);
  expect(redis.calls.length - before).toBe(1);
});
