// The ElastiCache IAM auth token against the SigV4 presigning steps, computed here from the
// specification with node:crypto (fixed clock, fixed credentials), not with the SDK signer.
import { createHash, createHmac } from 'node:crypto';
import { TOKEN_TTL_SECONDS, elastiCacheIamToken } from '../../../functions/adapters/elasticache-iam-token.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
const signingDate = new Date('2026-01-02T03:04:05Z');
const request = { replicationGroupId: 'Sluice-RG', userId: 'sluice-app', region: 'eu-west-1', credentials, signingDate };

// RFC 3986 unreserved characters stay; everything else is %XX (SigV4's UriEncode).
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

function expectedSignature(query: Record<string, string>, secret: string): string {
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(query[k]!)}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, 'host:sluice-rg', '', 'host', sha256Hex('')].join('\n');
  const scope = '20260102/eu-west-1/elasticache/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', '20260102T030405Z', scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${secret}`, '20260102');
  const kSigning = hmac(hmac(hmac(kDate, 'eu-west-1'), 'elasticache'), 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

describe('elastiCacheIamToken', () => {
  test('is the presigned connect URL for the user, without scheme, signed per SigV4', async () => {
    const token = await elastiCacheIamToken(request);
    expect(token.startsWith('sluice-rg/?')).toBe(true); // the replication group id, lower-cased
    const params = Object.fromEntries(new URLSearchParams(token.slice('sluice-rg/?'.length)));
    const { 'X-Amz-Signature': signature, ...signedParams } = params;
    expect(signedParams).toEqual({
      Action: 'connect',
      User: 'sluice-app',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260102/eu-west-1/elasticache/aws4_request',
      'X-Amz-Date': '20260102T030405Z',
      'X-Amz-Expires': String(TOKEN_TTL_SECONDS),
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Security-Token': credentials.sessionToken,
    });
    expect(TOKEN_TTL_SECONDS).toBe(900);
    expect(signature).toBe(expectedSignature(signedParams, credentials.secretAccessKey));
  });

  test('another secret, user or time gives another signature; the same inputs the same token', async () => {
    const token = await elastiCacheIamToken(request);
    expect(await elastiCacheIamToken(request)).toBe(token);
    expect(await elastiCacheIamToken({ ...request, credentials: { ...credentials, secretAccessKey: 'other' } })).not.toBe(token);
    expect(await elastiCacheIamToken({ ...request, userId: 'someone-else' })).not.toBe(token);
    expect(await elastiCacheIamToken({ ...request, signingDate: new Date('2026-01-02T03:04:06Z') })).not.toBe(token);
  });

  test('credentials may come from a provider (the SDK default chain in Lambda)', async () => {
    const fromProvider = await elastiCacheIamToken({ ...request, credentials: async () => credentials });
    expect(fromProvider).toBe(await elastiCacheIamToken(request));
  });
});
