// ElastiCache IAM authentication: the password is a SigV4-presigned "connect" request for the
// user, valid for 15 minutes to open a connection (an open connection lasts at most 12 hours).
// The signing is the AWS SDK's (@smithy/signature-v4); only the hash primitive is adapted from
// node:crypto, since the SDK's Node hash package is not a dependency of its own here.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';

/** How long a token may be used to open a connection (the maximum ElastiCache accepts). */
export const TOKEN_TTL_SECONDS = 900;

export interface IamTokenRequest {
  /** Replication group id (the host part of the signed request). */
  replicationGroupId: string;
  /** ElastiCache user id (IAM-enabled users have user name = user id). */
  userId: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Signing time; defaults to now. */
  signingDate?: Date;
}

const toBuffer = (data: SourceData): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the SDK's signer expects. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export async function elastiCacheIamToken(req: IamTokenRequest): Promise<string> {
  const signer = new SignatureV4({ service: 'elasticache', region: req.region, credentials: req.credentials, sha256: NodeSha256, uriEscapePath: true });
  const host = req.replicationGroupId.toLowerCase();
  const signed = await signer.presign(
    { method: 'GET', protocol: 'http:', hostname: host, path: '/', headers: { host }, query: { Action: 'connect', User: req.userId } },
    { expiresIn: TOKEN_TTL_SECONDS, signingDate: req.signingDate },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).filter((x): x is string => x != null).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');
  // The token is the signed URL without its scheme.
  return `${host}/?${query}`;
}
