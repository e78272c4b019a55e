// Cache authentication in the template: IAM authentication as an RBAC user limited by
// functions/domain/acl-rules.ts (the default), or the Secrets Manager AUTH token (no RBAC users).
// The users and user groups are held to the rules ElastiCache states for Valkey (cited in
// ./template/elasticache-rbac.ts): no linter checks them, and CreateUser refuses what breaks them.
import { SLUICE_ACL_RULES, elastiCacheAccessString } from '../../functions/domain/acl-rules.js';
import { KEY_NAMESPACES, controlKeys, dataKey } from '../../functions/domain/key-layout.js';
import { asArray, evaluateCondition, loadTemplate, parameterValues, referencedIds, resolve, resourcesOfType, type Obj, type Resource } from './template/cfn.js';
import { type RbacGroup, type RbacUser, groupEnginesFor, groupViolations, rbacUser, userViolations } from './template/elasticache-rbac.js';
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

  // The rules come from AWS's pages, cited in ./template/elasticache-rbac.ts.
  const usersAndGroups = (params: Obj) => {
    const users = new Map(deployed(params).filter(([, r]) => r.Type === 'AWS::ElastiCache::User').map(([id, r]) => [id, rbacUser(id, (resolve(template, r.Properties, params) ?? {}) as Obj)]));
    const groupIds = asArray(resolve(template, group.Properties?.UserGroupIds, params)).flatMap((g) => [...referencedIds(g)]);
    const groups = groupIds.map((id): RbacGroup => {
      const props = template.Resources[id]?.Properties ?? {};
      const members = asArray(props.UserIds).flatMap((u) => [...referencedIds(u)]).map((u) => users.get(u) ?? rbacUser(u, {}));
      return { id, engine: String(props.Engine).toLowerCase(), members };
    });
    return { users: [...users.values()], groups };
  };

  test.each(['iam', 'auth-token'])('%s: every ElastiCache user and user group is one ElastiCache accepts for a valkey cache', (mode) => {
    const params = withMode(mode);
    const { users, groups } = usersAndGroups(params);
    expect(users.flatMap(userViolations)).toEqual([]);
    expect(groups.flatMap(groupViolations)).toEqual([]);
    expect(group.Properties?.Engine).toBe('valkey');
    for (const g of groups) expect(groupEnginesFor(String(group.Properties?.Engine))).toContain(g.engine);
    // The AUTH token (auth-token mode, no RBAC users) needs in-transit encryption (ElastiCache User
    // Guide, "Authenticating with the Valkey and Redis OSS AUTH command",
    // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html); so does IAM authentication [IAM].
    expect(group.Properties).toEqual(expect.objectContaining({ TransitEncryptionEnabled: true }));
    expect(resolve(template, group.Properties?.AuthToken, params) === undefined).toBe(groups.length > 0); // one or the other
    // IAM authentication needs Valkey 7.2 or later [IAM].
    if (groups.length) {
      expect(group.Properties).toEqual(expect.objectContaining({ TransitEncryptionEnabled: true }));
      const [major = 0, minor = 0] = String(group.Properties?.EngineVersion).split('.').map(Number);
      expect(major * 100 + minor).toBeGreaterThanOrEqual(702);
    }
  });

  test('the rules refuse what ElastiCache refuses (the shapes this template once had, and their kin)', () => {
    const iamUser = rbacUser('Iam', { Engine: 'valkey', UserId: 'sluice', UserName: 'sluice', AuthenticationMode: { Type: 'iam' } });
    const noPassDefault = rbacUser('Default', { Engine: 'valkey', UserId: 'sluice-default', UserName: 'default', AuthenticationMode: { Type: 'no-password-required' } });
    expect(userViolations(noPassDefault)).toEqual([expect.stringContaining('iam or password only')]);
    expect(userViolations(rbacUser('Named', { Engine: 'valkey', UserId: 'sluice', UserName: 'other', AuthenticationMode: { Type: 'iam' } }))).toEqual([expect.stringContaining('must equal its UserId')]);
    expect(groupViolations({ id: 'G', engine: 'valkey', members: [iamUser, noPassDefault] })).toEqual([expect.stringContaining('only password or IAM users')]);
    // The default-user rule is a redis user group's, and such a group holds redis users only.
    expect(groupViolations({ id: 'G', engine: 'valkey', members: [iamUser] })).toEqual([]);
    expect(groupViolations({ id: 'G', engine: 'redis', members: [iamUser] })).toEqual([expect.stringContaining('only redis users'), expect.stringContaining('named "default"')]);
    const redisDefault = rbacUser('D', { Engine: 'redis', UserId: 'd', UserName: 'default', NoPasswordRequired: true });
    expect(userViolations(redisDefault)).toEqual([]);
    expect(groupViolations({ id: 'G', engine: 'redis', members: [redisDefault] })).toEqual([]);
    expect(groupEnginesFor('redis')).toEqual(['redis']);
  });

  test('iam: one IAM user (valkey, name = id) whose access string is exactly the ACL rules, alone in the group the cache uses', () => {
    const params = withMode('iam');
    const { users, groups } = usersAndGroups(params);
    expect(users).toHaveLength(1);
    const [user] = users as [RbacUser];
    expect(user).toEqual(expect.objectContaining({ engine: 'valkey', authType: 'iam' }));
    expect(template.Resources[user.id]?.Properties?.AccessString).toBe(elastiCacheAccessString());
    expect(groups).toEqual([expect.objectContaining({ engine: 'valkey', members: [user] })]);
    expect(resolve(template, group.Properties?.AuthToken, params)).toBeUndefined();
    expect(deployed(params).some(([, r]) => r.Type === 'AWS::SecretsManager::Secret')).toBe(false);
    expect(env(params)).toEqual(expect.objectContaining({ REDIS_AUTH_MODE: 'iam', REDIS_PASSWORD_SECRET_ARN: '', REDIS_TLS: 'true' }));
    expect([...referencedIds(env(params).REDIS_IAM_USER)]).toEqual([user.id]);
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
