// Keeps an IAM-authenticated cluster client connectable. ElastiCache accepts a token for 15
// minutes to open a connection and closes any connection after 12 hours; ioredis sends the
// `password` in its options on every (re)connect, to every node. So: sign a new token before
// the old one gets near its end and put it where the next (re)connect reads it, and have the
// caller reopen the client before the 12-hour limit.
import type { Cluster } from 'ioredis';

/** A token is replaced once it is this old (well inside its 15 minutes, even for a 5-minute invocation). */
export const TOKEN_REFRESH_MS = 5 * 60_000;
/** The client is reopened once its connections are this old (ElastiCache closes them at 12 hours). */
export const CONNECTION_MAX_AGE_MS = 11 * 3_600_000;

export class IamAuthRenewal {
  private token = '';
  private signedAt = -Infinity;
  private readonly connectedAt: number;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly sign: () => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {
    this.connectedAt = now();
  }

  /** A fresh token (for the first connection). */
  async current(): Promise<string> {
    if (this.now() - this.signedAt >= TOKEN_REFRESH_MS) await this.renew();
    return this.token;
  }

  /** Signs a new token when the current one is old, and hands it to every later (re)connect of `cluster`. */
  async keepFresh(cluster: Cluster): Promise<void> {
    if (this.now() - this.signedAt < TOKEN_REFRESH_MS) return;
    await this.renew();
    applyPassword(cluster, this.token);
  }

  /** True once the connections are near ElastiCache's 12-hour limit: reopen the client. */
  connectionExpiring(): boolean {
    return this.now() - this.connectedAt >= CONNECTION_MAX_AGE_MS;
  }

  private renew(): Promise<void> {
    this.pending ??= this.sign()
      .then((token) => {
        this.token = token;
        this.signedAt = this.now();
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}

/** The password the cluster's next connections (new nodes, reconnects of existing ones) send. */
function applyPassword(cluster: Cluster, password: string): void {
  if (cluster.options.redisOptions) cluster.options.redisOptions.password = password;
  for (const node of cluster.nodes()) node.options.password = password;
}
