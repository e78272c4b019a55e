// Minimal types for s3rver 3.7 (CommonJS, ships none): only what local/s3-server.ts uses.
// s3rver is a Koa app; its Koa surface is deliberately left out.
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    interface BucketConfig {
      name: string;
      /** CORS / website configuration XML documents. */
      configs?: (string | Buffer)[];
    }

    interface Options {
      address?: string;
      /** 0 picks a free port; read it from the AddressInfo `run()` resolves to. */
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      vhostBuckets?: boolean;
      serviceEndpoint?: string;
      configureBuckets?: BucketConfig[];
      key?: string | Buffer;
      cert?: string | Buffer;
    }
  }

  class S3rver {
    constructor(options?: S3rver.Options);
    /** Creates the configured buckets, then listens. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Deletes every bucket and object in the store. */
    reset(): void;
    /** Set once `run()` has resolved. */
    httpServer?: Server;
  }

  export = S3rver;
}
