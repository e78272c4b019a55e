// sluice ingest: run the state machine on a local file or directory (uploaded to the configured
// S3 first), an S3 prefix or object, or an event fixture; here, or with --aws in AWS.
import { readFile, readdir, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createS3Client } from '../functions/adapters/object-store.js';
import { optionalSetting } from '../functions/config.js';
import { parseS3Uri } from '../functions/domain/ingest-request.js';
import { isPlainObject } from '../functions/domain/plain-object.js';
import { explicitVersionId } from '../functions/domain/version-identity.js';
import { toIngestRequest } from '../functions/lambda/plan-event.js';
import { CliError, EXIT, UsageError, flag, intOption, stringOption, type CliContext, type Command, type Parsed } from './command.js';
import { executionName, followExecution, regionOf, startExecution } from './aws-run.js';
import { bucketFrom, withRuntime } from './env.js';
import { runLocalIngest } from './local-run.js';
import { Progress } from './progress.js';
import { exitCodeOf, printReport } from './report.js';

type Source = { kind: 's3'; uri: string } | { kind: 'file' | 'dir'; path: string };

async function sourceOf(arg: string | undefined): Promise<Source | undefined> {
  if (arg === undefined) return undefined;
  if (arg.startsWith('s3://')) {
    try {
      parseS3Uri(arg, 'the source');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return { kind: 's3', uri: arg };
  }
  const info = await stat(arg).catch(() => null);
  if (!info) throw new UsageError(`no such file or directory: ${arg}`);
  if (info.isFile()) return { kind: 'file', path: resolve(arg) };
  if (info.isDirectory()) return { kind: 'dir', path: resolve(arg) };
  throw new UsageError(`${arg} is neither a file nor a directory`);
}

async function readEvent(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the event ${file}: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) throw new UsageError(`the event ${file} must be a JSON object`);
  return value;
}

/**
 * The execution input: the event as given (its S3 location replaced by the source, if one is
 * given), or a manual request {s3Uri, version?, orderKey?, dataset?}. Validated the way Plan
 * will validate it, so a mistake is a usage error here rather than a failed execution.
 */
export function buildInput(s3Uri: { object?: string; prefix: string } | undefined, event: Record<string, unknown> | undefined, args: Parsed): Record<string, unknown> {
  const version = stringOption(args, 'version');
  const orderKey = stringOption(args, 'order-key');
  const dataset = stringOption(args, 'dataset');
  let input: Record<string, unknown>;
  if (event && event['detail-type'] !== undefined) {
    const given = [version && '--version', orderKey && '--order-key', dataset && '--dataset'].filter(Boolean);
    if (given.length > 0) {
      throw new UsageError(`${given.join(', ')} apply to manual runs; a SageMaker event's version is its job name and its order key the job's CreationTime (edit the event instead)`);
    }
    input = structuredClone(event);
    if (s3Uri) {
      const detail = (input.detail ?? {}) as Record<string, unknown>;
      // The output now comes from elsewhere: the job's input no longer says which outputs to expect.
      const { TransformInput: _input, ...rest } = detail;
      input.detail = { ...rest, TransformOutput: { ...((detail.TransformOutput ?? {}) as object), S3OutputPath: s3Uri.prefix } };
    }
  } else {
    input = { ...event };
    if (s3Uri) input.s3Uri = s3Uri.object ?? s3Uri.prefix;
    if (version !== undefined) {
      try {
        input.version = explicitVersionId(version);
      } catch (err) {
        throw new UsageError(`--version: ${(err as Error).message}`);
      }
    }
    if (orderKey !== undefined) input.orderKey = orderKey;
    if (dataset !== undefined) input.dataset = dataset;
    if (input.s3Uri === undefined) throw new UsageError('nothing to load: give a file, a directory or an s3:// URI, or --event with a SageMaker event or {"s3Uri": ...}');
  }
  try {
    toIngestRequest(input);
  } catch (err) {
    throw new UsageError(`the execution input is not valid: ${(err as Error).message}`);
  }
  return input;
}

/**
 * Makes s3://<bucket>/local/<name>/ hold exactly the given file or directory's files: uploads
 * them, then deletes whatever else is under the prefix (an earlier upload of a directory with
 * the same name, a file deleted since). The prefix stays the same from run to run, so the same
 * files give the same derived version id and a repeated ingest is a no-op.
 */
async function upload(source: { kind: 'file' | 'dir'; path: string }, s3: S3Client, bucket: string, ctx: CliContext): Promise<{ object?: string; prefix: string }> {
  const name = basename(source.path);
  const prefix = `local/${name}/`;
  const files = source.kind === 'file' ? [source.path] : (await readdir(source.path, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
  if (files.length === 0) throw new UsageError(`${source.path} holds no files`);
  await ensureBucket(s3, bucket);
  let total = 0;
  const uploaded = new Set<string>();
  let sent = 0;
  // Ctrl-C stops the upload (the request in flight is aborted); nothing has been loaded yet.
  const interrupted = (file: string, cause?: unknown) =>
    new CliError(
      `interrupted (Ctrl-C) while uploading ${file} to s3://${bucket}/${prefix}: ${sent} of ${files.length} file${files.length === 1 ? '' : 's'} uploaded; nothing was loaded and the live version is untouched (the same command uploads and loads again)`,
      EXIT.INTERRUPTED,
      { cause },
    );
  for (const file of files) {
    if (ctx.signal.aborted) throw interrupted(file);
    const key = prefix + (source.kind === 'file' ? name : relative(source.path, file).split('\\').join('/'));
    uploaded.add(key);
    const size = (await stat(file)).size;
    total += size;
    // A streamed body cannot be sent again by the SDK's own retries: a connection the server
    // closed (EPIPE, ECONNRESET) gets a fresh stream here, twice at most.
    for (let attempt = 1; ; attempt++) {
      const failure = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }), { abortSignal: ctx.signal }).then(
        () => undefined,
        (err: S3Failure) => err,
      );
      if (failure === undefined) break;
      if (ctx.signal.aborted) throw interrupted(file, failure);
      if (failure.$metadata?.httpStatusCode !== undefined) throw new CliError(`uploading ${file} to s3://${bucket}/${key} failed: ${failure.name}: ${failure.message}`, EXIT.FAILED, { cause: failure });
      if (attempt === 3) throw new CliError(`cannot reach S3 to upload ${file}: ${failure.message}`, EXIT.UNREACHABLE, { cause: failure });
    }
    sent++;
  }
  const removed = await removeOthers(s3, bucket, prefix, uploaded);
  ctx.err.write(`uploaded ${files.length} file${files.length === 1 ? '' : 's'} (${total} bytes) to s3://${bucket}/${prefix}${removed > 0 ? ` and removed ${removed} other object${removed === 1 ? '' : 's'} there` : ''}\n`);
  return { object: source.kind === 'file' ? `s3://${bucket}/${prefix}${name}` : undefined, prefix: `s3://${bucket}/${prefix}` };
}

type S3Failure = Error & { $metadata?: { httpStatusCode?: number } };

/**
 * Makes the bucket if it is missing (a local stack's first upload). Before any upload: a server
 * answering NoSuchBucket to a PUT may close the connection mid-body, which the client reports as
 * EPIPE rather than NoSuchBucket.
 */
async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  const missing = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => false,
    (err: S3Failure) => {
      if (err.$metadata?.httpStatusCode === 404) return true;
      if (err.$metadata?.httpStatusCode === undefined) throw new CliError(`cannot reach S3 to check bucket ${bucket}: ${err.message}`, EXIT.UNREACHABLE, { cause: err });
      throw new CliError(`checking bucket s3://${bucket} failed: ${err.name}: ${err.message}`, EXIT.FAILED, { cause: err });
    },
  );
  if (missing) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

async function removeOthers(s3: S3Client, bucket: string, prefix: string, keep: Set<string>): Promise<number> {
  let removed = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || keep.has(o.Key)) continue;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      removed++;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return removed;
}

function s3Location(uri: string): { object?: string; prefix: string } {
  const { key } = parseS3Uri(uri, 'the source');
  return key === '' || key.endsWith('/') ? { prefix: uri } : { object: uri, prefix: uri.slice(0, uri.lastIndexOf('/') + 1) };
}

async function runInAws(args: Parsed, source: Source | undefined, event: Record<string, unknown> | undefined, ctx: CliContext): Promise<number> {
  const arn = stringOption(args, 'state-machine') ?? optionalSetting(ctx.env, 'SLUICE_STATE_MACHINE_ARN');
  if (!arn) throw new UsageError('--aws needs --state-machine <arn> (or SLUICE_STATE_MACHINE_ARN): the StateMachineArn output of the stack');
  const region = regionOf(arn);
  if (source && source.kind !== 's3') throw new UsageError(`--aws loads from S3: upload ${source.path} to the predictions bucket first, then give its s3:// URI`);
  const input = buildInput(source?.kind === 's3' ? s3Location(source.uri) : undefined, event, args);
  const name = executionName(stringOption(args, 'name'));
  const sfn = ctx.stepFunctions?.(region) ?? new SFNClient({ region });
  const executionArn = await startExecution(sfn, arn, name, input);
  ctx.err.write(`started execution ${executionArn}\n`);
  if (flag(args, 'detach')) {
    ctx.out.write(`${executionArn}\n`);
    return EXIT.OK;
  }
  const pollMs = intOption(args, 'poll-ms', 2000, 10, 60_000);
  const report = await followExecution(sfn, executionArn, new Progress(ctx.err, ctx.tty), { pollMs, signal: ctx.signal });
  printReport(report, ctx, flag(args, 'json'));
  return exitCodeOf(report);
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const source = await sourceOf(args.positionals[0]);
  const eventFile = stringOption(args, 'event');
  const event = eventFile ? await readEvent(eventFile) : undefined;
  if (!source && !event) throw new UsageError('nothing to load: give a file, a directory or an s3:// URI, or --event (see sluice ingest --help)');
  if (flag(args, 'aws')) return runInAws(args, source, event, ctx);
  for (const name of ['state-machine', 'name', 'detach', 'poll-ms']) {
    if (args.values[name] !== undefined) throw new UsageError(`--${name} applies to --aws runs only`);
  }
  // Check the arguments before touching anything (a placeholder stands in for an upload's
  // location), then that Redis answers before uploading.
  const checked = buildInput(source?.kind === 's3' ? s3Location(source.uri) : source ? { prefix: 's3://placeholder/local/' } : undefined, event, args);
  return withRuntime(ctx, async (rt) => {
    // An undeclared dataset is a usage error (exit 2), as for status and rollback: before uploading.
    if (typeof checked.dataset === 'string') rt.dataset(checked.dataset);
    let location = source?.kind === 's3' ? s3Location(source.uri) : undefined;
    if (source && source.kind !== 's3') {
      const s3 = createS3Client(rt.config.s3EndpointUrl);
      try {
        location = await upload(source, s3, bucketFrom(ctx.env, stringOption(args, 'bucket')), ctx);
      } finally {
        s3.destroy();
      }
    }
    const input = buildInput(location, event, args);
    const report = await runLocalIngest(input, new Progress(ctx.err, ctx.tty), ctx.signal, { graceWaitMs: rt.config.load.graceSeconds * 1000, clock: ctx.clock });
    printReport(report, ctx, flag(args, 'json'));
    return exitCodeOf(report);
  });
}

export const command: Command = {
  name: 'ingest',
  usage: 'sluice ingest <file | directory | s3://bucket/prefix/ | s3://bucket/object> [options]',
  description: [
    'Loads a transform output through the real state machine (statemachine/ingest.asl.json) and',
    'handlers, here, against the Redis and S3 the environment names (REDIS_HOST, REDIS_PORT,',
    'REDIS_TLS, AWS_ENDPOINT_URL_S3, ...; `sluice up` prints them for a local stack). A local',
    'file or directory is uploaded to the configured S3 first, under s3://<bucket>/local/<name>/',
    '(which then holds exactly its files: other objects there are deleted).',
    'A prefix loads its data objects (not _SUCCESS, *.crc, manifests, hidden files; only those',
    'ending in OBJECT_SUFFIX when it is set); one object loads whatever its name.',
    'After the swap it retires old versions; when one of them was superseded less than GRACE_SECONDS',
    'ago (readers may hold it) it waits for that first, as the state machine does in AWS (Ctrl-C',
    'skips the wait). The summary gives the time to live apart from the total. Ctrl-C before the',
    'swap deletes the version, during the upload stops it (exit 130 either way).',
    '',
    'Versions are ordered: a SageMaker event by its job\'s CreationTime, a manual run by',
    '--order-key or, without it, the time of the run. A load ordered before the live version is',
    'refused (exit 6), so replay an older job\'s event before any manual run of later data.',
    '',
    'With --aws, starts the deployed state machine instead (StartExecution) and follows it to',
    'the end. Shows progress on stderr (a bar on a terminal), then a summary on stdout.',
  ].join('\n'),
  options: {
    event: { type: 'string', value: 'FILE', description: 'the execution input: a SageMaker completion event or {"s3Uri": ...} (see events/); a source given as well replaces its S3 location' },
    version: { type: 'string', value: 'ID', description: 'version id of a manual run (default: derived from the URI and the objects\' ETags)' },
    'order-key': { type: 'string', value: 'KEY', description: 'order key of a manual run: epoch milliseconds or ISO-8601 (default: now)' },
    dataset: { type: 'string', value: 'NAME', description: 'dataset of a manual run (default: the first ranked-items dataset declared)' },
    bucket: { type: 'string', value: 'NAME', description: 'bucket a local file is uploaded to (default: SLUICE_BUCKET, else sluice-local)' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
    aws: { type: 'boolean', description: 'start the deployed state machine rather than running it here' },
    'state-machine': { type: 'string', value: 'ARN', description: 'with --aws: the state machine (default: SLUICE_STATE_MACHINE_ARN)' },
    name: { type: 'string', value: 'NAME', description: 'with --aws: the execution name (default: sluice-cli-<time>-<random>)' },
    detach: { type: 'boolean', description: 'with --aws: print the execution ARN and return without following it' },
    'poll-ms': { type: 'string', value: 'MS', description: 'with --aws: how often to poll the execution (default: 2000)' },
  },
  positionals: { min: 0, max: 1 },
  // In this order they all load: each is ordered after the one before (a manual run without
  // --order-key is ordered at the time of the run, after any job's CreationTime).
  examples: [
    'sluice ingest ./transform-output/ --version recs-2026-11-23 --order-key 2026-11-23T02:00:00Z',
    'sluice ingest --event events/sagemaker-transform-completed.json s3://sluice-local/local/transform-output/',
    'sluice ingest s3://sluice-local/local/transform-output/',
    'sluice ingest --aws --state-machine "$STATE_MACHINE_ARN" --event events/manual-start.json',
  ],
  run,
};
