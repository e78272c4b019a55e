// The network pieces only AWS would show wrong: a stack whose functions cannot reach S3, and
// subnets Lambda refuses. CloudFormation checks the Rules before it creates anything.
import { readFileSync } from 'node:fs';
import { evaluateCondition, loadTemplate, parameterValues, ruleViolations, type Obj } from './template/cfn.js';

const root = new URL('../../', import.meta.url);
const template = loadTemplate(new URL('template.yaml', root));
const definition = readFileSync(new URL('statemachine/ingest.asl.json', root), 'utf8');
// What `sam deploy --guided` asks for with no default, filled in.
const required = { VpcId: 'vpc-1', PrivateSubnetIds: 'subnet-a,subnet-b', PredictionsBucket: 'predictions' };
const params = (overrides: Obj) => parameterValues(template, { ...required, ...overrides });
const s3Violations = (overrides: Obj) => ruleViolations(template, params(overrides)).filter((v) => v.includes('route to S3'));

describe('a route to S3', () => {
  test('the default deploy without route tables is refused before anything is created, saying what to give', () => {
    const refused = s3Violations({});
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/PrivateRouteTableIds/);
    expect(refused[0]).toMatch(/S3Route=existing/);
    expect(s3Violations({ PrivateRouteTableIds: 'rtb-1,' })).toHaveLength(1); // an empty member too
  });

  test('route tables given: accepted, and the S3 gateway endpoint goes on exactly those tables', () => {
    expect(s3Violations({ PrivateRouteTableIds: 'rtb-1,rtb-2' })).toEqual([]);
    const endpoint = template.Resources.S3GatewayEndpoint;
    expect(endpoint?.Condition).toBeDefined();
    expect(evaluateCondition(template, endpoint!.Condition!, params({ PrivateRouteTableIds: 'rtb-1,rtb-2' }))).toBe(true);
    expect(endpoint?.Properties).toEqual(
      expect.objectContaining({ VpcEndpointType: 'Gateway', RouteTableIds: { Ref: 'PrivateRouteTableIds' }, ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' } }),
    );
  });

  test('S3Route=existing (a gateway endpoint or NAT already there): no second endpoint, which the tables would refuse', () => {
    expect(template.Parameters.S3Route?.Default).toBe('gateway-endpoint');
    expect(s3Violations({ S3Route: 'existing' })).toEqual([]);
    expect(evaluateCondition(template, template.Resources.S3GatewayEndpoint!.Condition!, params({ S3Route: 'existing' }))).toBe(false);
  });

  test('an unreachable S3 fails Plan at once: Plan retries neither S3UnreachableError nor every error', () => {
    const plan = (JSON.parse(definition) as { States: Record<string, { Retry?: { ErrorEquals: string[] }[] }> }).States.Plan;
    const retried = (plan?.Retry ?? []).flatMap((r) => r.ErrorEquals);
    expect(retried).toContain('TransientError');
    expect(retried).not.toContain('S3UnreachableError');
    expect(retried).not.toContain('States.ALL');
  });
});

// Lambda does not create network interfaces in every Availability Zone: in us-east-1 it refuses
// subnets in use1-az3 (AWS Lambda Developer Guide, "Giving Lambda functions access to resources
// in an Amazon VPC", https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
// Nothing in the template can check a subnet's zone, so the deploy docs say it where subnets are asked for.
test('the subnets parameter and the deployment prerequisites say Lambda refuses subnets in zones it does not support', () => {
  expect(String(template.Parameters.PrivateSubnetIds?.Description)).toMatch(/zone Lambda does not support \(us-east-1: use1-az3\)/);
  const page = readFileSync(new URL('docs/deployment.md', root), 'utf8');
  const deploy = page.slice(page.indexOf('## Prerequisites'), page.indexOf('## Build and deploy'));
  expect(deploy.length).toBeGreaterThan(0);
  expect(deploy).toMatch(/Availability Zone Lambda does not support \(in us-east-1, `use1-az3`/);
});
