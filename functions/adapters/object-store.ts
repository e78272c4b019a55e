// What the pipeline needs from object storage, and its S3 implementation. Reads are pinned to
// the planned ETag (If-Match): an object replaced mid-load fails the load, it never mixes files.
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { InputChangedError, InvalidInputError, S3UnreachableError, TransientError } from '../errors.js';

export interface StoredObject {
  key: string;
  etag: string;
  size: number;
}

export interface ByteStream extends AsyncIterable<Buffer> {
  /** Stops reading; the rest of the object is never transferred. */
  close(): void;
}

export interface ObjectStore {
  list(bucket: string, prefix: string): AsyncIterable<StoredObject>;
  /** The object, or null when there is none the caller can read under that key. */
  head(bucket: string, key: string): Promise<StoredObject | null>;
  /** Bytes from `offset` to `end` (exclusive; the object's end when omitted), pinned to `etag`. */
  read(bucket: string, key: string, etag: string, offset: number, end?: number): Promise<ByteStream>;
}

/**
 * How long to wait for a TCP connection to S3. Inside a VPC, S3 (through a gateway endpoint or a
 * NAT) connects in milliseconds; a subnet with no route to S3 never connects, and without a bound
 * the SDK would wait until the function's own timeout (Plan: 120 s) and fail with no hint. The SDK
 * tries each request 3 times, so a missing route surfaces as S3UnreachableError in a few seconds.
 */
export const S3_CONNECT_TIMEOUT_MS = 1000;

export function createS3Client(endpointUrl: string | undefined): S3Client {
  const config: S3ClientConfig = { requestHandler: { connectionTimeout: S3_CONNECT_TIMEOUT_MS } };
  if (endpointUrl) {
    // A local S3-compatible server (s3rver): path-style URLs, and no streaming checksums,
    // which it would otherwise store inside the object body.
    config.endpoint = endpointUrl;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

function status(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async *list(bucket: string, prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (err) {
        throw this.translate(err, `listing s3://${bucket}/${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key && o.ETag !== undefined && o.Size !== undefined) yield { key: o.Key, etag: o.ETag, size: o.Size };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async head(bucket: string, key: string): Promise<StoredObject | null> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { key, etag: r.ETag ?? '', size: r.ContentLength ?? 0 };
    } catch (err) {
      // S3 answers 403, not 404, for a key that does not exist when the caller may not list the
      // bucket (Amazon S3 API Reference, HeadObject), as Sluice's roles may not outside their
      // prefix condition: a HEAD carries no s3:prefix. Either way there is no object to read;
      // one Plan may not read at all is refused by the listing or the read that follows.
      if (status(err) === 404 || status(err) === 403) return null;
      throw this.translate(err, `reading s3://${bucket}/${key}`);
    }
  }

  async read(bucket: string, key: string, etag: string, offset: number, end?: number): Promise<ByteStream> {
    let body: Readable;
    try {
      const r = await this.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag, Range: `bytes=${offset}-${end === undefined ? '' : end - 1}` }),
      );
      body = r.Body as Readable;
      // S3 answers 412 to a failed If-Match, but not every S3-compatible store honours it
      // (s3rver ignores it): check the ETag of what came back as well.
      if (r.ETag !== undefined && r.ETag !== etag) {
        body.destroy();
        throw new InputChangedError(`${bucket}/${key}`, etag);
      }
    } catch (err) {
      if (err instanceof InputChangedError) throw err;
      const code = status(err);
      if (code === 412 || code === 404) throw new InputChangedError(`${bucket}/${key}`, etag);
      if (code === 416) return emptyStream(); // offset at or past the end: nothing to read
      throw this.translate(err, `reading s3://${bucket}/${key}`);
    }
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for await (const chunk of body) yield chunk as Buffer;
        } catch (err) {
          throw new TransientError(`reading s3://${bucket}/${key} from byte ${offset} failed: ${describe(err)}`, { cause: err });
        }
      },
      close: () => body.destroy(),
    };
  }

  private translate(err: unknown, what: string): Error {
    if (isConnectTimeout(err)) {
      return new S3UnreachableError(
        `${what}: S3 could not be reached from the function's subnets (no connection within ${S3_CONNECT_TIMEOUT_MS} ms, ${S3_CONNECT_ATTEMPTS} attempts). ` +
          'Their route tables need a route to S3: an S3 gateway endpoint (template parameter PrivateRouteTableIds lists the tables to add it to) or a NAT gateway',
        { cause: err },
      );
    }
    const code = status(err);
    if (code === 403 || code === 400) return new InvalidInputError(`${what}: ${describe(err)}`, { cause: err });
    if (code === 404) return new InvalidInputError(`${what}: the bucket or object does not exist`, { cause: err });
    return new TransientError(`${what} failed: ${describe(err)}`, { cause: err });
  }
}

/** The SDK's default: each request is tried this many times before its error reaches us. */
const S3_CONNECT_ATTEMPTS = 3;

/** The HTTP handler's connection timeout (a TCP connect that never completed), not a slow answer. */
function isConnectTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError' && /did not establish a connection/.test(err.message);
}

function emptyStream(): ByteStream {
  return { async *[Symbol.asyncIterator]() {}, close() {} };
}
