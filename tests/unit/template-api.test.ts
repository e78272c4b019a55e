// The read API as deployed: every route reaches the read function (integration and invoke
// permission), and every route's authorisation follows ApiAuthorization, for each choice.
import { asArray, evaluateCondition, intrinsic, isObject, loadTemplate, parameterValues, referencedIds, resolve, resourcesOfType, ruleViolations, type Obj, type Resource } from './template/cfn.js';

const root = new URL('../../', import.meta.url);
const template = loadTemplate(new URL('template.yaml', root));
const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');
const [apiEntry, ...otherApis] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
if (!apiEntry || otherApis.length) throw new Error('expected exactly one AWS::ApiGatewayV2::Api');
const [apiId] = apiEntry;
const [stageEntry] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');
const stageName = String(stageEntry?.[1].Properties?.StageName);

/** Resources deployed with `params`: those without a Condition, or whose Condition holds. */
function deployed(params: Obj): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => !r.Condition || evaluateCondition(template, r.Condition, params));
}

// Fixed stand-ins for the pseudo parameters and the API id in ARNs.
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333', [apiId]: 'a1b2c3d4e5' };

/** An `!Sub` string with the pseudo parameters and the API id filled in; anything else is an error. */
function substitute(v: unknown): string {
  const fn = intrinsic(v);
  if (fn?.[0] !== 'Fn::Sub' || typeof fn[1] !== 'string') throw new Error(`expected a one-argument Fn::Sub, got ${JSON.stringify(v)}`);
  return fn[1].replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
    const value = PSEUDO[name];
    if (value === undefined) throw new Error(`cannot substitute \${${name}} in ${fn[1]}`);
    return value;
  });
}

/** IAM ArnLike matching: `*` any run of characters (slashes included), `?` one character. */
export function arnLike(pattern: string, arn: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

/** The execute-api ARN API Gateway presents when it invokes the integration of `routeKey`. */
function routeArn(routeKey: string): string {
  const [method, path] = routeKey.split(' ');
  if (!method || !path?.startsWith('/')) throw new Error(`route key ${routeKey}: expected "METHOD /path"`);
  const concrete = path.replace(/\{[^}]+\}/g, 'x');
  return `arn:aws:execute-api:${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}:${PSEUDO[apiId]}/${stageName}/${method}${concrete}`;
}

describe('the ARN matcher used below', () => {
  test('wildcards match across path segments; method and literal parts must match', () => {
    expect(arnLike('arn:aws:execute-api:r:1:api/*/GET/*', 'arn:aws:execute-api:r:1:api/$default/GET/users/x/recommendations')).toBe(true);
    expect(arnLike('arn:aws:execute-api:r:1:api/*/GET/*', 'arn:aws:execute-api:r:1:api/$default/POST/datasets/x/batch-get')).toBe(false);
    expect(arnLike('arn:aws:execute-api:r:1:api/*/POST/datasets/*/batch-get', 'arn:aws:execute-api:r:1:api/$default/POST/datasets/x/batch-get')).toBe(true);
    expect(arnLike('arn:aws:execute-api:r:1:api/*/POST/datasets/*/batch-get', 'arn:aws:execute-api:r:1:other/$default/POST/datasets/x/batch-get')).toBe(false);
    expect(arnLike('a.b', 'axb')).toBe(false);
  });
});

describe('routes and the read function', () => {
  const params = parameterValues(template);

  test('the API declares exactly the routes the read handler answers', async () => {
    const { ROUTE_KEYS } = await import('../../functions/handlers/read-api.js');
    expect(routes.map(([, r]) => r.Properties?.RouteKey).sort()).toEqual([...ROUTE_KEYS].sort());
  });

  test.each(routes)('%s targets an integration of the read function on this API', (_id, route) => {
    expect(referencedIds(route.Properties?.ApiId)).toEqual(new Set([apiId]));
    const target = intrinsic(route.Properties?.Target);
    expect(target?.[0]).toBe('Fn::Sub');
    const m = /^integrations\/\$\{(\w+)\}$/.exec(String(target?.[1]));
    const integration = template.Resources[m?.[1] ?? ''];
    expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration?.Properties).toEqual(expect.objectContaining({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' }));
    expect(referencedIds(integration?.Properties?.ApiId)).toEqual(new Set([apiId]));
    expect([...referencedIds(integration?.Properties?.IntegrationUri)]).toEqual(['ReadApiFunction']);
  });

  test.each(routes)('%s may invoke the read function: a Lambda permission SourceArn covers its method and path', (id, route) => {
    const arn = routeArn(String(route.Properties?.RouteKey));
    const covering = deployed(params)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Permission')
      .map(([pid, r]) => [pid, resolve(template, r.Properties, params) as Obj] as const)
      .filter(([, p]) => p.Action === 'lambda:InvokeFunction' && p.Principal === 'apigateway.amazonaws.com' && referencedIds(p.FunctionName).has('ReadApiFunction'))
      .filter(([, p]) => arnLike(substitute(p.SourceArn), arn))
      .map(([pid]) => pid);
    expect({ route: id, arn, covering: covering.length > 0 }).toEqual({ route: id, arn, covering: true });
  });

  test('no permission lets API Gateway invoke anything but the read function, or from another API', () => {
    for (const [, p] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
      if (p.Properties?.Principal !== 'apigateway.amazonaws.com') continue;
      expect([...referencedIds(p.Properties.FunctionName)]).toEqual(['ReadApiFunction']);
      expect(substitute(p.Properties.SourceArn)).toMatch(new RegExp(`:${PSEUDO[apiId]}/`));
    }
  });
});

describe('authorisation, for each ApiAuthorization choice', () => {
  const choices = asArray(template.Parameters.ApiAuthorization?.AllowedValues).map(String);
  const authorizers = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');

  test('the choices are AWS_IAM (the default), JWT and NONE', () => {
    expect(choices.sort()).toEqual(['AWS_IAM', 'JWT', 'NONE']);
    expect(template.Parameters.ApiAuthorization?.Default).toBe('AWS_IAM');
  });

  test.each([
    ['AWS_IAM', 'AWS_IAM', false],
    ['JWT', 'JWT', true],
    ['NONE', 'NONE', false],
  ] as const)('ApiAuthorization=%s: every route has AuthorizationType %s; JWT authorizer: %s', (choice, type, withAuthorizer) => {
    const params = parameterValues(template, { ApiAuthorization: choice, ApiJwtIssuer: 'https://issuer.example', ApiJwtAudience: ['sluice'] });
    const deployedAuthorizers = authorizers.filter(([id]) => deployed(params).some(([d]) => d === id));
    expect(deployedAuthorizers.length).toBe(withAuthorizer ? 1 : 0);
    for (const [id, route] of routes) {
      const props = resolve(template, route.Properties, params) as Obj;
      expect({ id, type: props.AuthorizationType }).toEqual({ id, type });
      if (withAuthorizer) {
        const [authorizerId, authorizer] = deployedAuthorizers[0]!;
        expect({ id, authorizer: [...referencedIds(props.AuthorizerId)] }).toEqual({ id, authorizer: [authorizerId] });
        const config = resolve(template, authorizer.Properties, params) as Obj;
        expect(config).toEqual(
          expect.objectContaining({
            AuthorizerType: 'JWT',
            IdentitySource: ['$request.header.Authorization'],
            JwtConfiguration: { Issuer: 'https://issuer.example', Audience: ['sluice'] },
          }),
        );
      } else {
        expect({ id, authorizer: props.AuthorizerId }).toEqual({ id, authorizer: undefined });
      }
    }
  });

  // HTTP API JWT authorizer: a token is accepted only if its aud (or client_id) matches an entry
  // of the audience list (API Gateway Developer Guide, "Controlling access to HTTP APIs with JWT
  // authorizers", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html).
  // An empty CommaDelimitedList parameter is [""]: an authorizer no token can pass.
  test('a JWT API without an issuer or an audience is refused at deploy time by a template rule', () => {
    const jwt = (overrides: Obj) => ruleViolations(template, parameterValues(template, { ApiAuthorization: 'JWT', ...overrides })).filter((v) => /ApiJwt/.test(v));
    expect(jwt({ ApiJwtIssuer: 'https://issuer.example', ApiJwtAudience: 'sluice,other' })).toEqual([]);
    expect(jwt({ ApiJwtIssuer: '', ApiJwtAudience: 'sluice' })).toEqual([expect.stringMatching(/needs ApiJwtIssuer/)]);
    expect(jwt({ ApiJwtIssuer: 'https://issuer.example' })).toEqual([expect.stringMatching(/needs ApiJwtAudience/)]);
    expect(jwt({ ApiJwtIssuer: 'https://issuer.example', ApiJwtAudience: 'sluice,' })).toEqual([expect.stringMatching(/none empty/)]);
    // Other choices need neither.
    for (const choice of ['AWS_IAM', 'NONE']) expect(ruleViolations(template, parameterValues(template, { ApiAuthorization: choice })).filter((v) => /ApiJwt/.test(v))).toEqual([]);
  });

  test('only NONE adds an output that says plainly the API is public', () => {
    const publicOutputs = (choice: string) =>
      Object.entries(template.Outputs ?? {})
        .filter(([, o]) => !o.Condition || evaluateCondition(template, String(o.Condition), parameterValues(template, { ApiAuthorization: choice })))
        .filter(([, o]) => isObject(o) && /\bPUBLIC\b/.test(String(o.Value)));
    expect(publicOutputs('NONE')).toHaveLength(1);
    expect(publicOutputs('AWS_IAM')).toHaveLength(0);
    expect(publicOutputs('JWT')).toHaveLength(0);
  });
});
