// Token renewal for IAM-authenticated connections, on a fake clock: a fresh token reaches every
// later (re)connect of every node, and the connections are reopened before 12 hours.
import type { Cluster } from 'ioredis';
import { CONNECTION_MAX_AGE_MS, IamAuthRenewal, TOKEN_REFRESH_MS } from '../../../functions/adapters/redis-iam-auth.js';
import { TOKEN_TTL_SECONDS } from '../../../functions/adapters/elasticache-iam-token.js';

function fakeCluster(nodeCount: number) {
  const nodes = Array.from({ length: nodeCount }, () => ({ options: { password: 'initial' as string | undefined } }));
  const cluster = { options: { redisOptions: { password: 'initial' as string | undefined } }, nodes: () => nodes };
  return { cluster: cluster as unknown as Cluster, nodes, redisOptions: cluster.options.redisOptions };
}

describe('IamAuthRenewal', () => {
  let now = 0;
  let signed = 0;
  const renewal = () => new IamAuthRenewal(async () => `token-${++signed}`, () => now);
  beforeEach(() => {
    now = 1_000_000;
    signed = 0;
  });

  test('renews well before a token expires', () => {
    expect(TOKEN_REFRESH_MS).toBeLessThan(TOKEN_TTL_SECONDS * 1000 - 5 * 60_000); // a 5-minute invocation still reconnects with a valid token
    expect(CONNECTION_MAX_AGE_MS).toBeLessThan(12 * 3_600_000);
  });

  test('the first token is signed once; later calls reuse it until it is old', async () => {
    const r = renewal();
    expect(await r.current()).toBe('token-1');
    now += TOKEN_REFRESH_MS - 1;
    expect(await r.current()).toBe('token-1');
    now += 1;
    expect(await r.current()).toBe('token-2');
  });

  test('keepFresh puts a new token where every node and every new node reads it on (re)connect', async () => {
    const r = renewal();
    const { cluster, nodes, redisOptions } = fakeCluster(3);
    await r.current();
    await r.keepFresh(cluster);
    expect(nodes.map((n) => n.options.password)).toEqual(['initial', 'initial', 'initial']); // still fresh: untouched
    now += TOKEN_REFRESH_MS;
    await r.keepFresh(cluster);
    expect(nodes.map((n) => n.options.password)).toEqual(['token-2', 'token-2', 'token-2']);
    expect(redisOptions.password).toBe('token-2');
  });

  test('concurrent renewals sign once', async () => {
    const r = renewal();
    const { cluster } = fakeCluster(1);
    await Promise.all([r.keepFresh(cluster), r.keepFresh(cluster), r.current()]);
    expect(signed).toBe(1);
  });

  test('asks for the connections to be reopened before the 12-hour limit', () => {
    const r = renewal();
    expect(r.connectionExpiring()).toBe(false);
    now += CONNECTION_MAX_AGE_MS - 1;
    expect(r.connectionExpiring()).toBe(false);
    now += 1;
    expect(r.connectionExpiring()).toBe(true);
  });
});
