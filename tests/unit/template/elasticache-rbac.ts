// What ElastiCache accepts for RBAC users and user groups: rules that cfn-lint, checkov and
// `sam validate --lint` do not check, so the template tests hold the template to them.
// Sources (each rule below names its own):
// [RBAC]  ElastiCache User Guide, "Role-Based Access Control (RBAC)", limitations:
//         https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html
//         "A user group configured for the VALKEY engine can only contain users who are using an
//         authentication mechanism (either password or IAM)"; Valkey clusters may use user groups
//         of engine valkey or redis; Redis OSS clusters only user groups of engine redis.
// [IAM]   ElastiCache User Guide, "Authenticating with IAM", limitations:
//         https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html
//         user name and user id must be identical for an IAM-enabled user; IAM authentication
//         needs Valkey 7.2+ (Redis OSS 7.0+) and in-transit encryption.
// [CDK]   AWS CDK aws-elasticache-alpha: NoPasswordUser refuses engine valkey ("Valkey engine
//         does not support no-password authentication"); UserGroup requires a user named
//         "default" only when its engine is redis, and then only redis users
//         (packages/@aws-cdk/aws-elasticache-alpha/lib/{no-password-user,user-group}.ts);
//         open-constructs/aws-cdk-library#69 states the same for Valkey user groups.
// [CFN]   AWS::ElastiCache::UserGroup, UserIds: "A user named default must be included" (written
//         when redis was the only engine; terraform-provider-aws #25593 / #34784 report it as
//         DefaultUserRequired on redis groups).
import { asArray, isObject, type Obj } from './cfn.js';

export interface RbacUser {
  id: string; // logical id in the template
  engine: string;
  userId: unknown;
  userName: unknown;
  authType: string | undefined;
  noPasswordRequired: boolean;
}

export interface RbacGroup {
  id: string;
  engine: string;
  members: RbacUser[];
}

export function rbacUser(id: string, props: Obj): RbacUser {
  const mode = isObject(props.AuthenticationMode) ? props.AuthenticationMode : {};
  const authType = typeof mode.Type === 'string' ? mode.Type : props.NoPasswordRequired === true ? 'no-password-required' : asArray(props.Passwords).length ? 'password' : undefined;
  return { id, engine: String(props.Engine).toLowerCase(), userId: props.UserId, userName: props.UserName, authType, noPasswordRequired: props.NoPasswordRequired === true || authType === 'no-password-required' };
}

/** Every rule a user breaks, as readable sentences (empty: ElastiCache accepts it). */
export function userViolations(u: RbacUser): string[] {
  const out: string[] = [];
  if (!['valkey', 'redis'].includes(u.engine)) out.push(`${u.id}: engine ${u.engine} has no RBAC users (valkey or redis only)`);
  if (u.engine === 'valkey' && !['iam', 'password'].includes(String(u.authType))) out.push(`${u.id}: a valkey user authenticates with iam or password only, not ${u.authType} [RBAC, CDK]`);
  if (u.authType === 'iam' && JSON.stringify(u.userName) !== JSON.stringify(u.userId)) out.push(`${u.id}: an IAM user's UserName must equal its UserId [IAM]`);
  return out;
}

/** Every rule a user group breaks. */
export function groupViolations(g: RbacGroup): string[] {
  const out: string[] = [];
  if (g.engine === 'valkey') {
    for (const u of g.members) if (!['iam', 'password'].includes(String(u.authType))) out.push(`${g.id}: a valkey user group holds only password or IAM users, not ${u.id} (${u.authType}) [RBAC]`);
  } else if (g.engine === 'redis') {
    for (const u of g.members) if (u.engine !== 'redis') out.push(`${g.id}: a redis user group holds only redis users, not ${u.id} (${u.engine}) [CDK]`);
    if (!g.members.some((u) => u.userName === 'default')) out.push(`${g.id}: a redis user group must hold a user named "default" [CFN, CDK]`);
  } else out.push(`${g.id}: engine ${g.engine} has no user groups`);
  return out;
}

/** Which user-group engines a replication group of `cacheEngine` may use [RBAC]. */
export function groupEnginesFor(cacheEngine: string): string[] {
  return cacheEngine.toLowerCase() === 'valkey' ? ['valkey', 'redis'] : ['redis'];
}
