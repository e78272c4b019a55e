// REDIS_AUTH_MODE and the variables IAM authentication needs.
import { loadConfig } from '../../functions/config.js';

const iamEnv = { REDIS_AUTH_MODE: 'iam', REDIS_IAM_USER: 'sluice', REDIS_REPLICATION_GROUP_ID: 'sluice-rg', AWS_REGION: 'eu-west-1' };

describe('REDIS_AUTH_MODE', () => {
  test('defaults to password (username/password or the secret)', () => {
    expect(loadConfig({}).redis.authMode).toBe('password');
    expect(loadConfig({}).redis.iam).toBeUndefined();
  });

  test('iam: the user, the replication group and the Region the token is signed for', () => {
    expect(loadConfig(iamEnv).redis).toEqual(expect.objectContaining({ authMode: 'iam', iam: { userId: 'sluice', replicationGroupId: 'sluice-rg', region: 'eu-west-1' } }));
  });

  test.each([
    [{ REDIS_AUTH_MODE: 'token' }, /REDIS_AUTH_MODE="token" must be password or iam/],
    [{ ...iamEnv, REDIS_IAM_USER: '' }, /REDIS_IAM_USER is required/],
    [{ ...iamEnv, REDIS_REPLICATION_GROUP_ID: undefined }, /REDIS_REPLICATION_GROUP_ID is required/],
    [{ ...iamEnv, REDIS_IAM_USER: 'bad user!' }, /REDIS_IAM_USER="bad user!" must be an ElastiCache id/],
    [{ ...iamEnv, AWS_REGION: undefined }, /needs AWS_REGION/],
    [{ ...iamEnv, REDIS_TLS: 'false' }, /needs REDIS_TLS=true/],
    [{ ...iamEnv, REDIS_PASSWORD_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' }, /unset REDIS_PASSWORD_SECRET_ARN/],
    [{ ...iamEnv, REDIS_PASSWORD: 'p' }, /unset REDIS_PASSWORD/],
    [{ ...iamEnv, REDIS_USERNAME: 'someone' }, /unset REDIS_USERNAME/],
  ])('%j is refused, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
