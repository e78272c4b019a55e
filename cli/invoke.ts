// sluice invoke: one function of template.yaml on an event, in this process, against the stack
// the environment names: what `sam local invoke` does, without Docker or a build. The handler
// and its environment come from the template (function-definition.ts); the result, or the
// error as Lambda reports it, is printed as JSON.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { yamlParse } from 'yaml-cfn';
import { lambdaContext } from '../local/state-machine.js';
import { CliError, EXIT, UsageError, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { withRuntime } from './env.js';
import { functionDefinition, functionEnvironment, LOCAL_STACK_VARIABLE, parseParameterOverrides, type FunctionDefinition } from './function-definition.js';

const DEFAULT_TEMPLATE = fileURLToPath(new URL('../template.yaml', import.meta.url));

type LambdaHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    return what === 'template' ? yamlParse(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the ${what} ${file} is not valid ${what === 'template' ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

function definitionOf(template: unknown, id: string, templateFile: string, args: Parsed, env: NodeJS.ProcessEnv): FunctionDefinition {
  try {
    const overrides = parseParameterOverrides(stringOption(args, 'parameter-overrides'));
    return functionDefinition(template, id, dirname(templateFile), overrides, env.AWS_REGION ?? 'us-east-1');
  } catch (err) {
    throw new UsageError(`${templateFile}: ${(err as Error).message}`);
  }
}

/** Replaces this process's environment: the handlers (and Powertools) read it when first used. */
function useEnvironment(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const id = args.positionals[0]!;
  const templateFile = resolve(stringOption(args, 'template') ?? DEFAULT_TEMPLATE);
  const eventFile = stringOption(args, 'event');
  const event = eventFile === undefined ? {} : await readJson(eventFile, 'event');
  const def = definitionOf(await readJson(templateFile, 'template'), id, templateFile, args, ctx.env);
  // A variable only the deployed stack has (the cache's address) must come from a local stack:
  // without it the function would try the defaults (127.0.0.1:6379), which is not Sluice's.
  const missing = def.unresolved.filter((name) => LOCAL_STACK_VARIABLE.test(name) && name !== 'REDIS_PASSWORD_SECRET_ARN' && name !== 'ERASURE_LOG_URI' && ctx.env[name] === undefined);
  if (missing.length > 0) {
    throw new UsageError(`${id} takes ${missing.join(', ')} from the deployed stack; point it at a local one: sluice up --write-env .sluice/env, then set -a; . .sluice/env; set +a`);
  }
  const env = functionEnvironment(def, ctx.env);
  useEnvironment(env);
  const module = (await import(pathToFileURL(def.entryPoint).href)) as Record<string, unknown>;
  const handler = module[def.exportName];
  if (typeof handler !== 'function') throw new CliError(`${def.entryPoint} has no export ${def.exportName} (Handler of ${id})`, EXIT.FAILED);
  return withRuntime({ env, signal: ctx.signal }, async () => {
    try {
      const result = await (handler as LambdaHandler)(event, lambdaContext(id));
      writeLine(ctx.out, JSON.stringify(result ?? null));
      return EXIT.OK;
    } catch (err) {
      // As Lambda reports a function error; the exit code says what kind of error it was.
      const e = err as Error;
      writeLine(ctx.out, JSON.stringify({ errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err) }));
      return EXIT.FAILED;
    }
  });
}

export const command: Command = {
  name: 'invoke',
  usage: 'sluice invoke <FunctionLogicalId> [--event FILE] [--parameter-overrides "Name=Value ..."]',
  description: [
    'Runs one function of template.yaml on an event, here, as `sam local invoke` does but without',
    'Docker: the handler named by its Handler and Metadata.BuildProperties.EntryPoints, with the',
    "environment of Globals and the function's own Environment, parameters at their defaults",
    '(or --parameter-overrides). Values only a deployed stack has (the cache endpoint, the AUTH',
    "token's secret) are left out; REDIS_* and AWS_* variables from this shell win, so after",
    '`sluice up` the function uses the local stack. Prints the result as JSON on stdout; a',
    'function error prints {"errorType","errorMessage"} and exits 1. The fixtures in events/',
    'all run this way against a stack from `sluice up --seed` (with the variables it prints).',
  ].join('\n'),
  options: {
    event: { type: 'string', value: 'FILE', description: 'the event, a JSON file (default: {})' },
    'parameter-overrides': { type: 'string', value: 'PAIRS', description: 'template parameters, as sam takes them: "InputFormat=jsonl MapConcurrency=4"' },
    template: { type: 'string', value: 'FILE', description: 'the SAM template (default: the project\'s template.yaml)' },
  },
  positionals: { min: 1, max: 1 },
  examples: [
    'sluice invoke AdminFunction --event events/admin-status.json',
    'sluice invoke ReadApiFunction --event events/api-get-recommendation.json',
    'sluice invoke PlanFunction --event events/sagemaker-transform-completed.json',
    'SLUICE_DATASETS_FILE=examples/loan/datasets.json sluice invoke ReadApiFunction --event events/api-batch-get.json',
  ],
  run,
};
