// sluice demo: the main job, locally, in one command. A local Redis Cluster and S3, a
// SageMaker-style transform output, its completion event through the real state machine with
// live progress, the same event again (a no-op), the read API over HTTP; then a second night
// that lost most of its users, held by the release checks while readers keep the first night,
// read by version, and discarded; and everything stopped.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { closeRuntime } from '../functions/lambda/runtime.js';
import { discardVersion } from '../functions/pipeline/discard-version.js';
import { startApiServer } from '../local/api-server.js';
import { localS3Client } from '../local/s3-server.js';
import { transformOutput } from '../local/sample-data.js';
import { EXIT, intOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { openRuntime, runtimeSettings, startLocalStack } from './env.js';
import { runLocalIngest } from './local-run.js';
import { Progress, bytes, count, seconds } from './progress.js';
import { exitCodeOf, printReport } from './report.js';

const BUCKET = 'sluice-demo';
const JOB = 'recs-nightly-2026-11-24';
const PREFIX = 'recs/2026-11-24/';
/** The second night: a model run that produced output for only this share of the users. */
const NIGHT2 = { job: 'recs-nightly-2026-11-25', prefix: 'recs/2026-11-25/', share: 0.3 };

const QUESTIONS = ['/recommendations?userId=u42&rank=1', '/users/u7/recommendations', '/recommendations?userId=u7&rank=11', '/users/nobody/recommendations', '/recommendations?userId=u7&rank=zero'];

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const users = intOption(args, 'users', 50_000, 10, 5_000_000);
  const t0 = Date.now();
  writeLine(ctx.out, 'starting a local Redis Cluster (3 masters, 3 replicas) and S3...');
  const stack = await startLocalStack(BUCKET);
  const s3 = localS3Client(stack.s3.endpoint);
  try {
    // The handlers' configuration is the defaults pointed at this stack, whatever the caller's
    // environment sets (only the CLI's own variables are taken from it).
    const settings = runtimeSettings(ctx.env, { configEnv: { ...stack.env, CHUNK_SIZE_BYTES: String(1 << 20) }, s3 });
    writeLine(ctx.out, `  redis ${stack.cluster.nodes.map((n) => `${n.port}${n.role === 'master' ? 'm' : 'r'}`).join(' ')}; s3 ${stack.s3.endpoint}`);

    const output = transformOutput({ users, scored: true, joined: true }, 3);
    const night2Users = Math.max(3, Math.floor(users * NIGHT2.share));
    for (const o of output) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: PREFIX + o.key, Body: o.body }));
    for (const o of transformOutput({ users: night2Users, scored: true, joined: true, seed: 43 }, 3)) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: NIGHT2.prefix + o.key, Body: o.body }));
    }
    const size = output.reduce((n, o) => n + o.body.length, 0);
    writeLine(ctx.out, `wrote transform job ${JOB}'s output to s3://${BUCKET}/${PREFIX}: ${output.length} .out files, ${count(users)} users, ${bytes(size)}`);
    writeLine(ctx.out, '  (JSON Lines joined with the input: {"userId","country","SageMakerOutput":{"recommendations":[{"item","score"},...]}})');

    await openRuntime(settings, ctx.signal);
    const completion = (job: string, prefix: string, created: string) => ({
      source: 'aws.sagemaker',
      'detail-type': 'SageMaker Transform Job State Change',
      detail: { TransformJobName: job, TransformJobStatus: 'Completed', CreationTime: Date.parse(created), TransformOutput: { S3OutputPath: `s3://${BUCKET}/${prefix}` } },
    });
    const event = completion(JOB, PREFIX, '2026-11-24T02:00:00Z');
    writeLine(ctx.out, 'its completion event goes through the state machine (statemachine/ingest.asl.json, each task on its real handler):');
    const report = await runLocalIngest(event, new Progress(ctx.err, ctx.tty), ctx.signal);
    printReport(report, ctx, false);
    if (report.outcome !== 'loaded') return exitCodeOf(report);

    const again = await runLocalIngest(event, new Progress(ctx.err, false));
    writeLine(ctx.out, `the same event again (SageMaker may send it twice): ${again.outcome === 'nothing-to-do' ? again.reason : again.outcome}`);

    const server = await startApiServer({ port: 0, host: '127.0.0.1' });
    try {
      const ask = async (path: string) => {
        const response = await fetch(server.url + path);
        writeLine(ctx.out, `  GET ${path}\n    → ${response.status} ${await response.text()}`);
      };
      writeLine(ctx.out, `the read API (sluice serve, on ${server.url}) answers:`);
      for (const path of QUESTIONS) await ask(path);

      // Release control: the next night's output is well-formed but lost most of its users.
      writeLine(ctx.out, '');
      writeLine(ctx.out, `the next night, job ${NIGHT2.job} wrote output for only ${count(night2Users)} of the ${count(users)} users (a model run that lost most of them);`);
      writeLine(ctx.out, 'its completion event goes through the same state machine, whose release checks compare it with the live version before any swap:');
      const held = await runLocalIngest(completion(NIGHT2.job, NIGHT2.prefix, '2026-11-25T02:00:00Z'), new Progress(ctx.err, ctx.tty), ctx.signal);
      printReport(held, ctx, false);
      if (held.outcome !== 'held') return exitCodeOf(held);
      writeLine(ctx.out, `readers still get the first night (the pointer never moved), and a team can look at the held version by name before deciding:`);
      await ask('/users/u7/recommendations');
      await ask(`/users/u7/recommendations?version=${NIGHT2.job}`);
      const discarded = await discardVersion({ version: NIGHT2.job }, (await openRuntime(settings, ctx.signal)).defaultDataset.pipeline);
      writeLine(ctx.out, `sluice discard ${NIGHT2.job}: its ${count(discarded.buckets)} bucket keys are deleted (sluice promote ${NIGHT2.job} would have made it live instead)`);
      await ask(`/users/u7/recommendations?version=${NIGHT2.job}`);
    } finally {
      await server.close();
    }
    return EXIT.OK;
  } finally {
    await closeRuntime();
    s3.destroy();
    await stack.stop();
    writeLine(ctx.out, `stopped the local cluster and S3 (${seconds(Date.now() - t0)} in all); \`npx sluice up\` keeps one running, \`npx sluice --help\` lists the commands`);
  }
}

export const command: Command = {
  name: 'demo',
  usage: 'sluice demo [--users N]',
  description: [
    'The main job, locally, on built-in settings: starts a Redis Cluster (3 masters, 3 replicas) and',
    'an S3 server, writes a SageMaker batch transform output (3 .out JSON Lines files, ranked items',
    'with scores, joined with the input), sends the job\'s completion event through the real state',
    'machine with live progress, sends it again (a no-op), and asks the read API over HTTP. Then a',
    'second night that lost most of its users: the release checks hold it, readers keep the first',
    'night, the held version is read by name and discarded. Then it stops everything. Needs',
    'redis-server installed, or Valkey (scripts/fetch-valkey.sh), which it then prefers; about 10 s',
    'for 50,000 users.',
  ].join('\n'),
  options: {
    users: { type: 'string', value: 'N', description: 'users in the generated output (default: 50000)' },
  },
  positionals: { min: 0, max: 0 },
  run,
};
