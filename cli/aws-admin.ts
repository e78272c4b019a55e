// `sluice promote|discard|rollback ... --aws`: the deployed cache is inside the VPC, so these invoke the
// stack's admin function (Lambda Invoke, RequestResponse) with the same request the
// `sam remote invoke` fixtures hold, and map its errors to the CLI's exit codes.
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { optionalSetting } from '../functions/config.js';
import type { LambdaInvoker } from './aws-clients.js';
import type { PipelineDeps } from '../functions/pipeline/deps.js';
import * as errors from '../functions/errors.js';
import { CliError, EXIT, UsageError, exitCodeFor, flag, stringOption, writeLine, type CliContext, type Parsed } from './command.js';
import { withRuntime } from './env.js';

const FUNCTION = /^(?:arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:)?[A-Za-z0-9_-]{1,140}(?::[A-Za-z0-9$_-]{1,128})?$/;

/** The function (name or ARN) and its region: from the ARN, --region, or AWS_REGION / AWS_DEFAULT_REGION. */
export function adminTarget(args: Parsed, env: NodeJS.ProcessEnv): { functionName: string; region: string } {
  const functionName = stringOption(args, 'function') ?? optionalSetting(env, 'SLUICE_ADMIN_FUNCTION');
  if (!functionName) throw new UsageError('--aws needs --function <name> (or SLUICE_ADMIN_FUNCTION): the AdminFunctionName output of the stack');
  const m = FUNCTION.exec(functionName);
  if (!m) throw new UsageError(`--function ${JSON.stringify(functionName)} is not a Lambda function name or ARN; take AdminFunctionName from the stack outputs`);
  const region = m[1] ?? stringOption(args, 'region') ?? optionalSetting(env, 'AWS_REGION') ?? optionalSetting(env, 'AWS_DEFAULT_REGION');
  if (!region) throw new UsageError('--aws needs the region: --region, AWS_REGION, or the function ARN');
  return { functionName, region };
}

/**
 * The exit code of an error the admin function reported by name: the one the same error gives in
 * a local run (exitCodeFor), subclasses included (a VersionNotFoundError is a NotFoundError), so a
 * command exits alike with --aws and without. Built from the classes of functions/errors.ts, whose
 * names are literal (tests/unit/error-names.test.ts).
 */
const EXIT_FOR_ERROR: ReadonlyMap<string, number> = new Map(
  (Object.values(errors) as unknown[])
    .filter((v): v is new (...args: unknown[]) => Error => typeof v === 'function' && v.prototype instanceof Error)
    .map((ErrorClass) => {
      const e = Reflect.construct(ErrorClass, ['', []]) as Error;
      return [e.name, exitCodeFor(e)] as const;
    }),
);

export async function invokeAdmin(ctx: CliContext, target: { functionName: string; region: string }, request: Record<string, unknown>): Promise<unknown> {
  const client = ctx.lambda?.(target.region) ?? new LambdaClient({ region: target.region });
  const out = (await client
    .send(new InvokeCommand({ FunctionName: target.functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(request)) }))
    .catch((err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      if (err.$metadata?.httpStatusCode === undefined) throw new CliError(`cannot reach AWS Lambda: ${err.message}`, EXIT.UNREACHABLE, { cause: err });
      throw new CliError(`Lambda refused the request: ${err.name}: ${err.message}`, EXIT.FAILED, { cause: err });
    })) as InvokeCommandOutput;
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new CliError(`the admin function answered something that is not JSON: ${text.slice(0, 200)}`, EXIT.FAILED);
  }
  if (out.FunctionError) {
    const e = (body ?? {}) as { errorType?: string; errorMessage?: string };
    throw new CliError(`the admin function ${target.functionName} failed: ${e.errorType ?? out.FunctionError}: ${e.errorMessage ?? 'no message'}`, EXIT_FOR_ERROR.get(e.errorType ?? '') ?? EXIT.FAILED);
  }
  return body;
}

export const AWS_OPTIONS = {
  aws: { type: 'boolean', description: 'do it in the deployed stack: invoke its admin function' },
  function: { type: 'string', value: 'NAME', description: 'with --aws: the admin function, name or ARN (default: SLUICE_ADMIN_FUNCTION; stack output AdminFunctionName)' },
  region: { type: 'string', value: 'REGION', description: 'with --aws: its region (default: from the ARN, else AWS_REGION)' },
} as const;

/** --function and --region make sense only with --aws. */
export function rejectAwsOnly(args: Parsed): void {
  for (const name of ['function', 'region']) if (args.values[name] !== undefined) throw new UsageError(`--${name} applies to --aws only`);
}

/**
 * The shape promote, discard and rollback share: with --aws the admin function does `request`,
 * otherwise `local` does it against this machine's cache; then the result is printed (or --json).
 */
export async function runAdminAction<R>(
  args: Parsed,
  ctx: CliContext,
  request: { action: string; version?: string | undefined; dryRun?: boolean; [field: string]: unknown },
  local: (pipeline: PipelineDeps) => Promise<R>,
  print: (result: R, ctx: CliContext) => void,
): Promise<number> {
  // An empty --dataset means the default dataset here and in AWS alike.
  const dataset = stringOption(args, 'dataset') || undefined;
  let result: R;
  if (flag(args, 'aws')) {
    const payload = Object.fromEntries(Object.entries({ ...request, dataset }).filter(([, v]) => v !== undefined));
    result = (await invokeAdmin(ctx, adminTarget(args, ctx.env), payload)) as R;
  } else {
    rejectAwsOnly(args);
    result = await withRuntime(ctx, (rt) => local((dataset ? rt.dataset(dataset) : rt.defaultDataset).pipeline));
  }
  if (flag(args, 'json')) writeLine(ctx.out, JSON.stringify(result, null, 2));
  else print(result, ctx);
  return EXIT.OK;
}
