// The access rules of the user Sluice connects to Redis as, in ACL SETUSER syntax (ElastiCache
// RBAC access strings use the same): Sluice's own key namespaces only, no pub/sub channels, and
// only the commands the pipeline, the readers and ioredis itself send (keys touched inside the
// Lua scripts are checked too). Nothing that reads or changes configuration, scans the keyspace
// or flushes it. The local TLS cluster and the template's ElastiCache user both use these.
import { KEY_NAMESPACES } from './key-layout.js';

const SLUICE_ACL_COMMANDS: readonly string[] = [
  // connection and topology: ioredis authenticates, checks the cluster state, reads the slot
  // map; the pre-flight check reads INFO memory/replication
  '+auth', '+hello', '+ping', '+quit', '+client|setname', '+cluster|slots', '+cluster|info', '+info',
  // what the pipeline, the version store's scripts and the readers run on their keys
  '+get', '+set', '+del', '+unlink', '+exists', '+expire',
  '+hget', '+hmget', '+hset', '+hgetall', '+hdel',
  // the release checks: a chunk's attempt counter, the distinct count, the live-key sample
  '+hincrby', '+hlen', '+hrandfield', '+hexists',
  '+zadd', '+zrange', '+zrem',
  '+eval',
  // erasure and suppression: the tombstones (read whole by loads, by time before a swap) and the suppressed set
  '+hkeys', '+zrangebyscore', '+zcount', '+sadd', '+srem', '+scard', '+smembers',
  // the correction log (puts): its generation counter, its replay read in pages; the key lists
  // the erase and put scripts keep (adapters/key-lists.ts)
  '+incr', '+hscan', '+append',
  // chunks and commits wait for replicas to acknowledge; reads fall back to replicas in a failover
  '+wait', '+readonly',
];

export const SLUICE_ACL_RULES: readonly string[] = [
  'resetkeys', ...KEY_NAMESPACES.map((prefix) => `~${prefix}*`),
  'resetchannels',
  '-@all',
  ...SLUICE_ACL_COMMANDS,
];

/** The rules as one ElastiCache access string (`on` enables the user). */
export function elastiCacheAccessString(): string {
  return ['on', ...SLUICE_ACL_RULES].join(' ');
}
