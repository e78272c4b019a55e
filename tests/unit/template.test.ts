// Checks on template.yaml that `sam validate --lint` cannot make: that it fits the code, the
// state machine definition and the event fixtures, and that its permissions stay narrow.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  asArray,
  everyBranch,
  intrinsic,
  isObject,
  loadTemplate,
  parameterValues,
  referencedIds,
  resolve,
  resourcesOfType,
  type Obj,
  type Resource,
} from './template/cfn.js';
import { snsPublishTopics } from './template/definition.js';
import { matchesPattern } from './template/event-pattern.js';
import { principalPolicies, statementsOf } from './template/iam.js';
import { REDIS_SERVER_SETTINGS } from '../../functions/domain/server-settings.js';
import { settingOf } from '../../functions/settings.js';

const root = new URL('../../', import.meta.url);
const template = loadTemplate(new URL('template.yaml', root));
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`events/${name}`, root), 'utf8'));

const functions = resourcesOfType(template, 'AWS::Serverless::Function');
const functionGlobals = template.Globals?.Function ?? {};
const prop = (r: Resource, key: string): unknown => r.Properties?.[key] ?? functionGlobals[key];

const [stateMachineEntry, ...otherStateMachines] = resourcesOfType(template, 'AWS::Serverless::StateMachine');
if (!stateMachineEntry || otherStateMachines.length) throw new Error('expected exactly one AWS::Serverless::StateMachine');
const [stateMachineId, stateMachine] = stateMachineEntry;
const smProps = stateMachine.Properties ?? {};
const aslText = readFileSync(new URL(String(smProps.DefinitionUri), root), 'utf8');
const substitutions = (smProps.DefinitionSubstitutions ?? {}) as Obj;

/** A Ref to a parameter of this template, and that parameter. */
function parameterOf(v: unknown): Obj | undefined {
  const fn = intrinsic(v);
  return fn?.[0] === 'Ref' && typeof fn[1] === 'string' ? template.Parameters[fn[1]] : undefined;
}

describe('functions', () => {
  test.each(functions)('%s is an esbuild ESM bundle whose entry point exists', (id, fn) => {
    const build = (fn.Metadata?.BuildProperties ?? {}) as Obj;
    expect(fn.Metadata?.BuildMethod).toBe('esbuild');
    const entryPoints = asArray(build.EntryPoints).map(String);
    expect(entryPoints).toHaveLength(1);
    const codeUri = String(prop(fn, 'CodeUri')).replace(/\/?$/, '/');
    for (const entry of entryPoints) {
      const file = new URL(codeUri + entry, root);
      expect({ id, file: file.pathname, exists: existsSync(file) }).toEqual({ id, file: file.pathname, exists: true });
    }
    // Handler "plan.handler" is the bundle of handlers/plan.ts, emitted as plan.mjs.
    const [entry] = entryPoints;
    expect(String(prop(fn, 'Handler')).replace(/\.[^.]+$/, '')).toBe(entry?.replace(/^.*\//, '').replace(/\.ts$/, ''));
    expect(build.Format).toBe('esm');
    expect(asArray(build.OutExtension)).toEqual(['.js=.mjs']);
    expect(build.Sourcemap).toBe(true);
    expect(asArray(build.Banner).join('\n')).toMatch(/createRequire[^;]*;\s*const require = /);
  });

  test('functions/handlers/ holds the entry points and nothing else (what they share is in functions/lambda/)', () => {
    const entries = functions.map(([, fn]) => {
      const codeUri = String(prop(fn, 'CodeUri')).replace(/\/?$/, '/');
      return new URL(codeUri + String(asArray((fn.Metadata?.BuildProperties as Obj | undefined)?.EntryPoints)[0]), root).pathname;
    });
    const handlers = new URL('functions/handlers/', root);
    const files = readdirSync(handlers).map((f) => new URL(f, handlers).pathname);
    expect(files.sort()).toEqual([...new Set(entries)].sort());
  });

  test.each(functions)('%s runs on Node 22 or newer, arm64, inside the VPC', (_id, fn) => {
    const runtime = String(prop(fn, 'Runtime'));
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    expect(major).toBeGreaterThanOrEqual(22);
    // esbuild targets the runtime's Node version.
    expect(fn.Metadata?.BuildProperties).toEqual(expect.objectContaining({ Target: `node${major}` }));
    expect(prop(fn, 'Architectures')).toEqual(['arm64']);
    const vpc = prop(fn, 'VpcConfig') as Obj | undefined;
    expect(vpc?.SubnetIds).toBeDefined();
    expect(asArray(vpc?.SecurityGroupIds).length).toBeGreaterThan(0);
  });

  test.each(functions)('%s runs under a role defined in this template (SAM-generated roles attach managed policies with Resource "*")', (_id, fn) => {
    const role = intrinsic(fn.Properties?.Role);
    expect(role?.[0]).toBe('Fn::GetAtt');
    const roleId = String(asArray(role?.[1])[0]);
    expect(template.Resources[roleId]?.Type).toBe('AWS::IAM::Role');
    expect(fn.Properties?.Policies).toBeUndefined();
  });
});

describe('state machine', () => {
  const placeholders = new Set([...aslText.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]));

  test('every ${...} in the definition has a substitution, and every substitution is used', () => {
    expect([...placeholders].sort()).toEqual(Object.keys(substitutions).sort());
  });

  test('each function the definition invokes is allowed lambda:InvokeFunction on it, and nothing else is', () => {
    const invoked = lambdaTaskPlaceholders(JSON.parse(aslText)).map((placeholder) => {
      const target = referencedIds(substitutions[placeholder]);
      expect(target.size).toBe(1);
      return [...target][0] as string;
    });
    expect(invoked.length).toBeGreaterThan(0);
    for (const id of invoked) expect(template.Resources[id]?.Type).toBe('AWS::Serverless::Function');

    const allowed = new Set<string>();
    for (const s of statementsOf(principalPolicies(template, stateMachine))) {
      if (!asArray(s.Action).includes('lambda:InvokeFunction')) continue;
      for (const resource of asArray(s.Resource)) referencedIds(resource).forEach((id) => allowed.add(id));
    }
    expect([...allowed].sort()).toEqual([...new Set(invoked)].sort());
  });

  test('held versions are announced on the alarm topic, and sns:Publish is allowed on exactly the topics the definition publishes to', () => {
    const topics = snsPublishTopics(JSON.parse(aslText)).map((placeholder) => {
      const target = [...referencedIds(substitutions[placeholder])];
      expect(target).toHaveLength(1);
      return target[0] as string;
    });
    expect(topics).toEqual(['AlarmTopic']);
    expect(template.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
    const allowed = statementsOf(principalPolicies(template, stateMachine)).filter((s) => asArray(s.Action).some((a) => String(a).startsWith('sns:')));
    expect(allowed.flatMap((s) => asArray(s.Action))).toEqual(['sns:Publish']);
    expect(allowed.flatMap((s) => asArray(s.Resource).flatMap((r) => [...referencedIds(r)]))).toEqual(['AlarmTopic']);
  });

  // Without TimeoutSeconds a Standard execution may run a year: ExecutionsTimedOut, and so
  // IngestTimedOutAlarm, would never come. The limit must still outlast the longest load the
  // defaults allow: every chunk of MAX_CHUNKS at MapConcurrency, each up to LoadChunk's timeout.
  test('executions have a time limit that IngestTimedOutAlarm watches, longer than the longest default load', () => {
    const limit = Number(JSON.parse(aslText).TimeoutSeconds);
    const maxChunks = Number(((functionGlobals.Environment as Obj).Variables as Obj).MAX_CHUNKS ?? settingOf('MAX_CHUNKS').default);
    const concurrency = Number(template.Parameters.MapConcurrency?.Default);
    const chunkTimeout = Number(prop(template.Resources.LoadChunkFunction!, 'Timeout'));
    expect(Math.ceil(maxChunks / concurrency) * chunkTimeout).toBeLessThan(limit);
    const watching = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties?.MetricName === 'ExecutionsTimedOut');
    expect(watching.map(([id, a]) => [id, [...referencedIds(asArray(a.Properties?.Dimensions).map((d) => (d as Obj).Value))]])).toEqual([['IngestTimedOutAlarm', [stateMachineId]]]);
  });

  test('logs and traces', () => {
    const logging = smProps.Logging as Obj;
    expect(['ALL', 'ERROR', 'FATAL']).toContain(logging.Level);
    expect(asArray(logging.Destinations).length).toBe(1);
    expect(smProps.Tracing).toEqual({ Enabled: true });
  });
});

describe('EventBridge trigger', () => {
  const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) =>
    asArray(r.Properties?.Targets).some((target) => isObject(target) && referencedIds(target.Arn).has(stateMachineId)),
  );
  const [ruleEntry] = rules;
  const rule = ruleEntry?.[1];
  const patternWith = (overrides: Obj) => resolve(template, rule?.Properties?.EventPattern, parameterValues(template, overrides));
  const completed = fixture('sagemaker-transform-completed.json');

  test('one rule starts the state machine, with a retry policy and a dead-letter queue', () => {
    expect(rules).toHaveLength(1);
    const [target] = asArray(rule?.Properties?.Targets) as Obj[];
    expect(target?.RetryPolicy).toEqual(expect.objectContaining({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) }));
    const dlq = referencedIds((target?.DeadLetterConfig as Obj | undefined)?.Arn);
    expect([...dlq].map((id) => template.Resources[id]?.Type)).toEqual(['AWS::SQS::Queue']);
  });

  test('with the default parameters it accepts the completion event and rejects Failed and InProgress', () => {
    const pattern = patternWith({});
    expect(matchesPattern(pattern, completed)).toBe(true);
    expect(matchesPattern(pattern, fixture('sagemaker-transform-failed.json'))).toBe(false);
    expect(matchesPattern(pattern, fixture('sagemaker-transform-inprogress.json'))).toBe(false);
  });

  test('a job-name prefix narrows it to jobs whose name starts with the prefix', () => {
    expect(matchesPattern(patternWith({ TransformJobNamePrefix: 'recs-nightly-' }), completed)).toBe(true);
    expect(matchesPattern(patternWith({ TransformJobNamePrefix: 'fraud-' }), completed)).toBe(false);
    expect(matchesPattern(patternWith({ TransformJobNamePrefix: 'recs-nightly-' }), fixture('sagemaker-transform-failed.json'))).toBe(false);
  });
});

describe('the event-pattern matcher used above', () => {
  const event = { source: 'aws.sagemaker', detail: { status: 'Completed', name: 'recs-1', tags: ['a', 'b'], n: 5 } };

  test('literals, nesting and arrays', () => {
    expect(matchesPattern({ source: ['aws.sagemaker'], detail: { status: ['Failed', 'Completed'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: ['completed'] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: ['x'] } }, event)).toBe(false);
    expect(matchesPattern({ source: { nested: ['x'] } }, event)).toBe(false);
  });

  test('prefix, suffix, anything-but, exists, numeric', () => {
    expect(matchesPattern({ detail: { name: [{ prefix: 'recs-' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { name: [{ prefix: 'recs-2' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { n: [{ prefix: '5' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { name: [{ suffix: '-1' }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': ['Failed', 'Stopped'] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { status: [{ 'anything-but': 'Completed' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'x' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }], name: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { n: [{ numeric: ['>', 1, '<=', 5] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { n: [{ numeric: ['>', 5] }] } }, event)).toBe(false);
  });

  test('unknown operators and malformed patterns throw instead of matching', () => {
    expect(() => matchesPattern({ detail: { name: [{ wildcard: 'recs-*' }] } }, event)).toThrow(/unsupported pattern operator "wildcard"/);
    expect(() => matchesPattern({ source: 'aws.sagemaker' }, event)).toThrow(/must be an array or an object/);
  });
});

// Resource "*" is allowed only for actions that cannot be scoped to a resource at all.
const WILDCARD_ALLOWED = new Set([
  // Lambda creates and removes the ENIs of a VPC function with its execution role.
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  // X-Ray has no resource-level permissions (Lambda active tracing, Step Functions tracing).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions logging goes through CloudWatch Logs' vended-log delivery API.
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** Every permission statement in the template, from either branch of any Fn::If. */
function allStatements(): { where: string; statement: Obj }[] {
  const out: { where: string; statement: Obj }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const props = r.Properties ?? {};
    const documents: unknown[] = [];
    if (r.Type === 'AWS::IAM::Role') documents.push(...asArray(props.Policies).map((p) => (p as Obj).PolicyDocument));
    if (['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::S3::BucketPolicy'].includes(r.Type)) {
      documents.push(props.PolicyDocument);
    }
    if (r.Type.startsWith('AWS::Serverless::')) documents.push(...asArray(props.Policies));
    for (const doc of documents) {
      if (!isObject(doc) || !('Statement' in doc)) throw new Error(`${id}: a policy that is not an inline document (${JSON.stringify(doc)}) cannot be checked`);
      for (const statement of asArray(doc.Statement).flatMap(everyBranch)) out.push({ where: id, statement: statement as Obj });
    }
  }
  return out;
}

describe('permissions', () => {
  const statements = allStatements();

  test('there are statements to check', () => {
    expect(statements.length).toBeGreaterThan(10);
  });

  test('no statement grants Resource "*" except the allow-listed actions, and none uses wildcards or Not* forms', () => {
    const offending: string[] = [];
    for (const { where, statement } of statements) {
      const actions = asArray(statement.Action).map(String);
      if (statement.NotAction || statement.NotResource || statement.NotPrincipal) offending.push(`${where}: Not* form`);
      for (const action of actions) if (action.includes('*')) offending.push(`${where}: action ${action}`);
      if (statement.Effect !== 'Allow') continue;
      const resources = asArray(statement.Resource);
      if (resources.includes('*')) {
        for (const action of actions) if (!WILDCARD_ALLOWED.has(action)) offending.push(`${where}: ${action} on Resource "*"`);
      }
    }
    expect(offending).toEqual([]);
  });

  test('roles carry no AWS managed policies (they cannot be checked here and usually grant "*")', () => {
    for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
      for (const arn of asArray(role.Properties?.ManagedPolicyArns)) {
        const [target] = [...referencedIds(arn)];
        expect({ id, type: template.Resources[target ?? '']?.Type }).toEqual({ id, type: 'AWS::IAM::ManagedPolicy' });
      }
    }
  });

  test('S3 access is read-only and limited to the predictions bucket and prefix, and for Plan the transform input bucket and prefix; only the admin function writes, and only the erasure log', () => {
    const s3 = statements.filter(({ statement }) => asArray(statement.Action).some((a) => String(a).startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    const buckets = { PredictionsBucket: 'PredictionsPrefix', TransformInputBucket: 'TransformInputPrefix' };
    const seenInput = new Set<string>();
    for (const { where, statement } of s3) {
      // The admin function's role: the erasure log only (ERASURE_LOG_URI), which it writes too.
      const log = where === 'AdminRole' ? 'sluice-erasures/' : '';
      for (const action of asArray(statement.Action)) expect(log ? ['s3:GetObject', 's3:ListBucket', 's3:PutObject'] : ['s3:GetObject', 's3:ListBucket']).toContain(action);
      for (const resource of asArray(statement.Resource)) {
        const sub = intrinsic(resource);
        expect(sub?.[0]).toBe('Fn::Sub');
        const arn = String(sub?.[1]);
        const [bucket, prefix] = Object.entries(buckets).find(([b]) => arn.includes(`\${${b}}`)) ?? ['?', '?'];
        // Only Plan reads the job's input (the input-completeness check).
        if (bucket === 'TransformInputBucket') {
          expect(where).toBe('PlanRole');
          seenInput.add(String(asArray(statement.Action)[0]));
        }
        if (asArray(statement.Action).includes('s3:ListBucket')) {
          expect(arn).toBe(`arn:\${AWS::Partition}:s3:::\${${bucket}}`);
          expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': { 'Fn::Sub': `\${${prefix}}${log}*` } } });
        } else {
          expect(arn).toBe(`arn:\${AWS::Partition}:s3:::\${${bucket}}/\${${prefix}}${log}*`);
        }
      }
    }
    expect([...seenInput].sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
  });
});

describe('read API', () => {
  const [stageEntry] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');

  test('the stage is throttled', () => {
    const settings = (stageEntry?.[1].Properties?.DefaultRouteSettings ?? {}) as Obj;
    for (const key of ['ThrottlingRateLimit', 'ThrottlingBurstLimit']) {
      const value = resolve(template, settings[key], parameterValues(template));
      expect(Number(value)).toBeGreaterThan(0);
    }
  });
  // Routes, their integration, invoke permissions and authorisation: template-api.test.ts.
});

describe('cache', () => {
  const [groupEntry, ...others] = resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup');
  const group = (groupEntry?.[1].Properties ?? {}) as Obj;

  test('one replication group: cluster mode, TLS, at-rest encryption, failover, Multi-AZ', () => {
    expect(others).toHaveLength(0);
    expect(group).toEqual(
      expect.objectContaining({
        ClusterMode: 'Enabled',
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        AutomaticFailoverEnabled: true,
        MultiAZEnabled: true,
      }),
    );
  });

  test('at least one replica per shard, whatever is deployed', () => {
    const replicas = parameterOf(group.ReplicasPerNodeGroup);
    expect(replicas).toBeDefined();
    expect(Number(replicas?.MinValue)).toBeGreaterThanOrEqual(1);
    expect(Number(replicas?.Default)).toBeGreaterThanOrEqual(1);
  });

  test('with CacheAuthMode=auth-token, the AUTH token is resolved from Secrets Manager, never written in the template', () => {
    const sub = intrinsic(resolve(template, group.AuthToken, parameterValues(template, { CacheAuthMode: 'auth-token' })));
    expect(sub?.[0]).toBe('Fn::Sub');
    expect(String(sub?.[1])).toMatch(/^\{\{resolve:secretsmanager:\$\{\w+\}:SecretString:\w+\}\}$/);
  });

  test('the parameter group enables cluster mode and sets every server setting the local clusters are tested with', () => {
    const paramGroup = template.Resources[[...referencedIds(group.CacheParameterGroupName)][0] ?? ''];
    const major = String(group.EngineVersion).split('.')[0];
    expect(paramGroup?.Properties?.CacheParameterGroupFamily).toBe(`${String(group.Engine)}${major}`);
    expect(paramGroup?.Properties?.Properties).toEqual(
      expect.objectContaining({ 'cluster-enabled': 'yes', 'maxmemory-policy': 'noeviction', ...REDIS_SERVER_SETTINGS }),
    );
  });

  test('only the functions reach the Redis port', () => {
    const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => referencedIds(r.Properties?.GroupId).size > 0);
    const groupSgs = new Set(asArray(group.SecurityGroupIds).flatMap((sg) => [...referencedIds(sg)]));
    const toCache = ingress.filter(([, r]) => [...referencedIds(r.Properties?.GroupId)].some((id) => groupSgs.has(id)));
    expect(toCache).toHaveLength(1);
    const rule = toCache[0]?.[1].Properties ?? {};
    expect([rule.FromPort, rule.ToPort]).toEqual([group.Port, group.Port]);
    const functionSgs = new Set(functions.flatMap(([, fn]) => asArray((prop(fn, 'VpcConfig') as Obj).SecurityGroupIds).flatMap((sg) => [...referencedIds(sg)])));
    expect([...referencedIds(rule.SourceSecurityGroupId)].every((id) => functionSgs.has(id))).toBe(true);
    for (const id of groupSgs) expect(template.Resources[id]?.Properties?.SecurityGroupIngress).toBeUndefined();
  });
});

describe('alarms', () => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});
  const metricNames = (a: Obj): string[] => [
    String(a.MetricName ?? ''),
    ...asArray(a.Metrics).map((m) => String((((m as Obj).MetricStat as Obj | undefined)?.Metric as Obj | undefined)?.MetricName ?? '')),
  ];

  test.each([
    ['failed executions', 'AWS/States', 'ExecutionsFailed'],
    ['API 5xx', 'AWS/ApiGateway', '5xx'],
    ['read errors', 'AWS/Lambda', 'Errors'],
    ['dead-letter queue not empty', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
  ])('%s raise an alarm to the SNS topic', (_what, namespace, metric) => {
    const alarm = alarms.find((a) => metricNames(a).includes(metric) && JSON.stringify(a).includes(namespace));
    expect(alarm).toBeDefined();
    const topics = asArray(alarm?.AlarmActions).flatMap((x) => [...referencedIds(x)]);
    expect(topics.map((id) => template.Resources[id]?.Type)).toEqual(['AWS::SNS::Topic']);
  });
});

// Publishing to an encrypted topic or queue takes the key: an AWS service needs the key policy's
// grant (a role's IAM grant is checked in template-iam.test.ts), and ElastiCache cannot use one.
describe('notification topics and their keys', () => {
  const keyOf = (id: string): string | undefined => [...referencedIds(template.Resources[id]?.Properties?.KmsMasterKeyId)][0];
  const [[, cache]] = resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup') as [[string, Resource]];
  const cacheTopic = [...referencedIds(cache.Properties?.NotificationTopicArn)][0]!;

  test('the cache publishes its events to an unencrypted topic whose policy is keyed on aws:SourceOwner, as ElastiCache requires', () => {
    expect(template.Resources[cacheTopic]?.Type).toBe('AWS::SNS::Topic');
    expect(keyOf(cacheTopic)).toBeUndefined();
    const policies = resourcesOfType(template, 'AWS::SNS::TopicPolicy').filter(([, p]) => asArray(p.Properties?.Topics).some((t) => referencedIds(t).has(cacheTopic)));
    expect(policies).toHaveLength(1);
    const publish = statementsOf([policies[0]![1].Properties?.PolicyDocument as Obj]).filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes('sns:Publish'));
    expect(publish.map((s) => Object.keys(((s.Condition as Obj | undefined)?.StringEquals ?? {}) as Obj))).toEqual([['aws:SourceOwner']]);
  });

  test('each key lets exactly the AWS services that publish to what it encrypts use it', () => {
    for (const [keyId, key] of resourcesOfType(template, 'AWS::KMS::Key')) {
      const encrypted = (id: string) => keyOf(id) === keyId;
      const publishers = new Set<string>();
      for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
        const targets = [...asArray(alarm.Properties?.AlarmActions), ...asArray(alarm.Properties?.OKActions)].flatMap((x) => [...referencedIds(x)]);
        if (targets.some(encrypted)) publishers.add('cloudwatch.amazonaws.com');
      }
      if (encrypted(cacheTopic)) publishers.add('elasticache.amazonaws.com');
      const deadLetters = [...JSON.stringify(template.Resources).matchAll(/"DeadLetterConfig":\{"Arn":\{"Fn::GetAtt":\["(\w+)","Arn"\]\}\}/g)].map((m) => m[1]!);
      expect(deadLetters.length).toBeGreaterThan(0);
      if (deadLetters.some(encrypted)) publishers.add('events.amazonaws.com');
      const granted = statementsOf([key.Properties?.KeyPolicy as Obj])
        .filter((s) => asArray(s.Action).includes('kms:GenerateDataKey'))
        .flatMap((s) => asArray(((s.Principal as Obj | undefined)?.Service) ?? []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))))
        .filter((service) => !service.includes('logs.')); // the log groups' own grant (encryption, not publishing)
      expect({ keyId, services: granted.sort() }).toEqual({ keyId, services: [...publishers].sort() });
    }
  });
});

describe('admin function', () => {
  const admin = template.Resources.AdminFunction;

  test('exists, and its fixtures are status, a dry-run rollback, promote and discard', async () => {
    expect(admin?.Type).toBe('AWS::Serverless::Function');
    expect(fixture('admin-status.json')).toEqual({ action: 'status' });
    expect(fixture('admin-rollback.json')).toEqual({ action: 'rollback', dryRun: true });
    const { parseAdminEvent } = await import('../../functions/handlers/admin.js');
    expect(parseAdminEvent(fixture('admin-promote.json'))).toEqual({ action: 'promote', dataset: undefined, version: 'recs-nightly-2026-11-25' });
    expect(parseAdminEvent(fixture('admin-discard.json'))).toEqual({ action: 'discard', dataset: undefined, version: 'recs-nightly-2026-11-25' });
    expect(() => parseAdminEvent({ action: 'promote' })).toThrow('promote needs the version');
    expect(() => parseAdminEvent({ action: 'discard', version: '' })).toThrow('version must be a non-empty string');
  });

  test('is not reachable from the API or the state machine: only the freshness schedule (and its role) refers to it', () => {
    const referrers = Object.entries(template.Resources)
      .filter(([id, r]) => id !== 'AdminFunction' && referencedIds(r.Properties).has('AdminFunction'))
      .map(([id]) => id);
    expect(referrers.sort()).toEqual(['FreshnessSchedule', 'FreshnessScheduleRole']);
    expect(aslText).not.toMatch(/Admin/);
  });

  test('talks to Redis and the erasure log only: its S3 access is under the log prefix, it uses keys only for the AUTH token secret and the log, and it may write its own log group', () => {
    const statements = statementsOf(principalPolicies(template, admin!));
    const viaSecretsManager = (s: Obj) => JSON.stringify(s.Condition ?? {}).includes('secretsmanager.${AWS::Region}.amazonaws.com');
    // The predictions key (PredictionsKmsKeyArn), through S3 and for the log's objects only.
    const forTheLog = (s: Obj) => JSON.stringify(s.Condition ?? {}).includes('s3.${AWS::Region}.amazonaws.com') && JSON.stringify(s.Condition).includes('${PredictionsPrefix}sluice-erasures/*');
    const actions = statements.filter((s) => !viaSecretsManager(s) && !forTheLog(s)).flatMap((s) => asArray(s.Action).map(String));
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([]);
    expect(statements.filter(forTheLog).flatMap((s) => asArray(s.Action).map(String)).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const s3 = statements.filter((s) => asArray(s.Action).some((a) => String(a).startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    for (const s of s3) expect(JSON.stringify(s.Condition ?? s.Resource)).toContain('${PredictionsPrefix}sluice-erasures/*');
    // The same prefix the functions are told to write to.
    expect(JSON.stringify((template.Globals?.Function?.Environment as Obj | undefined)?.Variables)).toContain('s3://${PredictionsBucket}/${PredictionsPrefix}sluice-erasures/');
    const logGroup = [...referencedIds((admin?.Properties?.LoggingConfig as Obj | undefined)?.LogGroup)][0];
    const writable = statements.filter((s) => asArray(s.Action).includes('logs:PutLogEvents')).flatMap((s) => asArray(s.Resource).flatMap((r) => [...referencedIds(r)]));
    expect(writable).toContain(logGroup);
  });
});

/** Placeholders named as FunctionName by lambda:invoke tasks, anywhere in the definition. */
function lambdaTaskPlaceholders(definition: unknown): string[] {
  const found: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!isObject(x)) return;
    if (x.Type === 'Task' && String(x.Resource).startsWith('arn:aws:states:::lambda:invoke')) {
      const name = String((x.Parameters as Obj | undefined)?.FunctionName ?? '');
      const m = /^\$\{([^}]+)\}$/.exec(name);
      if (!m?.[1]) throw new Error(`lambda:invoke task with FunctionName ${JSON.stringify(name)}: expected a \${...} substitution`);
      found.push(m[1]);
    }
    Object.values(x).forEach(walk);
  };
  walk(definition);
  return found;
}

describe('checkov skips', () => {
  test('every finding skipped in the template names the check and gives its reason', () => {
    const skips = Object.entries(template.Resources).flatMap(([id, r]) =>
      asArray(((r.Metadata?.checkov as Obj | undefined)?.skip)).map((s) => ({ id, check: String((s as Obj).id), comment: String((s as Obj).comment ?? '') })),
    );
    expect(skips.length).toBeGreaterThan(0);
    for (const skip of skips) {
      expect(skip.check).toMatch(/^CKV2?_AWS_\d+$/);
      expect({ ...skip, explained: skip.comment.length >= 40 }).toEqual({ ...skip, explained: true });
    }
  });
});

// ---------------------------------------------------------------------------------------
// Freshness (schedule, alarm) and the operations dashboard.
// ---------------------------------------------------------------------------------------

/** Metric names the functions emit: emitMetrics entries and addMetric calls, read from the source. */
function metricsInCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: URL): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(new URL(`${entry.name}/`, dir));
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(new URL(entry.name, dir), 'utf8');
        for (const m of text.matchAll(/\[\s*'([A-Za-z]+)',\s*MetricUnit\./g)) names.add(m[1]!);
        for (const m of text.matchAll(/addMetric\(\s*'([A-Za-z]+)'/g)) names.add(m[1]!);
      }
    }
  };
  walk(new URL('functions/', root));
  return names;
}

// Emitted by release-control work merged separately (checks, held versions, duplicate keys),
// under exactly these names: accepted until that code is on this branch.
const EMITTED_BY_PARALLEL_WORK = new Set<string>();

// AWS's own metrics the dashboard may name, per namespace.
const AWS_METRICS: Record<string, Set<string>> = {
  'AWS/ApiGateway': new Set(['Count', '4xx', '5xx', 'Latency', 'IntegrationLatency']),
  'AWS/ElastiCache': new Set(['DatabaseMemoryUsagePercentage', 'FreeableMemory']),
};

const env = ((functionGlobals.Environment as Obj | undefined)?.Variables ?? {}) as Obj;
const NAMESPACE = String(env.POWERTOOLS_METRICS_NAMESPACE);
const SERVICE = String(env.POWERTOOLS_SERVICE_NAME);

/** Custom metrics: what the code emits, and what the template's log metric filters make. */
function customMetrics(): Set<string> {
  const names = metricsInCode();
  for (const [, f] of resourcesOfType(template, 'AWS::Logs::MetricFilter')) {
    for (const t of asArray(f.Properties?.MetricTransformations) as Obj[]) if (t.MetricNamespace === NAMESPACE) names.add(String(t.MetricName));
  }
  return names;
}

/** `rate(5 minutes)` → 300. */
function rateSeconds(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  if (!m) throw new Error(`not a rate expression: ${expression}`);
  return Number(m[1]) * (m[2]!.startsWith('minute') ? 60 : 3600);
}

describe('freshness: schedule, admin action, alarm', () => {
  const [scheduleEntry, ...otherSchedules] = resourcesOfType(template, 'AWS::Scheduler::Schedule');
  const schedule = (scheduleEntry?.[1].Properties ?? {}) as Obj;
  const target = (schedule.Target ?? {}) as Obj;
  const alarm = template.Resources.StaleDataAlarm?.Properties ?? {};

  test('one schedule invokes the admin function with exactly the freshness action, which the handler accepts', async () => {
    expect(otherSchedules).toHaveLength(0);
    expect([...referencedIds(target.Arn)]).toEqual(['AdminFunction']);
    expect(schedule.State).toBe('ENABLED');
    const input = JSON.parse(String(target.Input)) as unknown;
    expect(input).toEqual(fixture('admin-freshness.json'));
    const { parseAdminEvent } = await import('../../functions/handlers/admin.js');
    expect(parseAdminEvent(input)).toEqual({ action: 'freshness' });
  });

  test('its role can be assumed by EventBridge Scheduler of this account only, and may only invoke the admin function', () => {
    const roleId = [...referencedIds(target.RoleArn)][0]!;
    const role = template.Resources[roleId]!;
    expect(role.Type).toBe('AWS::IAM::Role');
    const trust = asArray((role.Properties?.AssumeRolePolicyDocument as Obj).Statement) as Obj[];
    expect(trust).toEqual([
      { Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOf(asArray(role.Properties?.Policies).map((p) => (p as Obj).PolicyDocument as Obj));
    expect(statements.map((st) => [st.Effect, asArray(st.Action), asArray(st.Resource).flatMap((r) => [...referencedIds(r)])])).toEqual([
      ['Allow', ['lambda:InvokeFunction'], ['AdminFunction']],
    ]);
  });

  test('the alarm watches the oldest age the action emits, against MaxVersionAgeHours (default 36), to the SNS topic', () => {
    expect(metricsInCode()).toContain('OldestLiveVersionAgeHours');
    expect(metricsInCode()).toContain('LiveVersionAgeHours');
    expect(alarm).toEqual(
      expect.objectContaining({
        Namespace: NAMESPACE,
        MetricName: 'OldestLiveVersionAgeHours',
        // Powertools adds the service dimension to every metric; the oldest age has no dataset.
        Dimensions: [{ Name: 'service', Value: SERVICE }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: { Ref: 'MaxVersionAgeHours' },
      }),
    );
    expect(template.Parameters.MaxVersionAgeHours).toEqual(expect.objectContaining({ Type: 'Number', Default: 36 }));
    // Before the first load the action reports an age of 0 (tests/integration/freshness.test.ts): never above the threshold.
    expect(Number(template.Parameters.MaxVersionAgeHours?.MinValue)).toBeGreaterThanOrEqual(0);
    for (const actions of [alarm.AlarmActions, alarm.OKActions]) {
      const topics = asArray(actions).flatMap((x) => [...referencedIds(x)]);
      expect(topics).toEqual(['AlarmTopic']);
    }
    expect(template.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
  });

  test('a schedule that stops reporting alarms too: missing data breaches, and a period spans several runs', () => {
    expect(alarm.TreatMissingData).toBe('breaching');
    const every = rateSeconds(String(schedule.ScheduleExpression));
    expect(every).toBeLessThanOrEqual(300);
    expect(Number(alarm.Period) * Number(alarm.EvaluationPeriods)).toBeGreaterThanOrEqual(3 * every);
    expect(String((intrinsic(alarm.AlarmDescription)?.[1] as string | undefined) ?? alarm.AlarmDescription)).toMatch(/keeps serving/);
  });
});

describe('operations dashboard', () => {
  const [dashboardEntry, ...otherDashboards] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
  const sub = intrinsic(dashboardEntry?.[1].Properties?.DashboardBody);
  const text = String(sub?.[1]);
  const variables = [...text.matchAll(/\$\{([^}!]+)\}/g)].map((m) => m[1]!);
  // As CloudFormation substitutes it: parameters by their default, resources by a stand-in.
  const body = JSON.parse(
    text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => (name in template.Parameters ? String(template.Parameters[name]!.Default) : `stand-in-${name.replace(/[^\w]/g, '-')}`)),
  ) as { widgets: { type: string; y: number; properties: Obj }[] };
  const metricWidgets = body.widgets.filter((w) => w.type === 'metric');

  /** Every [namespace, metric] a widget names, from metric arrays and SEARCH expressions. */
  function named(): [string, string][] {
    const out: [string, string][] = [];
    for (const w of metricWidgets) {
      for (const row of asArray(w.properties.metrics) as unknown[][]) {
        if (typeof row[0] === 'string') out.push([row[0], String(row[1])]);
        for (const part of row) {
          const expression = isObject(part) ? String(part.expression ?? '') : '';
          for (const m of expression.matchAll(/SEARCH\('\{([^,}]+)[^}]*\}[^']*MetricName=\\?"([^"\\]+)\\?"/g)) out.push([m[1]!, m[2]!]);
        }
      }
    }
    return out;
  }

  test('one dashboard whose body is valid JSON after substitution, naming only this template\'s parameters, resources and pseudo parameters', () => {
    expect(sub?.[0]).toBe('Fn::Sub');
    expect(otherDashboards).toHaveLength(0);
    for (const v of variables) {
      const id = v.split('.')[0]!;
      expect({ v, known: id.startsWith('AWS::') || id in template.Parameters || id in template.Resources }).toEqual({ v, known: true });
    }
    expect(body.widgets.length).toBeGreaterThan(8);
  });

  test('rows: loads, live version age, read API, cache memory', () => {
    const rows = [...new Set(body.widgets.map((w) => w.y))].sort((a, b) => a - b);
    expect(rows).toHaveLength(4);
    const inRow = (i: number) => named().filter(([, name]) => metricWidgets.some((w) => w.y === rows[i] && JSON.stringify(w.properties.metrics).includes(name)));
    expect(inRow(0).map(([, n]) => n).sort()).toEqual(['BadRecords', 'ChecksFailed', 'DuplicateRecords', 'LoadTime', 'RecordsLoaded', 'VersionsHeld']);
    expect(inRow(1).map(([, n]) => n)).toEqual(['LiveVersionAgeHours']);
    expect(new Set(inRow(2).map(([, n]) => n))).toEqual(new Set(['Count', 'Latency', '4xx', '5xx', 'ApiNotFound']));
    expect(inRow(3).map(([, n]) => n).sort()).toEqual(['DatabaseMemoryUsagePercentage', 'FreeableMemory']);
    const alarmWidget = body.widgets.find((w) => w.type === 'alarm');
    expect(variables).toContain('StaleDataAlarm.Arn');
    expect(alarmWidget?.y).toBe(rows[1]);
  });

  test('every metric it names is one the functions emit (or a log metric filter makes), or one AWS provides', () => {
    const custom = customMetrics();
    const unknown = named().filter(([ns, name]) => (ns === NAMESPACE ? !custom.has(name) && !EMITTED_BY_PARALLEL_WORK.has(name) : !AWS_METRICS[ns]?.has(name)));
    expect(unknown).toEqual([]);
    // The functions' metrics carry the dimensions dataset and service (Powertools): the SEARCH schemas say so.
    for (const m of text.matchAll(/\{Sluice,([^}]*)\}/g)) expect(m[1]!.split(',').sort()).toEqual(['dataset', 'service']);
  });

  test('p50 and p99 latency, and 4xx, 5xx and not-found rates over the request count', () => {
    const api = JSON.stringify(metricWidgets.filter((w) => JSON.stringify(w.properties).includes('AWS/ApiGateway')).map((w) => w.properties.metrics));
    expect(api).toMatch(/"stat":"p50"/);
    expect(api).toMatch(/"stat":"p99"/);
    const ids = new Set<string>();
    const expressions: string[] = [];
    for (const w of metricWidgets) {
      for (const row of asArray(w.properties.metrics) as unknown[][]) {
        for (const part of row) {
          if (!isObject(part)) continue;
          if (part.id) ids.add(String(part.id));
          if (part.expression && !String(part.expression).startsWith('SEARCH')) expressions.push(String(part.expression));
        }
      }
    }
    expect(expressions).toHaveLength(3);
    for (const e of expressions) {
      expect(e).toMatch(/\/ total$/);
      for (const ref of e.match(/\b[a-z]\w*\b/gi)!.filter((x) => x !== 'FILL')) expect(ids).toContain(ref);
    }
  });

  test('404s are counted from the API access log by a metric filter, not by the read function', () => {
    const [, filter] = resourcesOfType(template, 'AWS::Logs::MetricFilter').find(([, f]) => JSON.stringify(f).includes('ApiNotFound'))!;
    expect([...referencedIds(filter.Properties?.LogGroupName)]).toEqual(['HttpApiAccessLogGroup']);
    expect(filter.Properties?.FilterPattern).toBe('{ $.status = "404" }');
    const stage = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')[0]![1];
    const format = JSON.parse(String((stage.Properties?.AccessLogSettings as Obj).Format)) as Record<string, string>;
    expect(format.status).toBe('$context.status');
    expect(format.apiId).toBe('$context.apiId');
    const [transform] = asArray(filter.Properties?.MetricTransformations) as Obj[];
    expect(transform?.Dimensions).toEqual([{ Key: 'ApiId', Value: '$.apiId' }]);
  });
});
