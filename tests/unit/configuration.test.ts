// One definition per setting (functions/settings.ts), held against everything that repeats it:
// the code that reads the environment, template.yaml's Parameters, ParameterGroups and each
// function's Environment, the generated docs/configuration.md, the 4 KB environment limit, and
// the API routes the docs list.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';
import { loadConfig, type Env } from '../../functions/config.js';
import { ConfigError } from '../../functions/errors.js';
import { SETTING_GROUPS, SETTINGS, settingOf, type Setting } from '../../functions/settings.js';
import { datasetsFile } from '../../local/datasets-file.js';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/docs-config.js';
import { intrinsic, loadTemplate, resourcesOfType, type Obj } from './template/cfn.js';

const root = new URL('../../', import.meta.url);
const template = loadTemplate(new URL('template.yaml', root));
const settings = SETTINGS as readonly Setting[];
const withParameter = settings.filter((s) => s.parameter);
const huge = (n: number | undefined) => n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER;

/** Each function's variables as Lambda gets them: the Globals', then its own on top. */
function functionEnvironments(): [string, Obj][] {
  const globals = ((template.Globals?.Function?.Environment as Obj | undefined)?.Variables ?? {}) as Obj;
  return resourcesOfType(template, 'AWS::Serverless::Function').map(([id, r]) => [id, { ...globals, ...(((r.Properties?.Environment as Obj | undefined)?.Variables ?? {}) as Obj) }]);
}

describe('the registry', () => {
  test('one entry per variable and per parameter, each in a known group with a one-line description', () => {
    const envs = settings.flatMap((s) => (s.env ? [s.env] : []));
    const parameters = withParameter.map((s) => s.parameter!);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(parameters).size).toBe(parameters.length);
    for (const s of settings) {
      expect({ s, group: SETTING_GROUPS.includes(s.group) }).toEqual({ s, group: true });
      expect(s.env ?? s.parameter).toBeDefined();
      expect(s.description).not.toMatch(/\n/);
    }
  });

  test('loadConfig reads exactly the variables the registry says the functions read, and nothing else', () => {
    const read = new Set<string>();
    const recording = (env: Env): Env => new Proxy(env, { get: (t, k: string) => (read.add(k), t[k]) });
    loadConfig(recording({}));
    loadConfig(recording({ REDIS_AUTH_MODE: 'iam', REDIS_IAM_USER: 'u', REDIS_REPLICATION_GROUP_ID: 'g', AWS_REGION: 'eu-west-1', REDIS_REPLICA_FALLBACK_MS: '100' }));
    loadConfig(recording({ SLUICE_DATASETS_FILE: datasetsFile('d'), REDIS_REPLICA_FALLBACK_MS: '100' }));
    const functionsRead = settings.filter((s) => s.env && s.readBy === 'functions').map((s) => s.env!);
    expect([...read].sort()).toEqual([...functionsRead].sort());
  });

  test('a bad value names the variable, and the template parameter when a stack sets it from one (19.17)', () => {
    expect(() => loadConfig({ MAP_CONCURRENCY: '99' })).toThrow(new ConfigError('parameter MapConcurrency (MAP_CONCURRENCY)="99" must be an integer between 1 and 40'));
    expect(() => loadConfig({ INPUT_FORMAT: 'xml' })).toThrow('parameter InputFormat (INPUT_FORMAT)="xml" must be auto, jsonl, json, csv or parquet');
    expect(() => loadConfig({ MAX_BAD_RECORD_RATIO: '2' })).toThrow('parameter MaxBadRecordRatio (MAX_BAD_RECORD_RATIO)="2" must be a number between 0 and 1');
    expect(() => loadConfig({ WRITE_BATCH_SIZE: '0' })).toThrow(/^WRITE_BATCH_SIZE="0" must be an integer between 1 and 100000$/);
  });

  test('REDIS_REPLICA_ACK_TIMEOUT_MS=0 switches the replica wait off (it replaced REDIS_REPLICA_ACK=false)', () => {
    expect(loadConfig({}).redis.replicaAckTimeoutMs).toBe(10_000);
    expect(loadConfig({ REDIS_REPLICA_ACK_TIMEOUT_MS: '0' }).redis.replicaAckTimeoutMs).toBeNull();
  });
});

describe('template.yaml against the registry', () => {
  test('every parameter is a setting, and every setting with a parameter is one', () => {
    expect(Object.keys(template.Parameters).sort()).toEqual(withParameter.map((s) => s.parameter!).sort());
  });

  test.each(withParameter.map((s) => [s.parameter!, s] as const))('%s: type, Default, range, AllowedValues and description as registered', (name, s) => {
    const p = template.Parameters[name]!;
    const numeric = s.type === 'integer' || s.type === 'number';
    expect({ name, Type: p.Type }).toEqual({ name, Type: numeric ? "Number" : s.type === "list" ? expect.stringMatching(/^(String|CommaDelimitedList|List<.+>)$/) : expect.stringMatching(/^(String|Number|AWS::.+)$/) });
    expect({ name, Default: p.Default === undefined ? undefined : String(p.Default) }).toEqual({ name, Default: s.default === undefined ? undefined : String(s.default) });
    expect({ name, MinValue: p.MinValue }).toEqual({ name, MinValue: s.parameterMin ?? (huge(s.min) ? undefined : s.min) });
    expect({ name, MaxValue: p.MaxValue }).toEqual({ name, MaxValue: huge(s.max) ? undefined : s.max });
    expect({ name, AllowedValues: (p.AllowedValues as unknown[] | undefined)?.map(String) }).toEqual({ name, AllowedValues: s.values });
    if (s.parameterMin !== undefined) expect(s.parameterMin).toBeGreaterThanOrEqual(s.min!); // a stack may be stricter, never looser
    expect(String(p.Description).replace(/\s+/g, ' ').startsWith(s.description)).toBe(true);
  });

  test('ParameterGroups (AWS::CloudFormation::Interface): every parameter in exactly one group, the group of its setting', () => {
    const raw = yamlParse(readFileSync(new URL('template.yaml', root), 'utf8')) as { Metadata?: Obj };
    const groups = ((raw.Metadata?.['AWS::CloudFormation::Interface'] as Obj | undefined)?.ParameterGroups ?? []) as { Label: { default: string }; Parameters: string[] }[];
    const seen = new Map<string, string[]>();
    for (const g of groups) for (const p of g.Parameters) seen.set(p, [...(seen.get(p) ?? []), g.Label.default]);
    for (const name of Object.keys(template.Parameters)) {
      expect({ name, groups: seen.get(name) }).toEqual({ name, groups: [withParameter.find((s) => s.parameter === name)!.group] });
    }
    expect([...seen.keys()].filter((p) => !(p in template.Parameters))).toEqual([]);
  });

  test.each(functionEnvironments())("%s's environment: registered variables only, each parameter reaching the variable it sets", (_id, variables) => {
    for (const [name, value] of Object.entries(variables)) {
      expect({ name, registered: settings.some((s) => s.env === name) }).toEqual({ name, registered: true });
      const ref = intrinsic(value);
      if (ref?.[0] === 'Ref' && typeof ref[1] === 'string' && ref[1] in template.Parameters) {
        expect({ name, from: ref[1] }).toEqual({ name, from: settingOf(name as never).parameter });
      }
    }
    // A parameter meant for the functions reaches every one of them, as its variable.
    for (const s of withParameter.filter((x) => x.env)) expect({ env: s.env, value: variables[s.env!] }).toEqual({ env: s.env, value: { Ref: s.parameter } });
    // No dataset declaration travels in the environment any more.
    expect(Object.keys(variables).filter((k) => /^(DATASETS?|KEY_FIELD|ITEMS_FIELD|CSV_LAYOUT|PROMOTE|CHECK_.*)$/.test(k))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  test('is what `npm run docs:config` writes from the registry (run it after changing a setting)', () => {
    expect(existsSync(CONFIGURATION_DOC)).toBe(true);
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  });

  test('README links to it instead of repeating the tables', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(readme).toContain('docs/configuration.md');
    expect(readme).not.toMatch(/^\| `(DatasetsJson|DATASETS|KEY_FIELD|CHUNK_SIZE_BYTES|MapConcurrency|GraceSeconds)`/m);
  });
});

// Lambda: "The total size of all environment variables doesn't exceed 4 KB"; measured as the
// variables serialized as JSON, in which every quote is escaped (FIELD-NOTES; Lambda developer
// guide, "Working with Lambda environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
describe('the 4 KB environment limit', () => {
  const LIMIT = 4096;
  // The longest text each unresolved value can take, by what it is (documented maxima).
  const ATTRIBUTE_MAX: Record<string, number> = {
    'CacheReplicationGroup.ConfigurationEndPoint.Address': 253, // a DNS name
    'CacheReplicationGroup.ConfigurationEndPoint.Port': 5,
  };
  const RESOURCE_REF_MAX: Record<string, number> = {
    CacheUser: 40, // ElastiCache user id
    CacheReplicationGroup: 40, // replication group id
    CacheAuthTokenSecret: 2048, // an ARN, at most 2048 characters
  };
  // A Number is given as text; a double needs at most 24 characters (-1.2345678901234567e-300).
  const NUMBER_MAX = 24;

  function worstLength(v: unknown): number {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v).length;
    const fn = intrinsic(v);
    if (!fn) throw new Error(`cannot size ${JSON.stringify(v)}`);
    const [name, arg] = fn;
    if (name === 'Fn::If') return Math.max(worstLength((arg as unknown[])[1]), worstLength((arg as unknown[])[2]));
    if (name === 'Fn::GetAtt') {
      const key = Array.isArray(arg) ? arg.join('.') : String(arg);
      if (!(key in ATTRIBUTE_MAX)) throw new Error(`no known maximum length for !GetAtt ${key}`);
      return ATTRIBUTE_MAX[key]!;
    }
    if (name === 'Ref') {
      const p = template.Parameters[String(arg)];
      if (p) {
        if (Array.isArray(p.AllowedValues)) return Math.max(...p.AllowedValues.map((x) => String(x).length));
        if (p.Type === 'Number') return NUMBER_MAX;
        if (typeof p.MaxLength !== 'number') throw new Error(`parameter ${String(arg)} reaches the environment without MaxLength or AllowedValues`);
        return p.MaxLength;
      }
      if (!(String(arg) in RESOURCE_REF_MAX)) throw new Error(`no known maximum length for !Ref ${String(arg)}`);
      return RESOURCE_REF_MAX[String(arg)]!;
    }
    if (name === 'Fn::Sub' && typeof arg === 'string') {
      // Each ${Name} is a parameter or resource reference, sized as a !Ref; the rest is literal.
      let length = arg.replace(/\$\{[^}]+\}/g, '').length;
      for (const m of arg.matchAll(/\$\{([^}]+)\}/g)) length += worstLength({ Ref: m[1] });
      return length;
    }
    throw new Error(`cannot size ${name}`);
  }

  test.each(functionEnvironments())('%s: the environment at the worst case the parameters allow stays under 4 KB', (_id, variables) => {
    const worst = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, 'x'.repeat(worstLength(v))]));
    const size = JSON.stringify(JSON.stringify(worst)).length - 2; // the JSON, its quotes escaped
    expect(size).toBeLessThan(LIMIT);
  });

  test('a 20-dataset declaration loads from its file and never goes through the environment', () => {
    const datasets = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? {
            name: `recs_${i}`,
            kind: 'ranked-items',
            keyCandidates: ['userId', 'user_id', 'customer_id'],
            items: ['SageMakerOutput.recommendations', 'recommendations'],
            jobs: { prefix: [`recs-${i}-`, `recs-nightly-${i}-`] },
            promote: i % 4 === 0 ? 'manual' : 'auto',
            rewindWindowHours: 48,
            checks: { minRecords: 10_000, maxRecordDrop: 0.3, maxRecordGrowth: 3, minLiveKeyCoverage: 0.9, coverageSample: 2000, duplicateKeys: 'reject', maxEmptyListShareIncrease: 0.05, maxListLengthFactor: 1.5, inputCompleteness: true },
            csv: { columns: ['userId', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10'], delimiter: '\t', items: { trailing: 10 } },
          }
        : {
            name: `features_${i}`,
            kind: 'feature-rows',
            key: ['state', 'zipcode'],
            fields: { city: 'string', population: 'integer', total_wages: 'integer', median_income: 'number', tags: 'array', meta: 'object', active: 'boolean' },
            jobs: { names: [`features-${i}-backfill`], prefix: `features-${i}-` },
            checks: { minRecords: 500, maxNullRateIncrease: 0.05, duplicateKeys: 'last-wins' },
            csv: { header: true, delimiter: ';' },
          },
    );
    const file = datasetsFile(...datasets);
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(4096); // it could never have fitted the environment
    const read = new Set<string>();
    const env = new Proxy({ SLUICE_DATASETS_FILE: file } as Env, { get: (t, k: string) => (read.add(k), t[k]) });
    const config = loadConfig(env);
    expect(config.datasets.map((d) => d.name)).toEqual(datasets.map((d) => d.name));
    expect(config.defaultDataset).toBe('recs_0');
    expect(config.datasets[2]).toMatchObject({ promote: 'auto', rewindWindowHours: 48, csv: { delimiter: '\t', items: { trailing: 10 } }, checks: { minRecords: 10_000 } });
    // What it read from the environment: registered settings only, the file's name among them, no declaration.
    expect([...read].filter((k) => !settings.some((s) => s.env === k))).toEqual([]);
  });
});

describe('the API routes', () => {
  test('the routes the docs list are the read handler\'s, which are the template\'s', async () => {
    const { ROUTE_KEYS } = await import('../../functions/handlers/read-api.js');
    const pages = [new URL('README.md', root), ...(existsSync(new URL('docs/', root)) ? readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => new URL(`docs/${f}`, root)) : [])];
    const documented = new Set<string>();
    for (const page of pages) {
      for (const m of readFileSync(page, 'utf8').matchAll(/^\| `(GET|POST|PUT|DELETE|PATCH) (\/[^`?\s]*)/gm)) documented.add(`${m[1]} ${m[2]}`);
    }
    expect([...documented].sort()).toEqual([...ROUTE_KEYS].sort());
    const templateRoutes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties?.RouteKey);
    expect(templateRoutes.sort()).toEqual([...ROUTE_KEYS].sort());
  });
});
