// sluice serve: the read API on localhost through the real read handler (local/api-server.ts
// turns each request into an API Gateway HTTP API v2 event), with a log line per request.
import { startApiServer } from '../local/api-server.js';
import { CliError, EXIT, intOption, untilStopped, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { withRuntime } from './env.js';

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const port = intOption(args, 'port', 3000, 0, 65_535);
  return withRuntime(ctx, async (rt) => {
    const live = await rt.defaultDataset.pipeline.versions.current();
    const server = await startApiServer({
      port,
      host: '127.0.0.1',
      onRequest: ({ method, path, status, ms }) => writeLine(ctx.out, `${new Date().toISOString()} ${method} ${path} ${status} ${ms.toFixed(1)} ms`),
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new CliError(`port ${port} is in use; choose another with --port`, EXIT.USAGE);
      throw err;
    });
    const dataset = rt.defaultDataset.spec.name;
    writeLine(ctx.out, `serving dataset ${dataset} on ${server.url} (${live ? `live version ${live.version}` : 'no live version yet: 503 until a load'}); Ctrl-C stops`);
    writeLine(ctx.out, `  curl '${server.url}/users/<userId>/recommendations'`);
    writeLine(ctx.out, `  curl '${server.url}/recommendations?userId=<userId>&rank=1'`);
    await untilStopped(ctx.signal);
    await server.close();
    writeLine(ctx.out, 'stopped');
    return EXIT.OK;
  });
}

export const command: Command = {
  name: 'serve',
  usage: 'sluice serve [--port N]',
  description: [
    'Serves the read API on 127.0.0.1 through the real read handler: every request becomes the',
    'API Gateway HTTP API (payload 2.0) event Lambda would receive, every answer is the handler\'s.',
    'Reads the declared datasets from the Redis the environment names; logs one line per request on',
    'stdout. Runs until Ctrl-C (or SIGTERM). `?version=<id>` or the header x-sluice-version reads a',
    'retained or held version instead of the live one.',
  ].join('\n'),
  options: {
    port: { type: 'string', value: 'N', description: 'port on 127.0.0.1 (default: 3000; 0 picks a free one)' },
  },
  positionals: { min: 0, max: 0 },
  examples: [
    'sluice serve --port 3000',
    "curl 'http://127.0.0.1:3000/users/u42/recommendations'",
    "curl -H 'x-sluice-version: <version>' 'http://127.0.0.1:3000/users/u42/recommendations'",
  ],
  run,
};
