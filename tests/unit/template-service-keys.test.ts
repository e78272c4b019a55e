// What AWS services may do with the stack's operations key, held to what each service is
// documented to send KMS, and the HTTP API's access log group name. Only AWS would show these wrong.
import { asArray, loadTemplate, renderString, resourcesOfType, type Obj } from './template/cfn.js';
import { statementsOf } from './template/iam.js';

const template = loadTemplate(new URL('../../template.yaml', import.meta.url));
const stackId = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/sluice-prod/0f4e6a40-d2c1-11ee-9f3a-0a1b2c3d4e5f';
const pseudo = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::StackName': 'sluice-prod', 'AWS::StackId': stackId };
const render = (v: unknown) => renderString(v, pseudo);
const key = template.Resources.OperationsKey!;
const keyStatements = statementsOf([key.Properties?.KeyPolicy as Obj]);
const forService = (service: string) => keyStatements.filter((s) => asArray((s.Principal as Obj | undefined)?.Service).includes(service));

/** The ARN the named resource will have, from its own name property (as AWS builds it). */
const topicArn = (id: string) => `arn:aws:sns:eu-west-1:123456789012:${render(template.Resources[id]?.Properties?.TopicName)}`;
const queueArn = (id: string) => `arn:aws:sqs:eu-west-1:123456789012:${render(template.Resources[id]?.Properties?.QueueName)}`;

describe('the operations key', () => {
  // SNS encrypts each message with a data key it asks KMS for on the publisher's behalf, with the
  // encryption context {"aws:sns:topicArn": <topic ARN>} (Amazon SNS Developer Guide, "Data
  // encryption" / "Key management", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
  // CloudWatch alarms publishing to an encrypted topic need kms:Decrypt and kms:GenerateDataKey.
  test('CloudWatch may use it only for the alarm topic, by the encryption context SNS sends', () => {
    const [statement, ...more] = forService('cloudwatch.amazonaws.com');
    expect(more).toEqual([]);
    expect(asArray(statement?.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const condition = statement?.Condition as Obj;
    expect(Object.keys(condition)).toEqual(['StringEquals']);
    const keys = condition.StringEquals as Obj;
    expect(Object.keys(keys)).toEqual(['kms:EncryptionContext:aws:sns:topicArn']);
    expect(render(keys['kms:EncryptionContext:aws:sns:topicArn'])).toBe(topicArn('AlarmTopic'));
    expect(template.Resources.AlarmTopic?.Properties?.KmsMasterKeyId).toEqual({ Ref: 'OperationsKey' });
  });

  // SQS encrypts with data keys whose encryption context is {"aws:sqs:arn": <queue ARN>} (Amazon SQS
  // Developer Guide, "Amazon SQS Key management" and "Encryption at rest",
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
  // EventBridge sending to an encrypted dead-letter queue needs kms:Decrypt and kms:GenerateDataKey.
  // aws:SourceAccount is not documented for this path, so it is not what the key relies on.
  test('EventBridge may use it only for the trigger dead-letter queue, by the encryption context SQS sends', () => {
    const [statement, ...more] = forService('events.amazonaws.com');
    expect(more).toEqual([]);
    expect(asArray(statement?.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const keys = (statement?.Condition as Obj).StringEquals as Obj;
    expect(Object.keys(keys)).toEqual(['kms:EncryptionContext:aws:sqs:arn']);
    expect(render(keys['kms:EncryptionContext:aws:sqs:arn'])).toBe(queueArn('TriggerDeadLetterQueue'));
    const rule = JSON.stringify(template.Resources.TransformCompletedRule?.Properties);
    expect(rule).toContain('"DeadLetterConfig":{"Arn":{"Fn::GetAtt":["TriggerDeadLetterQueue","Arn"]}}');
  });

  test('the names those ARNs are built from fit their services: a queue name of at most 80 characters for any stack name', () => {
    const longStack = { ...pseudo, 'AWS::StackName': 's'.repeat(128), 'AWS::StackId': stackId.replace('sluice-prod', 's'.repeat(128)) };
    const queueName = renderString(template.Resources.TriggerDeadLetterQueue?.Properties?.QueueName, longStack);
    expect(queueName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(renderString(template.Resources.AlarmTopic?.Properties?.TopicName, longStack)).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
  });

  test('no service statement leans on aws:SourceAccount', () => {
    const services = keyStatements.filter((s) => (s.Principal as Obj | undefined)?.Service !== undefined);
    expect(services.length).toBeGreaterThan(0);
    for (const s of services) expect(JSON.stringify(s.Condition ?? {})).not.toContain('aws:SourceAccount');
  });
});

// CloudWatch Logs resource policies hold at most 5120 characters; log groups whose names start
// with /aws/vendedlogs/ are covered without adding to it (Step Functions Developer Guide,
// https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html; CloudWatch Logs User Guide,
// "Enabling logging from AWS services").
test('the HTTP API access log group is named under /aws/vendedlogs/, and the key may encrypt it', () => {
  const stage = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')[0]![1];
  expect(JSON.stringify((stage.Properties?.AccessLogSettings as Obj).DestinationArn)).toContain('${HttpApiAccessLogGroup}');
  const name = render(template.Resources.HttpApiAccessLogGroup?.Properties?.LogGroupName);
  expect(name).toMatch(/^\/aws\/vendedlogs\//);
  const logs = keyStatements.filter((s) => JSON.stringify(s.Condition ?? {}).includes('kms:EncryptionContext:aws:logs:arn'));
  const arns = logs.flatMap((s) => asArray(((s.Condition as Obj).ArnLike as Obj)['kms:EncryptionContext:aws:logs:arn']).map(render));
  const arn = `arn:aws:logs:eu-west-1:123456789012:log-group:${name}`;
  expect(arns.some((pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(arn))).toBe(true);
});
