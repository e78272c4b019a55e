// The Redis password may come from Secrets Manager (the template generates the AUTH token
// there) so that no secret sits in the environment or the template.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../errors.js';

export async function readPasswordSecret(secretId: string, client = new SecretsManagerClient({})): Promise<string> {
  const r = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const raw = r.SecretString;
  if (!raw) throw new ConfigError(`secret ${secretId} has no string value`);
  if (!raw.trimStart().startsWith('{')) return raw;
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  const value = parsed.password ?? parsed.authToken ?? parsed.token;
  if (typeof value !== 'string') throw new ConfigError(`secret ${secretId} is JSON without a "password" field`);
  return value;
}
