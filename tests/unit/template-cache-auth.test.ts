// Cache authentication in the template: IAM authentication as an RBAC user limited by
// functions/domain/acl-rules.ts (the default), or the Secrets Manager AUTH token.
import { SLUICE_ACL_RULES, elastiCacheAccessString } from '../../functions/domain/acl-rules.js';
import { KEY_NAMESPACES, controlKeys, dataKey } from '../../functions/domain/key-layout.js';
import { asArray, evaluateCondition, loadTemplate, parameterValues, referencedIds, resolve, resourcesOfType, type Obj, type Resource } from './template/cfn.js';
import { deployedStatements, principalPolicies } from './template/iam.js';

const template = loadTemplate(new URL('../../template.yaml', import.meta.url));
const [[, group]] = resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup') as [[string, Resource]];
const withMode = (CacheAuthMode: string) => parameterValues(template, { CacheAuthMode });
const deployed = (params: Obj) => Object.entries(template.Resources).filter(([, r]) => !r.Condition || evaluateCondition(template, r.Condition, params));
const env = (params: Obj) => resolve(template, (template.Globals?.Function?.Environment as Obj).Variables, params) as Obj;

describe('the ACL rules', () => {
  test('allow only the key namespaces of the key layout, and no channels', () => {
    expect(SLUICE_ACL_RULES.filter((r) => r.startsWith('~'))).toEqual(KEY_NAMESPACES.map((p) => `~${p}*`));
    expect(SLUICE_ACL_RULES).toEqual(expect.arrayContaining(['resetkeys', 'resetchannels', '-@all']));
    expect(SLUICE_ACL_RULES.some((r) => r.startsWith('&') || r === 'allchannels' || r === 'allkeys' || r.startsWith('+@'))).toBe(false);
    for (const key of [dataKey('d', 'v1', 0), ...Object.values(controlKeys('d')).map((k) => (typeof k === 'function' ? k('v1') : k))]) {
      expect(KEY_NAMESPACES.some((p) => key.startsWith(p))).toBe(true);
    }
  });
});

describe('CacheAuthMode', () => {
  test('defaults to iam', () => {
    expect(template.Parameters.CacheAuthMode?.Default).toBe('iam');
    expect(asArray(template.Parameters.CacheAuthMode?.AllowedValues).sort()).toEqual(['auth-token', 'iam']);
  });

  test('iam: one IAM-authenticated valkey user whose access string is exactly the ACL rules, in the group the cache uses', () => {
    const params = withMode('iam');
    const users = deployed(params).filter(([, r]) => r.Type === 'AWS::ElastiCache::User');
    const iamUsers = users.filter(([, r]) => (r.Properties?.AuthenticationMode as Obj | undefined)?.Type === 'iam');
    expect(iamUsers).toHaveLength(1);
    const [userId, user] = iamUsers[0]!;
    expect(user.Properties).toEqual(expect.objectContaining({ Engine: 'valkey', AccessString: elastiCacheAccessString() }));
    expect(user.Properties?.UserName).toEqual(user.Properties?.UserId); // IAM auth requires name = id
    // Any other user in the group (the required "default") is switched off.
    for (const [, other] of users.filter(([id]) => id !== userId)) expect(String(other.Properties?.AccessString)).toMatch(/^off\b.*-@all/);
    const groups = asArray(resolve(template, group.Properties?.UserGroupIds, params)).flatMap((g) => [...referencedIds(g)]);
    expect(groups).toHaveLength(1);
    const userGroup = template.Resources[groups[0]!];
    expect(userGroup?.Properties?.Engine).toBe('valkey');
    expect(new Set(asArray(userGroup?.Properties?.UserIds).flatMap((u) => [...referencedIds(u)]))).toEqual(new Set(users.map(([id]) => id)));
    expect(resolve(template, group.Properties?.AuthToken, params)).toBeUndefined();
    expect(deployed(params).some(([, r]) => r.Type === 'AWS::SecretsManager::Secret')).toBe(false);
    expect(env(params)).toEqual(expect.objectContaining({ REDIS_AUTH_MODE: 'iam', REDIS_PASSWORD_SECRET_ARN: '', REDIS_TLS: 'true' }));
    expect([...referencedIds(env(params).REDIS_IAM_USER)]).toEqual([userId]);
  });

  test('iam: every function may connect, as that user, to this replication group only', () => {
    const params = withMode('iam');
    for (const [id, fn] of resourcesOfType(template, 'AWS::Serverless::Function')) {
      const connect = deployedStatements(template, principalPolicies(template, fn), params).filter((s) => asArray(s.Action).includes('elasticache:Connect'));
      const resources = connect.flatMap((s) => asArray(s.Resource)).map((r) => String((r as Obj)['Fn::Sub']));
      expect({ id, resources: resources.sort() }).toEqual({
        id,
        resources: [
          'arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}:replicationgroup:${CacheReplicationGroup}',
          'arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}:user:${CacheUser}',
        ],
      });
    }
  });

  test('auth-token: no RBAC users; the AUTH token secret, read by the functions', () => {
    const params = withMode('auth-token');
    expect(deployed(params).filter(([, r]) => r.Type.startsWith('AWS::ElastiCache::User'))).toEqual([]);
    expect(resolve(template, group.Properties?.UserGroupIds, params)).toBeUndefined();
    expect(env(params)).toEqual(expect.objectContaining({ REDIS_AUTH_MODE: 'password', REDIS_IAM_USER: '' }));
    expect([...referencedIds(env(params).REDIS_PASSWORD_SECRET_ARN)]).toEqual(['CacheAuthTokenSecret']);
  });
});
