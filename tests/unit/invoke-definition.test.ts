// `sluice invoke` reads template.yaml as `sam local invoke` does: each function's handler file
// and export, and its environment with what can be resolved locally resolved.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { yamlParse } from 'yaml-cfn';
import { functionDefinition, functionEnvironment, parseParameterOverrides } from '../../cli/function-definition.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const template = yamlParse(readFileSync(`${root}template.yaml`, 'utf8')) as { Resources: Record<string, { Type: string }> };
const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function').map(([id]) => id);

test('every function of the template has a handler file and export here', async () => {
  expect(functions.length).toBeGreaterThanOrEqual(7);
  for (const id of functions) {
    const def = functionDefinition(template, id, root);
    expect(existsSync(def.entryPoint)).toBe(true);
    expect(readFileSync(def.entryPoint, 'utf8')).toMatch(new RegExp(`export (const|async function|function) ${def.exportName}\\b`));
  }
  expect(functionDefinition(template, 'PlanFunction', root)).toMatchObject({ entryPoint: `${root}functions/handlers/plan.ts`, exportName: 'handler' });
});

test('the environment: literals and parameter defaults resolved, deployed-only values left out, overrides applied', () => {
  const def = functionDefinition(template, 'CommitFunction', root, { DatasetsJson: '[{"name":"d"}]', GraceSeconds: '30' });
  expect(def.environment).toMatchObject({ REDIS_TLS: 'true', DATASET: 'recommendations', DATASETS: '[{"name":"d"}]', GRACE_SECONDS: '30', MAX_CHUNKS: '950', KEY_FIELD: '' });
  expect(def.unresolved.sort()).toEqual(['REDIS_AUTH_MODE', 'REDIS_HOST', 'REDIS_IAM_USER', 'REDIS_PASSWORD_SECRET_ARN', 'REDIS_PORT', 'REDIS_REPLICATION_GROUP_ID']);
  expect(() => functionDefinition(template, 'NoSuchFunction', root)).toThrow(/no function NoSuchFunction \(its functions: .*PlanFunction/);
  expect(() => functionDefinition(template, 'PlanFunction', root, { NoSuchParameter: '1' })).toThrow('the template has no parameter NoSuchParameter');
});

test("the local stack's connection variables win; the template's settings win over the shell's; DATASETS_FILE gives way to DATASETS", () => {
  const def = functionDefinition(template, 'PlanFunction', root);
  const env = functionEnvironment(def, { REDIS_HOST: '127.0.0.1', REDIS_PORT: '7001', REDIS_TLS: 'false', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', CHUNK_SIZE_BYTES: '1', DATASETS_FILE: 'x.json', HOME: '/h' });
  expect(env).toMatchObject({ REDIS_HOST: '127.0.0.1', REDIS_PORT: '7001', REDIS_TLS: 'false', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', CHUNK_SIZE_BYTES: '67108864', HOME: '/h' });
  expect(env.DATASETS_FILE).toBeUndefined();
  expect(env.REDIS_PASSWORD_SECRET_ARN).toBeUndefined();
});

test('--parameter-overrides in sam syntax', () => {
  expect(parseParameterOverrides('DatasetsJson=[{"name":"a b"}] InputFormat=jsonl')).toEqual({ DatasetsJson: '[{"name":"a b"}]', InputFormat: 'jsonl' });
  expect(parseParameterOverrides(undefined)).toEqual({});
  expect(() => parseParameterOverrides('oops')).toThrow('Name=Value pairs');
});
