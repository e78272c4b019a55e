// Each role allows exactly the AWS calls its principal makes: for a function, the calls its
// code can make (read from the code by walking the import graph from the function's entry
// point, tests/unit/template/aws-calls.ts); for the state machine, its service integrations.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../functions/config.js';
import { callsByEntry, type AwsCall } from './template/aws-calls.js';
import { asArray, isObject, loadTemplate, parameterValues, referencedIds, resolve, resourcesOfType, type Obj, type Resource } from './template/cfn.js';
import { snsPublishTopics } from './template/definition.js';
import { allowedActions, deployedStatements, principalPolicies } from './template/iam.js';

const root = new URL('../../', import.meta.url);
const rootPath = fileURLToPath(root);
const template = loadTemplate(new URL('template.yaml', root));
const functions = resourcesOfType(template, 'AWS::Serverless::Function');
const globals = template.Globals?.Function ?? {};

// Granted to every principal for the platform itself, never called by Sluice's code.
const PLATFORM = new Set([
  'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses', // Lambda's VPC ENIs
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', // tracing
  'logs:CreateLogStream', 'logs:PutLogEvents', // Lambda writes the function's logs
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', // Step Functions logging
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
]);

// Calls the code makes only when configured to: the environment variable that switches each on
// (read in functions/config.ts), evaluated against the function's deployed environment.
const CONFIGURED_BY: Record<string, (env: Obj) => boolean> = {
  'secretsmanager:GetSecretValue': (env) => Boolean(env.REDIS_PASSWORD_SECRET_ARN),
  'elasticache:Connect': (env) => env.REDIS_AUTH_MODE === 'iam',
};

// kms:Decrypt comes with reading objects (S3 decrypts SSE-KMS objects with the reader's
// permission) and with reading a secret encrypted with a customer managed key; kms:GenerateDataKey
// with writing an object to an SSE-KMS bucket (S3 asks KMS for the object's data key as the writer).
const IMPLIED: Record<string, string[]> = { 's3:GetObject': ['kms:Decrypt'], 's3:PutObject': ['kms:GenerateDataKey'], 'secretsmanager:GetSecretValue': ['kms:Decrypt'] };

// Each deployable combination of the parameters that change permissions.
const SCENARIOS: Obj[] = [
  { CacheAuthMode: 'iam' },
  { CacheAuthMode: 'auth-token' },
  { CacheAuthMode: 'iam', PredictionsKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
];

const entryOf = (fn: Resource): string => {
  const codeUri = String(fn.Properties?.CodeUri ?? globals.CodeUri).replace(/\/?$/, '/');
  const [entry] = asArray((fn.Metadata?.BuildProperties as Obj | undefined)?.EntryPoints).map(String);
  if (!entry) throw new Error('function without EntryPoints');
  return rootPath + codeUri + entry;
};

let calls: Record<string, AwsCall[]>;
beforeAll(() => {
  calls = callsByEntry(rootPath, functions.map(([, fn]) => entryOf(fn)));
}, 120_000);

const callsOf = (fn: Resource): AwsCall[] => {
  const found = calls[entryOf(fn)];
  if (!found) throw new Error(`no call index for ${entryOf(fn)}`);
  return found;
};

describe('the call index', () => {
  test('finds the S3 calls of Plan and LoadChunk, the secret read, and the IAM auth token, where they are', () => {
    const plan = callsOf(template.Resources.PlanFunction!);
    expect(plan).toEqual(expect.arrayContaining([
      { action: 's3:ListBucket', where: 'functions/adapters/object-store.ts:S3ObjectStore.list' },
      { action: 's3:GetObject', where: 'functions/adapters/object-store.ts:S3ObjectStore.head' },
      { action: 's3:GetObject', where: 'functions/adapters/object-store.ts:S3ObjectStore.read' },
      expect.objectContaining({ action: 'secretsmanager:GetSecretValue' }),
      expect.objectContaining({ action: 'elasticache:Connect' }),
    ]));
    // The read function builds an S3 client (the shared runtime) but never lists or reads.
    expect(callsOf(template.Resources.ReadApiFunction!).map((c) => c.action).filter((a) => a.startsWith('s3:'))).toEqual([]);
  });
});

describe.each(SCENARIOS)('with %j', (overrides) => {
  const params = parameterValues(template, overrides);

  test.each(functions)('%s: its role allows every call its code makes, and nothing else', (id, fn) => {
    const env = resolve(template, { ...(globals.Environment as Obj | undefined)?.Variables as Obj, ...(fn.Properties?.Environment as Obj | undefined)?.Variables as Obj }, params) as Obj;
    const made = callsOf(fn).filter((c) => CONFIGURED_BY[c.action]?.(env) ?? true);
    const needed = new Set(made.map((c) => c.action));
    const granted = allowedActions(deployedStatements(template, principalPolicies(template, fn), params));
    const missing = made.filter((c) => !granted.has(c.action)).map((c) => `${c.action} (${c.where})`);
    const tolerated = new Set([...PLATFORM, ...[...needed].flatMap((a) => IMPLIED[a] ?? [])]);
    const unused = [...granted].filter((a) => !needed.has(a) && !tolerated.has(a));
    expect({ id, missing, unused }).toEqual({ id, missing: [], unused: [] });
  });
});

// With PredictionsKmsKeyArn the predictions bucket is SSE-KMS under that key: S3 reads and writes
// there fail with AccessDenied unless the caller may use the key (the S3 user guide's SSE-KMS
// permissions: kms:Decrypt to read, kms:GenerateDataKey to write). Granting this is no choice.
describe('with a customer managed key on the predictions bucket', () => {
  const scenario = SCENARIOS.find((s) => s.PredictionsKmsKeyArn)!;
  const key = String(scenario.PredictionsKmsKeyArn);
  const params = parameterValues(template, scenario);

  test.each(functions)('%s: may use the key for each S3 read and write its code makes', (id, fn) => {
    const made = new Set(callsOf(fn).map((c) => c.action));
    const needed = [...(made.has('s3:GetObject') ? ['kms:Decrypt'] : []), ...(made.has('s3:PutObject') ? ['kms:GenerateDataKey'] : [])];
    const onKey = deployedStatements(template, principalPolicies(template, fn), params).filter((s) => s.Effect === 'Allow' && asArray(s.Resource).includes(key));
    const granted = new Set(onKey.flatMap((s) => asArray(s.Action).map(String)));
    expect({ id, missing: needed.filter((a) => !granted.has(a)) }).toEqual({ id, missing: [] });
  });

  test('the admin function may use it only through S3, for the erasure log', () => {
    const statements = deployedStatements(template, principalPolicies(template, template.Resources.AdminFunction!), params).filter((s) => asArray(s.Resource).includes(key));
    expect(statements).toHaveLength(1);
    const condition = statements[0]!.Condition as Obj;
    expect(JSON.stringify((condition.StringEquals as Obj)['kms:ViaService'])).toContain('"s3.${AWS::Region}.amazonaws.com"');
    const arns = asArray((condition.StringLike as Obj)['kms:EncryptionContext:aws:s3:arn']).map((a) => JSON.stringify(a));
    expect(arns.some((a) => a.includes('sluice-erasures/*'))).toBe(true);
  });
});

/** IAM actions of the state machine's service integrations (Lambda invoke included). */
function integrationActions(definition: unknown): string[] {
  const found: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!isObject(x)) return;
    const m = x.Type === 'Task' ? /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(?:\.[\w:]+)?$/.exec(String(x.Resource)) : null;
    if (x.Type === 'Task' && !m) throw new Error(`Task resource ${String(x.Resource)}: not a service integration this test understands`);
    if (m?.[1] && m[2]) found.push(m[1] === 'lambda' && m[2] === 'invoke' ? 'lambda:InvokeFunction' : `${m[1] === 'sfn' ? 'states' : m[1]}:${m[2][0]!.toUpperCase()}${m[2].slice(1)}`);
    Object.values(x).forEach(walk);
  };
  walk(definition);
  return [...new Set(found)];
}

/** The template resources the definition's sns:publish Tasks publish to (through DefinitionSubstitutions). */
function publishedTopics(definition: unknown, machine: Resource): string[] {
  const substitutions = (machine.Properties?.DefinitionSubstitutions ?? {}) as Obj;
  return [...new Set(snsPublishTopics(definition).flatMap((placeholder) => [...referencedIds(substitutions[placeholder])]))];
}

describe('the state machine', () => {
  const [[, machine]] = resourcesOfType(template, 'AWS::Serverless::StateMachine') as [[string, Resource]];
  const definition = JSON.parse(readFileSync(new URL(String(machine.Properties?.DefinitionUri), root), 'utf8'));

  // SNS encrypts a message with the publisher's permission on the topic's key: without it every
  // publish to an encrypted topic is refused (KMS access denied), which no local run can show.
  test('publishing to a KMS-encrypted topic: its role may use that key, for that topic only', () => {
    const topics = publishedTopics(definition, machine);
    expect(topics).toEqual(['AlarmTopic']);
    const statements = deployedStatements(template, principalPolicies(template, machine), parameterValues(template, {}));
    for (const topic of topics) {
      const key = [...referencedIds(template.Resources[topic]?.Properties?.KmsMasterKeyId)][0];
      if (!key) continue;
      const grants = statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes('kms:GenerateDataKey'));
      expect(grants.length).toBe(1);
      const [grant] = grants as [Obj];
      expect(asArray(grant.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect([...referencedIds(grant.Resource)]).toEqual([key]);
      expect([...referencedIds((grant.Condition as Obj | undefined)?.StringEquals)]).toEqual([topic]);
    }
  });

  test('the integration parser reads lambda:invoke, optimised and aws-sdk integrations', () => {
    const task = (Resource: string) => ({ Type: 'Task', Resource });
    expect(integrationActions({ States: { a: task('arn:aws:states:::sns:publish'), b: task('arn:aws:states:::aws-sdk:cloudwatch:putMetricData'), c: task('arn:aws:states:::states:startExecution.sync:2') } })).toEqual([
      'sns:Publish', 'cloudwatch:PutMetricData', 'states:StartExecution',
    ]);
  });

  test.each(SCENARIOS)('with %j its role allows each integration it uses, and nothing else', (overrides) => {
    const params = parameterValues(template, overrides);
    // Publishing to an encrypted topic takes its key as well (see above).
    const encrypted = publishedTopics(definition, machine).some((t) => template.Resources[t]?.Properties?.KmsMasterKeyId !== undefined);
    const needed = [...integrationActions(definition), ...(encrypted ? ['kms:GenerateDataKey', 'kms:Decrypt'] : [])];
    expect(needed).toContain('lambda:InvokeFunction');
    const granted = allowedActions(deployedStatements(template, principalPolicies(template, machine), params));
    expect({ missing: needed.filter((a) => !granted.has(a)), unused: [...granted].filter((a) => !needed.includes(a) && !PLATFORM.has(a)) }).toEqual({ missing: [], unused: [] });
  });
});

/** The names `read` looks up on the environment object it is given. */
function variablesRead(read: (env: Obj) => unknown): string[] {
  const names = new Set<string>();
  const env = new Proxy({} as Obj, {
    get: (_, key) => (typeof key === 'string' && names.add(key), undefined),
    has: (_, key) => (typeof key === 'string' && names.add(key), false),
  });
  read(env);
  return [...names].sort();
}

test('every switch in CONFIGURED_BY is an environment variable functions/config.ts reads', () => {
  // What loadConfig reads, in the default (password) mode and in IAM mode.
  const iamEnv = { REDIS_AUTH_MODE: 'iam', REDIS_IAM_USER: 'sluice', REDIS_REPLICATION_GROUP_ID: 'sluice-rg', AWS_REGION: 'eu-west-1', REDIS_TLS: 'true' };
  const configReads = new Set([
    ...variablesRead((env) => loadConfig(env as Record<string, string | undefined>)),
    ...variablesRead((env) => loadConfig(new Proxy(iamEnv, { get: (t, k) => (Reflect.get(env, k), Reflect.get(t, k)) }))),
  ]);
  const switches = Object.entries(CONFIGURED_BY).map(([action, on]) => ({ action, reads: variablesRead(on) }));
  expect(switches.length).toBeGreaterThan(0);
  for (const { action, reads } of switches) {
    expect({ action, reads: reads.length > 0 }).toEqual({ action, reads: true });
    expect({ action, notReadByConfig: reads.filter((name) => !configReads.has(name)) }).toEqual({ action, notReadByConfig: [] });
  }
});
