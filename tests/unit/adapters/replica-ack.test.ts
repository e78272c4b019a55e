// The replica check's decisions, over a stand-in for the cluster client (no network): how many
// replicas a master must hear from, what is sent, and when the step must be retried.
import type { Cluster } from 'ioredis';
import { awaitReplicas, replicaCount } from '../../../functions/adapters/replica-ack.js';
import { TransientError } from '../../../functions/errors.js';

function fakeCluster(slots: string[][], reply: (commands: unknown[][]) => [Error | null, unknown][] | null) {
  const sent: unknown[][] = [];
  const options: { host: string; port: number; commandTimeout?: number } = { host: '127.0.0.1', port: 7000, commandTimeout: 1000 };
  const connection = {
    options,
    pipeline() {
      const commands: unknown[][] = [];
      const p = {
        hset: (...args: unknown[]) => (commands.push(['hset', ...args]), p),
        wait: (...args: unknown[]) => (commands.push(['wait', ...args]), p),
        exec: () => {
          sent.push(...commands);
          // The per-command timeout is lifted while the pipeline is sent (WAIT may take longer).
          sent.push(['commandTimeout during exec', options.commandTimeout]);
          return Promise.resolve(reply(commands));
        },
      };
      return p;
    },
  };
  const cluster = { slots, nodes: () => [connection] } as unknown as Cluster;
  return { cluster, sent, options };
}

const rewrite = (p: { hset: (k: string, f: string, v: string) => unknown }) => p.hset('sluice:d:v:1', 'u1', '[1]');

test('the replicas to wait for come from the slot map: a master with two waits for two', () => {
  const { cluster } = fakeCluster([['127.0.0.1:7000', '127.0.0.1:7003', '127.0.0.1:7004'], ['127.0.0.1:7001']], () => null);
  expect(replicaCount(cluster, '127.0.0.1:7000')).toBe(2);
  expect(replicaCount(cluster, '127.0.0.1:7001')).toBe(0);
  // A master that serves no slot any more was replaced: what it acknowledged cannot be vouched for.
  expect(() => replicaCount(cluster, '127.0.0.1:7009')).toThrow(TransientError);
});

test('WAIT follows an idempotent rewrite on the master\'s own connection; all replicas acknowledging passes', async () => {
  const { cluster, sent, options } = fakeCluster([['127.0.0.1:7000', '127.0.0.1:7003', '127.0.0.1:7004']], () => [[null, 0], [null, 2]]);
  await awaitReplicas(cluster, '127.0.0.1:7000', { timeoutMs: 5000 }, rewrite, 'chunk writes');
  expect(sent).toEqual([['hset', 'sluice:d:v:1', 'u1', '[1]'], ['wait', 2, 5000], ['commandTimeout during exec', undefined]]);
  expect(options.commandTimeout).toBe(1000);
});

test('fewer acknowledgements than replicas, or an error reply, is a TransientError naming the master', async () => {
  const short = fakeCluster([['127.0.0.1:7000', '127.0.0.1:7003', '127.0.0.1:7004']], () => [[null, 0], [null, 1]]);
  await expect(awaitReplicas(short.cluster, '127.0.0.1:7000', { timeoutMs: 250 }, rewrite, 'chunk writes')).rejects.toThrow(
    new TransientError('chunk writes: only 1 of 2 replicas of Redis master 127.0.0.1:7000 acknowledged the writes within 250 ms'),
  );
  const refused = fakeCluster([['127.0.0.1:7000', '127.0.0.1:7003']], () => [[new Error('READONLY You can\'t write against a read only replica.'), null], [null, 0]]);
  await expect(awaitReplicas(refused.cluster, '127.0.0.1:7000', { timeoutMs: 250 }, rewrite, 'pointer swap to v2')).rejects.toThrow(TransientError);
});

test('a master without replicas has nothing to wait for', async () => {
  const { cluster, sent } = fakeCluster([['127.0.0.1:7000']], () => null);
  await awaitReplicas(cluster, '127.0.0.1:7000', { timeoutMs: 250 }, rewrite, 'chunk writes');
  expect(sent).toEqual([]);
});
