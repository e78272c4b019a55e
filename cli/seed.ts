// `sluice up --seed`: the data the events/ fixtures and the loan example expect, loaded into a
// fresh local stack. The fixtures' transform job output (at their own S3 location, with the job's
// input so the input-completeness check finds every output) loaded twice, a manual run the night
// before and the completion event fixture, so a rollback has somewhere to go; then the loan
// example's two JSON Lines feature datasets. Declared by examples/loan/datasets.json, which
// the stack's users then name with SLUICE_DATASETS_FILE.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { closeRuntime } from '../functions/lambda/runtime.js';
import { localS3Client } from '../local/s3-server.js';
import { transformOutput } from '../local/sample-data.js';
import { CliError, EXIT, writeLine, type CliContext } from './command.js';
import { openRuntime, runtimeSettings, type LocalStack } from './env.js';
import { runLocalIngest } from './local-run.js';
import { Progress } from './progress.js';

const root = new URL('../', import.meta.url);
/** The declarations the fixtures and the loan example are written for. */
const SEED_DATASETS_FILE = fileURLToPath(new URL('examples/loan/datasets.json', root));

// Where the fixtures look (events/sagemaker-transform-completed.json and the API fixtures' users).
const OUTPUT_BUCKET = 'example-ml-predictions';
const INPUT_BUCKET = 'example-ml-input';
const NIGHT = '2026-11-24';
const USERS = 2000;

async function put(s3: S3Client, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function writeInputs(s3: S3Client, stackBucket: string): Promise<void> {
  for (const bucket of [OUTPUT_BUCKET, INPUT_BUCKET]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const o of transformOutput({ users: USERS, scored: true, joined: true }, 3)) {
    await put(s3, OUTPUT_BUCKET, `recs/${NIGHT}/${o.key}`, o.body);
    await put(s3, INPUT_BUCKET, `users/${NIGHT}/${o.key.replace(/\.out$/, '')}`, '{}');
  }
  for (const name of ['zipcode-features', 'customer-features']) {
    await put(s3, stackBucket, `examples/loan/${name}.jsonl`, await readFile(new URL(`examples/loan/${name}.jsonl`, root)));
  }
}

/** The runs that load the seed, in order: each a state machine input. */
async function loads(stackBucket: string): Promise<Record<string, unknown>[]> {
  const completion = JSON.parse(await readFile(new URL('events/sagemaker-transform-completed.json', root), 'utf8')) as Record<string, unknown>;
  return [
    { s3Uri: `s3://${OUTPUT_BUCKET}/recs/${NIGHT}/`, dataset: 'recommendations', version: 'recs-nightly-2026-11-23', orderKey: `${NIGHT}T00:00:00Z` },
    completion,
    // An s3Uri naming one object loads it whatever its suffix.
    { s3Uri: `s3://${stackBucket}/examples/loan/zipcode-features.jsonl`, dataset: 'zipcode_features', version: 'zipcode-features-2026-11-24', orderKey: `${NIGHT}T00:00:00Z` },
    { s3Uri: `s3://${stackBucket}/examples/loan/customer-features.jsonl`, dataset: 'customer_features', version: 'customer-features-2026-11-24', orderKey: `${NIGHT}T00:00:00Z` },
  ];
}

/** Loads the seed into `stack`; returns the variables that point the other commands at its datasets. */
export async function seedStack(stack: LocalStack, ctx: CliContext): Promise<Record<string, string>> {
  const s3 = localS3Client(stack.s3.endpoint);
  const vars = { SLUICE_DATASETS_FILE: SEED_DATASETS_FILE };
  try {
    await writeInputs(s3, stack.bucket);
    // The stack's own settings, whatever the caller's environment says; a short grace: nothing is retired yet.
    await openRuntime(runtimeSettings(ctx.env, { configEnv: { ...stack.env, ...vars }, s3 }), ctx.signal);
    for (const input of await loads(stack.bucket)) {
      const report = await runLocalIngest(input, new Progress(ctx.err, false), ctx.signal);
      if (report.outcome !== 'loaded') {
        const why = report.reason ?? report.error ?? report.heldReason ?? '';
        throw new CliError(`seeding: the load of ${JSON.stringify(input.s3Uri ?? 'the completion event')} ended ${report.outcome}${why ? `: ${why}` : ''}`, EXIT.FAILED);
      }
      writeLine(ctx.out, `seeded ${report.dataset}: version ${report.version}, ${report.records.toLocaleString('en-US')} records`);
    }
  } finally {
    await closeRuntime();
    s3.destroy();
  }
  return vars;
}
