// A function of template.yaml as `sam local invoke` sees it: its handler file and export (from
// Handler and the esbuild EntryPoints under CodeUri) and its environment (Globals merged with
// the function's own variables), with what can be resolved here resolved: literals, parameter
// Refs (defaults or overrides), pseudo parameters and simple Fn::Sub. Values that only exist
// in a deployed stack (Fn::GetAtt, Refs to resources) are left out.
import { basename, extname, join } from 'node:path';

type Obj = Record<string, unknown>;

export interface FunctionDefinition {
  id: string;
  /** Absolute path of the handler's source file. */
  entryPoint: string;
  /** The export to call (`handler` in `plan.handler`). */
  exportName: string;
  /** The variables resolved here. */
  environment: Record<string, string>;
  /** Variables that only a deployed stack can give (e.g. REDIS_HOST from the cache's attributes). */
  unresolved: string[];
}

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Key=Value Key2=Value2` (sam's --parameter-overrides syntax); a value runs up to the next ` Name=`. */
export function parseParameterOverrides(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text?.trim()) return out;
  const starts = [...text.matchAll(/(?:^|\s+)([A-Za-z0-9]+)=/g)];
  if (starts.length === 0 || text.slice(0, starts[0]!.index).trim() !== '') throw new RangeError(`--parameter-overrides must be Name=Value pairs, got ${JSON.stringify(text)}`);
  starts.forEach((m, i) => {
    const from = m.index! + m[0].length;
    const to = i + 1 < starts.length ? starts[i + 1]!.index! : text.length;
    out[m[1]!] = text.slice(from, to).trim();
  });
  return out;
}

class Unresolvable extends Error {}

function resolver(template: Obj, overrides: Record<string, string>, region: string): (v: unknown) => string {
  const parameters = isObject(template.Parameters) ? template.Parameters : {};
  for (const name of Object.keys(overrides)) {
    if (!(name in parameters)) throw new RangeError(`--parameter-overrides: the template has no parameter ${name}`);
  }
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': '123456789012',
    'AWS::Partition': 'aws',
    'AWS::StackName': 'sluice-local',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const ref = (name: string): string => {
    if (name in overrides) return overrides[name]!;
    if (name in pseudo) return pseudo[name]!;
    const p = parameters[name];
    if (isObject(p)) {
      if (p.Default === undefined) throw new Unresolvable(`parameter ${name} has no default (give it with --parameter-overrides)`);
      return Array.isArray(p.Default) ? p.Default.join(',') : String(p.Default);
    }
    throw new Unresolvable(`${name} exists only in a deployed stack`);
  };
  const value = (v: unknown): string => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (isObject(v) && Object.keys(v).length === 1) {
      if (typeof v.Ref === 'string') return ref(v.Ref);
      const sub = v['Fn::Sub'];
      if (typeof sub === 'string') return sub.replace(/\$\{([^}!]+)\}/g, (_, name: string) => ref(name));
    }
    throw new Unresolvable(`${JSON.stringify(v)} exists only in a deployed stack`);
  };
  return value;
}

/** The function `id` of a parsed template; `root` is the directory holding template.yaml. */
export function functionDefinition(template: unknown, id: string, root: string, overrides: Record<string, string> = {}, region = 'us-east-1'): FunctionDefinition {
  if (!isObject(template) || !isObject(template.Resources)) throw new RangeError('the template has no Resources');
  const functions = Object.entries(template.Resources)
    .filter(([, r]) => isObject(r) && r.Type === 'AWS::Serverless::Function')
    .map(([name]) => name);
  const resource = template.Resources[id];
  if (!isObject(resource) || resource.Type !== 'AWS::Serverless::Function') {
    throw new RangeError(`the template has no function ${id} (its functions: ${functions.join(', ')})`);
  }
  const globals = isObject(template.Globals) && isObject(template.Globals.Function) ? template.Globals.Function : {};
  const props = isObject(resource.Properties) ? resource.Properties : {};
  const handler = String(props.Handler ?? globals.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new RangeError(`${id}: Handler ${JSON.stringify(handler)} is not <file>.<export>`);
  const [file, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
  const codeUri = String(props.CodeUri ?? globals.CodeUri ?? '.');
  const metadata = isObject(resource.Metadata) && isObject(resource.Metadata.BuildProperties) ? resource.Metadata.BuildProperties : {};
  const entryPoints = Array.isArray(metadata.EntryPoints) ? metadata.EntryPoints.map(String) : [];
  const entry = entryPoints.find((e) => basename(e, extname(e)) === basename(file));
  if (!entry) throw new RangeError(`${id}: no entry point in Metadata.BuildProperties.EntryPoints for Handler ${handler}`);

  const value = resolver(template, overrides, region);
  const variables = (v: unknown): Obj => (isObject(v) && isObject(v.Variables) ? v.Variables : {});
  const declared = { ...variables(globals.Environment), ...variables(props.Environment) };
  const environment: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const [name, raw] of Object.entries(declared)) {
    try {
      environment[name] = value(raw);
    } catch (err) {
      if (!(err instanceof Unresolvable)) throw err;
      unresolved.push(name);
    }
  }
  return { id, entryPoint: join(root, codeUri, entry), exportName, environment, unresolved };
}

/** What a local stack supplies: where Redis and S3 are and how to reach them (and its erasure log). The caller's values win for these. */
export const LOCAL_STACK_VARIABLE = /^(REDIS_(HOST|PORT|TLS|TLS_CA_FILE|USERNAME|PASSWORD|PASSWORD_SECRET_ARN)|AWS_(ENDPOINT_URL_S3|REGION|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)|ERASURE_LOG_URI)$/;

/**
 * The environment the function runs with: the template's variables as resolved here, then the
 * local stack's connection variables from the caller's environment (they win, as an
 * `--env-vars` file would in sam), with the deployed-only ones dropped. The datasets are the
 * bundled datasets.json, as in a stack, unless the caller names another file
 * (SLUICE_DATASETS_FILE, which a stack never sets).
 */
export function functionEnvironment(def: FunctionDefinition, caller: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...caller };
  for (const name of def.unresolved) if (!LOCAL_STACK_VARIABLE.test(name)) delete env[name];
  for (const [name, v] of Object.entries(def.environment)) {
    if (LOCAL_STACK_VARIABLE.test(name) && caller[name] !== undefined) continue;
    env[name] = v;
  }
  return env;
}
