// sluice get: one user's recommendations (or one rank), asked through the real read handler
// with the event API Gateway would send, so the answer is exactly the API's.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '../functions/handlers/read-api.js';
import { toHttpApiEvent } from '../local/api-server.js';
import { lambdaContext } from '../local/state-machine.js';
import { CliError, EXIT, intOption, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
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

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const userId = args.positionals[0]!;
  const rank = stringOption(args, 'rank') === undefined ? undefined : intOption(args, 'rank', 1, 1, 10_000);
  const path = rank === undefined ? `/users/${encodeURIComponent(userId)}/recommendations` : `/recommendations?${new URLSearchParams({ userId, rank: String(rank) })}`;
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
  usage: 'sluice get USER_ID [--rank N]',
  description: [
    "Prints a user's ranked items from the live version, or the item at one rank, as the read API",
    'answers GET /users/{userId}/recommendations or GET /recommendations?userId=&rank=: the same',
    'handler, called with an API Gateway HTTP API event. The answer says which version answered.',
  ].join('\n'),
  options: {
    rank: { type: 'string', value: 'N', description: 'only the item at this rank (1 is the first)' },
  },
  positionals: { min: 1, max: 1 },
  examples: ['sluice get u42', 'sluice get u42 --rank 1'],
  run,
};
