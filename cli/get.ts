// sluice get: one user's recommendations (or one rank), asked through the real read handler
// with the event API Gateway would send, so the answer is exactly the API's.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '../functions/handlers/read-api.js';
import { toHttpApiEvent } from '../local/api-server.js';
import { lambdaContext } from '../local/state-machine.js';
import { CliError, EXIT, UsageError, intOption, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { withRuntime } from './env.js';

/** The API's error codes as exit codes. */
function exitCodeFor(status: number, code: string | undefined): number {
  if (status === 200) return EXIT.OK;
  if (status === 400) return EXIT.USAGE;
  if (status === 404) return EXIT.NOT_FOUND;
  if (code === 'no_live_version') return EXIT.NO_LIVE_VERSION;
  if (code === 'unavailable') return EXIT.UNREACHABLE;
  return EXIT.FAILED;
}

/** The API request `sluice get` stands for: the default dataset's routes, or a dataset's item route; pinned with ?version=. */
export function requestPath(userId: string, opts: { rank?: number; version?: string; dataset?: string }): string {
  const pin: Record<string, string> = opts.version === undefined ? {} : { version: opts.version };
  if (opts.dataset !== undefined) {
    if (opts.rank !== undefined) throw new UsageError('--rank reads the default dataset\'s ranked route (GET /recommendations); with --dataset the answer is the whole record');
    const query = new URLSearchParams(pin).toString();
    return `/datasets/${encodeURIComponent(opts.dataset)}/items/${encodeURIComponent(userId)}${query ? `?${query}` : ''}`;
  }
  if (opts.rank !== undefined) return `/recommendations?${new URLSearchParams({ userId, rank: String(opts.rank), ...pin })}`;
  const query = new URLSearchParams(pin).toString();
  return `/users/${encodeURIComponent(userId)}/recommendations${query ? `?${query}` : ''}`;
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const userId = args.positionals[0]!;
  const rank = stringOption(args, 'rank') === undefined ? undefined : intOption(args, 'rank', 1, 1, 10_000);
  const version = stringOption(args, 'version');
  const dataset = stringOption(args, 'dataset');
  const path = requestPath(userId, { ...(rank === undefined ? {} : { rank }), ...(version === undefined ? {} : { version }), ...(dataset === undefined ? {} : { dataset }) });
  return withRuntime(ctx, async () => {
    const answer = (await handler(toHttpApiEvent('GET', path, {}, undefined), lambdaContext('ReadApiFunction'))) as APIGatewayProxyStructuredResultV2;
    const status = answer.statusCode ?? 500;
    const body = JSON.parse(answer.body ?? '{}') as { error?: { code?: string; message?: string } };
    if (status !== 200) throw new CliError(`${status} ${body.error?.code ?? 'error'}: ${body.error?.message ?? answer.body}`, exitCodeFor(status, body.error?.code));
    writeLine(ctx.out, JSON.stringify(body, null, 2));
    return EXIT.OK;
  });
}

export const command: Command = {
  name: 'get',
  usage: 'sluice get USER_ID [--rank N] [--version ID] [--dataset NAME]',
  description: [
    "Prints a user's ranked items from the live version, or the item at one rank, as the read API",
    'answers GET /users/{userId}/recommendations or GET /recommendations?userId=&rank=: the same',
    'handler, called with an API Gateway HTTP API event. The answer says which version answered.',
    '--version reads that version instead of the live one, as ?version= does (live, retained or held',
    'versions; others answer 404). --dataset reads a declared dataset\'s record by key, as',
    'GET /datasets/{dataset}/items/{key} does.',
  ].join('\n'),
  options: {
    rank: { type: 'string', value: 'N', description: 'only the item at this rank (1 is the first)' },
    version: { type: 'string', value: 'ID', description: 'read this version, not the live one (the API\'s ?version=)' },
    dataset: { type: 'string', value: 'NAME', description: 'read this dataset\'s record (GET /datasets/{dataset}/items/{key}; default: the ranked routes of DATASET)' },
  },
  positionals: { min: 1, max: 1 },
  examples: ['sluice get u42', 'sluice get u42 --rank 1', 'sluice get u42 --version recs-nightly-2026-11-25', 'sluice get 19530219_5179 --dataset customer_features'],
  run,
};
