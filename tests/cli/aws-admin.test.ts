// `sluice promote|discard|rollback --aws` cannot reach AWS here: the request it sends the admin function,
// how it prints the answer and how the function's errors become exit codes are checked with a
// stub in place of the SDK's LambdaClient (the SDK boundary: it is given real InvokeCommands).
import { PassThrough } from 'node:stream';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { parseCommandArgs, type CliContext, type Command } from '../../cli/command.js';
import type { LambdaInvoker } from '../../cli/aws-clients.js';
import { command as discard } from '../../cli/discard.js';
import { command as promote } from '../../cli/promote.js';
import { command as rollback } from '../../cli/rollback.js';
import { parseAdminEvent } from '../../functions/handlers/admin.js';

const FUNCTION = 'sluice-AdminFunction-AbC123';
const ARN = `arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION}`;

class StubLambda implements LambdaInvoker {
  readonly sent: InvokeCommand[] = [];
  constructor(private readonly answer: { payload: unknown; functionError?: string }) {}
  async send(cmd: InvokeCommand): Promise<unknown> {
    this.sent.push(cmd);
    return { StatusCode: 200, FunctionError: this.answer.functionError, Payload: new TextEncoder().encode(JSON.stringify(this.answer.payload)) };
  }
  request(i = 0): unknown {
    return JSON.parse(Buffer.from(this.sent[i]!.input.Payload as Uint8Array).toString('utf8'));
  }
}

function context(stub: LambdaInvoker, env: NodeJS.ProcessEnv = {}) {
  const out = new PassThrough();
  const text = { out: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  const regions: string[] = [];
  const ctx: CliContext = { out, err: new PassThrough(), env, tty: false, signal: new AbortController().signal, lambda: (region) => (regions.push(region), stub) };
  return { ctx, text, regions };
}

const run = (command: Command, argv: string[], ctx: CliContext) => command.run(parseCommandArgs(command, argv), ctx);

test('promote --aws invokes the admin function with {action, version, dataset} and prints its answer', async () => {
  const answer = { dataset: 'recs', outcome: 'swapped', version: 'v9', orderKey: Date.parse('2026-11-25T02:00:00Z'), heldReason: 'checks-failed', previous: 'v8', retired: ['v6'], deferred: ['v7'], graceSeconds: 60 };
  const stub = new StubLambda({ payload: answer });
  const { ctx, text, regions } = context(stub, { AWS_REGION: 'eu-west-1' });
  expect(await run(promote, ['v9', '--dataset', 'recs', '--aws', '--function', FUNCTION], ctx)).toBe(0);
  expect(regions).toEqual(['eu-west-1']);
  expect(stub.sent).toHaveLength(1);
  expect(stub.sent[0]!.input).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'RequestResponse' });
  expect(stub.request()).toEqual({ action: 'promote', version: 'v9', dataset: 'recs' });
  expect(text.out).toMatch(/^recs: version v9 \(order key 2026-11-25T02:00:00.000Z\) is live, promoted from held \(checks-failed\)\n {2}it replaced v8/);
  expect(text.out).toContain('retention deleted: v6');
  expect(text.out).toContain("inside the readers' grace (60 s): v7; deleted by the next Retire");
});

test('discard --aws: the region comes from a function ARN; --json prints the answer as it came', async () => {
  const answer = { dataset: 'recs', outcome: 'discarded', version: 'v9', was: 'stale', buckets: 384 };
  const stub = new StubLambda({ payload: answer });
  const { ctx, text, regions } = context(stub, { SLUICE_ADMIN_FUNCTION: ARN });
  expect(await run(discard, ['v9', '--aws', '--json'], ctx)).toBe(0);
  expect(regions).toEqual(['eu-west-1']);
  expect(stub.request()).toEqual({ action: 'discard', version: 'v9' });
  expect(JSON.parse(text.out)).toEqual(answer);
});

test('rollback --aws: the dry run and the version travel to the admin function, whose parser takes the request as sent', async () => {
  const answer = { dataset: 'recs', outcome: 'planned', version: 'v7', orderKey: Date.parse('2026-11-23T02:00:00Z'), previous: 'v8', previousOrderKey: Date.parse('2026-11-24T02:00:00Z'), backInOrder: true };
  const stub = new StubLambda({ payload: answer });
  const { ctx, text } = context(stub, { SLUICE_ADMIN_FUNCTION: ARN });
  expect(await run(rollback, ['v7', '--dry-run', '--dataset', 'recs', '--aws'], ctx)).toBe(0);
  expect(stub.request()).toEqual({ action: 'rollback', version: 'v7', dryRun: true, dataset: 'recs' });
  expect(parseAdminEvent(stub.request())).toEqual({ action: 'rollback', version: 'v7', dryRun: true, dataset: 'recs' });
  expect(text.out).toMatch(/^dry run: would make version v7 \(order key 2026-11-23T02:00:00.000Z\) of recs live again, replacing v8/);
  expect(text.out).toContain('this goes back in order');

  // No version: the admin function picks the newest retained one.
  const stub2 = new StubLambda({ payload: { ...answer, outcome: 'swapped' } });
  expect(await run(rollback, ['--aws'], context(stub2, { SLUICE_ADMIN_FUNCTION: ARN }).ctx)).toBe(0);
  expect(stub2.request()).toEqual({ action: 'rollback', dryRun: false });
  expect(parseAdminEvent(stub2.request())).toMatchObject({ action: 'rollback', version: undefined, dryRun: false });
});

test("the function's errors keep their meaning as exit codes; mistakes are usage errors before anything is sent", async () => {
  const refused = new StubLambda({ functionError: 'Unhandled', payload: { errorType: 'VersionStateError', errorMessage: 'version v1 of recs is superseded; only a held version can be promoted' } });
  await expect(run(promote, ['v1', '--aws', '--function', ARN], context(refused).ctx)).rejects.toMatchObject({
    exitCode: 6,
    message: `the admin function ${ARN} failed: VersionStateError: version v1 of recs is superseded; only a held version can be promoted`,
  });
  const missing = new StubLambda({ functionError: 'Unhandled', payload: { errorType: 'NotFoundError', errorMessage: 'dataset recs has no version v0' } });
  await expect(run(discard, ['v0', '--aws', '--function', ARN], context(missing).ctx)).rejects.toMatchObject({ exitCode: 5 });
  // Subclasses exit as their class does in a local run.
  for (const [errorType, exitCode] of [['VersionNotFoundError', 5], ['CorrectionsMovedError', 3], ['S3UnreachableError', 3], ['BadRecordsError', 2], ['ErasedKeysError', 2], ['SomethingElse', 1]] as const) {
    const failing = new StubLambda({ functionError: 'Unhandled', payload: { errorType, errorMessage: 'as the function said it' } });
    await expect(run(discard, ['v0', '--aws', '--function', ARN], context(failing).ctx)).rejects.toMatchObject({ exitCode });
  }

  const stub = new StubLambda({ payload: {} });
  const { ctx } = context(stub);
  await expect(run(promote, ['v1', '--aws'], ctx)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--aws needs --function <name>') });
  await expect(run(promote, ['v1', '--aws', '--function', FUNCTION], ctx)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--aws needs the region') });
  await expect(run(promote, ['v1', '--aws', '--function', 'not a name!', '--region', 'eu-west-1'], ctx)).rejects.toMatchObject({ exitCode: 2 });
  await expect(run(discard, ['v1', '--function', FUNCTION], ctx)).rejects.toMatchObject({ exitCode: 2, message: '--function applies to --aws only' });
  expect(stub.sent).toEqual([]);

  const offline: LambdaInvoker = { send: async () => Promise.reject(new Error('getaddrinfo ENOTFOUND lambda.eu-west-1.amazonaws.com')) };
  await expect(run(promote, ['v1', '--aws', '--function', ARN], context(offline).ctx)).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('cannot reach AWS Lambda') });
});
