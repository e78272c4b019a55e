// Proves the shared local infrastructure (tests/support/global-setup.ts) is what the other
// integration tests assume: a healthy 3x(1+1) Redis Cluster with our listpack settings, and an
// s3rver whose range GETs and paginated listings behave. Also proves startRedisCluster's stop()
// leaves nothing behind.
import { existsSync } from 'node:fs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Cluster } from 'ioredis';
import { redisCli, startRedisCluster } from '../../local/redis-cluster.js';
import { localS3Client } from '../../local/s3-server.js';
import { testInfra } from '../support/infra.js';

const infra = testInfra();
const run = `${process.pid}-${Date.now()}`;

function parseInfo(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  );
}

describe('local Redis Cluster (global setup)', () => {
  it('has 3 masters, each with 1 connected replica, and all 16384 slots covered', async () => {
    expect(infra.seeds).toHaveLength(6);
    const { host, port } = infra.seeds[0]!;

    const info = parseInfo(await redisCli(port, ['CLUSTER', 'INFO'], host));
    expect(info.get('cluster_state')).toBe('ok');
    expect(info.get('cluster_slots_assigned')).toBe('16384');
    expect(info.get('cluster_slots_ok')).toBe('16384');
    expect(info.get('cluster_known_nodes')).toBe('6');

    const lines = (await redisCli(port, ['CLUSTER', 'NODES'], host)).trim().split('\n').map((l) => l.split(' '));
    const masters = lines.filter((f) => f[2]?.includes('master'));
    const replicas = lines.filter((f) => f[2]?.includes('slave'));
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    for (const master of masters) {
      expect(replicas.filter((r) => r[3] === master[0])).toHaveLength(1);
    }

    for (const seed of infra.seeds) {
      const repl = parseInfo(await redisCli(seed.port, ['INFO', 'replication'], seed.host));
      if (repl.get('role') === 'master') expect(repl.get('connected_slaves')).toBe('1');
      else expect(repl.get('master_link_status')).toBe('up');
    }
    const masterRepl = parseInfo(await redisCli(infra.redisPort, ['INFO', 'replication'], infra.redisHost));
    expect(masterRepl.get('role')).toBe('master');
  });

  it('runs the engine SLUICE_REDIS_ENGINE names (Redis 7 by default, Valkey 8 with valkey)', async () => {
    const info = await redisCli(infra.seeds[0]!.port, ['INFO', 'server'], infra.seeds[0]!.host);
    if (process.env.SLUICE_REDIS_ENGINE === 'valkey') expect(info).toMatch(/^valkey_version:8\./m);
    else expect(info).toMatch(/^redis_version:7\./m);
    if (process.env.SLUICE_REDIS_ENGINE !== 'valkey') expect(info).not.toMatch(/^valkey_version:/m);
  });

  it('applies the listpack settings on every node', async () => {
    for (const { host, port } of infra.seeds) {
      const reply = (await redisCli(port, ['CONFIG', 'GET', 'hash-max-listpack-*'], host)).trim().split('\n');
      const config = Object.fromEntries(reply.flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : [])));
      expect(config).toEqual({ 'hash-max-listpack-entries': '1024', 'hash-max-listpack-value': '4096' });
    }
  });

  it('serves writes and reads through an ioredis Cluster client, which sees every replica', async () => {
    const cluster = new Cluster(infra.seeds, { redisOptions: { protocol: 2 } });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `local-infra:${run}:${i}`);
      for (const key of keys) await cluster.set(key, `value-of-${key}`, 'EX', 60);
      for (const key of keys) expect(await cluster.get(key)).toBe(`value-of-${key}`);
      expect(cluster.nodes('master')).toHaveLength(3);
      expect(cluster.nodes('slave')).toHaveLength(3); // replicas are listed in CLUSTER SLOTS
      await cluster.del(...keys.slice(0, 1));
    } finally {
      await cluster.quit();
    }
  });
});

describe('local s3rver (global setup)', () => {
  let s3: S3Client;
  const Bucket = `local-infra-${run}`;
  beforeAll(async () => {
    s3 = localS3Client(infra.s3Endpoint);
    await s3.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(() => s3.destroy());

  it('answers a put and a get', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'hello.txt', Body: 'hello, sluice' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello, sluice');
  });

  it('answers a ranged GET bytes=2-5', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'digits', Body: '0123456789' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'digits', Range: 'bytes=2-5' }));
    expect(await got.Body?.transformToString()).toBe('2345');
    expect(got.ContentRange).toBe('bytes 2-5/10');
    expect(got.ContentLength).toBe(4);
  });

  it('paginates ListObjectsV2 (MaxKeys 2 over 5 objects) and returns every key', async () => {
    // Truncated pages need Node's --openssl-legacy-provider (npm test passes it): s3rver's
    // continuation tokens are DES-encrypted.
    const Prefix = 'paged/';
    const expected = Array.from({ length: 5 }, (_, i) => `${Prefix}part-${i}.jsonl`);
    for (const Key of expected) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));

    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket, Prefix, MaxKeys: 2 })) {
      pages++;
      keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    }
    expect(pages).toBe(3);
    expect(keys.sort()).toEqual(expected);
  });
});

describe('startRedisCluster / stop', () => {
  it('stops every process it started and removes its dir', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    const pids = cluster.nodes.map((n) => n.pid);
    expect(pids).toHaveLength(3);
    expect(cluster.nodes.every((n) => n.role === 'master')).toBe(true);
    expect(existsSync(cluster.dir)).toBe(true);
    const isAlive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.every(isAlive)).toBe(true);

    await cluster.stop();
    await cluster.stop(); // safe twice

    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  }, 60_000);
});
