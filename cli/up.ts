// sluice up: a local Redis Cluster and S3 for the other commands, until Ctrl-C; with --seed,
// holding the data the events/ fixtures and the loan example expect (cli/seed.ts).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EXIT, flag, stringOption, untilStopped, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { startLocalStack } from './env.js';
import { seedStack } from './seed.js';

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const envFile = stringOption(args, 'write-env');
  ctx.err.write('starting a local Redis Cluster (3 masters, 3 replicas) and S3...\n');
  const stack = await startLocalStack();
  try {
    const seeded = flag(args, 'seed') ? await seedStack(stack, ctx) : {};
    const exports = Object.entries({ ...stack.env, ...seeded }).map(([k, v]) => `${k}=${v}`);
    if (envFile) {
      await mkdir(dirname(envFile), { recursive: true });
      await writeFile(envFile, `${exports.join('\n')}\n`);
    }
    const nodes = stack.cluster.nodes.map((n) => `${n.host}:${n.port} (${n.role}, pid ${n.pid})`);
    writeLine(ctx.out, `redis cluster (${stack.cluster.engine.version.split(' ').slice(0, 3).join(' ')}): ${nodes.join(', ')}`);
    writeLine(ctx.out, `s3 (s3rver): ${stack.s3.endpoint}, bucket ${stack.bucket}`);
    writeLine(ctx.out, '');
    writeLine(ctx.out, `point the other commands at them (in another shell${envFile ? `, or: set -a; . ${envFile}; set +a` : ''}):`);
    writeLine(ctx.out, `export ${exports.join(' ')}`);
    writeLine(ctx.out, '');
    writeLine(ctx.out, 'then e.g.: npx sluice ingest <file or directory> && npx sluice serve');
    writeLine(ctx.out, 'Ctrl-C stops both and deletes their data.');
    await untilStopped(ctx.signal);
  } finally {
    ctx.err.write('stopping...\n');
    await stack.stop();
    if (envFile) await rm(envFile, { force: true });
  }
  writeLine(ctx.out, 'stopped the local cluster and S3');
  return EXIT.OK;
}

export const command: Command = {
  name: 'up',
  usage: 'sluice up [--write-env PATH]',
  description: [
    'Starts a local Redis Cluster (3 masters, 3 replicas, on free loopback ports; Valkey when',
    'scripts/fetch-valkey.sh has fetched it, else the installed redis-server; SLUICE_REDIS_ENGINE=redis|valkey',
    'chooses) and an S3 server (s3rver, with the bucket sluice-local), prints the environment',
    'variables that point the other commands at them, and keeps them running until Ctrl-C (or',
    'SIGTERM); then stops every process it started and deletes their data. With --seed it first',
    'loads what the events/ fixtures expect (a transform job at s3://example-ml-predictions/recs/,',
    'loaded twice) and the loan example (examples/loan), and the variables it prints name',
    'examples/loan/datasets.json (SLUICE_DATASETS_FILE), which declares them.',
  ].join('\n'),
  options: {
    seed: { type: 'boolean', description: 'load the demo data the events/ fixtures run against, and the loan example' },
    'write-env': { type: 'string', value: 'PATH', description: 'also write the variables to PATH (KEY=VALUE lines; removed on exit)' },
  },
  positionals: { min: 0, max: 0 },
  examples: [
    'sluice up --write-env .sluice/env',
    'set -a; . .sluice/env; set +a; sluice ingest ./output/',
    'sluice up --seed --write-env .sluice/env',
    'set -a; . .sluice/env; set +a; sluice invoke ReadApiFunction --event events/api-batch-get.json',
  ],
  run,
};
