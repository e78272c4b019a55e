// One ioredis Cluster client per container, built from RedisConfig. ElastiCache with TLS
// needs the configuration endpoint's hostname kept for SNI/certificate checks, hence the
// identity dnsLookup; RESP2 keeps replies (Lua tables, pipelines) the same on every engine.
import { Cluster, type ClusterOptions } from 'ioredis';
import type { RedisConfig } from '../config.js';

export interface RedisCredentials {
  username?: string;
  password?: string;
}

export interface ClusterConnectOptions {
  /** Extra TLS options: a CA (REDIS_TLS_CA_FILE) for a cluster whose certificates Node does not already trust. */
  tls?: Record<string, unknown>;
}

export function createRedisCluster(config: RedisConfig, credentials: RedisCredentials, extra: ClusterConnectOptions = {}): Cluster {
  const options: ClusterOptions = {
    scaleReads: 'master', // replicas may lag a fresh swap; read where the pointer was written
    enableReadyCheck: true,
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    slotsRefreshTimeout: 2000,
    redisOptions: {
      protocol: 2,
      username: credentials.username,
      password: credentials.password,
      commandTimeout: config.commandTimeoutMs,
      connectTimeout: 5000,
      maxRetriesPerRequest: 3,
      // No CLIENT SETINFO on connect: Valkey 8 (ElastiCache) has the command, so the restricted
      // ACL user would be refused it and every connection would leave a denial in the ACL log.
      disableClientInfo: true,
      tls: config.tls ? { ...extra.tls } : undefined,
    },
  };
  if (config.tls) options.dnsLookup = (address, callback) => callback(null, address);
  return new Cluster([{ host: config.host, port: config.port }], options);
}
