// An in-process S3 (s3rver) for integration tests and local runs: real HTTP, real SDK client,
// objects on disk in a temp dir, no AWS account.
//
// Known s3rver 3.7 gaps (seen with 3.7.1; tests/integration/local-infra.test.ts checks what we
// rely on): suffix ranges `bytes=-N` are wrong, multipart ETags lack
// the `-N` suffix, and a *truncated* ListObjectsV2 page answers HTTP 500 on OpenSSL 3 because
// s3rver encrypts continuation tokens with DES. Node must therefore run with
// `--openssl-legacy-provider` whenever a listing can paginate; `npm test` already passes it.
//
// s3rver ships no types of its own; the hand-written ones are in s3rver.d.ts beside this file.
/// <reference path="./s3rver.d.ts" />
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** Where s3rver keeps buckets and objects. */
  dir: string;
  stop(): Promise<void>;
}

export interface StartS3Options {
  /** Storage dir. Default: a fresh mkdtemp under os.tmpdir(), removed by stop(). */
  dir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Buckets to create before the server starts listening. */
  buckets?: string[];
}

// s3rver only accepts its built-in dummy account; any other access key id is rejected with
// InvalidAccessKeyId (SigV4 signatures themselves are not checked).
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const HOST = '127.0.0.1';

export async function startS3(opts: StartS3Options = {}): Promise<LocalS3> {
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-s3-')));
  const server = new S3rver({
    address: HOST,
    port: opts.port ?? 0,
    directory: dir,
    silent: true, // silences both its winston request log and Koa's default error printer
    resetOnClose: false, // we remove the dir ourselves, and only when we created it
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });

  const { port } = await server.run().catch(async (err: unknown) => {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw err;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = server.close();
      // Node's close() waits for in-flight requests; a client that forgot destroy() must not be
      // able to hold the test run open, so drop every connection now.
      server.httpServer?.closeAllConnections();
      await closed;
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  return { endpoint: `http://${HOST}:${port}`, port, dir, stop };
}

/**
 * An S3 client for s3rver. Path-style addressing because s3rver cannot resolve
 * `bucket.127.0.0.1`; checksums only when required because s3rver stores the aws-chunked
 * framing of streamed uploads verbatim otherwise (silently corrupt objects, seen with 3.7.1).
 * Call `.destroy()` when done so its keep-alive sockets do not hold the process open.
 */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
