// Help on every command, and the exit codes of mistakes, an unreachable Redis and a dataset
// with nothing live, as a user or a script meets them (a child process); the many argument
// checks that run before anything is contacted are also exercised in process, to stay quick.
import { PassThrough } from 'node:stream';
import { helpText, parseCommandArgs, type CliContext, type Command } from '../../cli/command.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars, datasetsFile } from '../../local/datasets-file.js';

const COMMANDS = ['demo', 'up', 'ingest', 'serve', 'status', 'rollback', 'promote', 'discard', 'erase', 'suppress', 'put', 'get', 'invoke'];
const loaders: Record<string, () => Promise<{ command: Command }>> = {
  demo: () => import('../../cli/demo.js'),
  up: () => import('../../cli/up.js'),
  ingest: () => import('../../cli/ingest.js'),
  serve: () => import('../../cli/serve.js'),
  status: () => import('../../cli/status.js'),
  rollback: () => import('../../cli/rollback.js'),
  promote: () => import('../../cli/promote.js'),
  discard: () => import('../../cli/discard.js'),
  erase: () => import('../../cli/erase.js'),
  suppress: () => import('../../cli/suppress.js'),
  put: () => import('../../cli/put.js'),
  get: () => import('../../cli/get.js'),
  invoke: () => import('../../cli/invoke.js'),
};

test('sluice --help lists every command and the exit codes; every command has --help', async () => {
  const [main, ingestHelp, none] = await Promise.all([sluice(['--help']), sluice(['ingest', '--help']), sluice([])]);
  expect(main).toEqual(expect.objectContaining({ code: 0 }));
  for (const c of COMMANDS) expect(main.stdout).toMatch(new RegExp(`^ {2}${c} +\\S`, 'm'));
  expect(main.stdout).toContain('Exit codes:');
  expect(ingestHelp).toMatchObject({ code: 0, stderr: '' });
  expect(ingestHelp.stdout).toBe(helpText((await loaders.ingest!()).command));
  expect(none.code).toBe(2);
  for (const name of COMMANDS) {
    const { command } = await loaders[name]!();
    expect(command.name).toBe(name);
    const help = helpText(command);
    expect(help).toMatch(new RegExp(`^Usage: sluice ${name}`));
    expect(help).toContain('-h, --help');
    expect(help).toContain('  3    Redis (or S3, or the AWS API) could not be reached');
    expect(parseCommandArgs(command, ['--help']).values.help).toBe(true);
  }
});

test('usage mistakes exit 2 with a message that says what is wrong', async () => {
  const env = testStackEnv({ ...datasetVars('cli-usage') });
  const spawned: [string[], Record<string, string>, RegExp][] = [
    [['frobnicate'], env, /unknown command "frobnicate"; the commands are demo, up, ingest/],
    [['status', '--colour'], env, /Unknown option '--colour' \(see sluice status --help\)/],
    [['ingest', '/no/such/output.out'], env, /no such file or directory: \/no\/such\/output.out/],
    [['status', '--dataset', 'nope'], env, /unknown dataset "nope"; this stack serves cli-usage/],
    [['status'], { ...env, GRACE_SECONDS: '0', POINTER_CACHE_MS: '1000' }, /parameter GraceSeconds \(GRACE_SECONDS\)=0 is shorter than POINTER_CACHE_MS \+ REDIS_COMMAND_TIMEOUT_MS/],
    // --datasets names the declarations file for this command (over SLUICE_DATASETS_FILE); a misspelt member is refused at start.
    [['status', '--datasets', datasetsFile({ name: 'cli-usage', promte: 'manual' })], env, /dataset cli-usage: unknown member "promte" at datasets\[0\]; did you mean "promote"\?/],
  ];
  const runs = await Promise.all(spawned.map(([args, e]) => sluice(args, e)));
  runs.forEach((run, i) => {
    const [args, , message] = spawned[i]!;
    expect({ args, code: run.code }).toEqual({ args, code: 2 });
    expect(run.stderr).toMatch(message);
  });

  // The same checks in process, for the rest (they run before anything is contacted).
  const inProcess: [string, string[], RegExp][] = [
    ['get', [], /sluice get needs 1 argument: sluice get USER_ID/],
    ['ingest', [], /nothing to load: give a file, a directory or an s3:\/\/ URI, or --event/],
    ['ingest', ['s3://x'], /"s3:\/\/x" is not an s3:\/\/bucket\/key URI/],
    ['ingest', ['s3://bkt/out/', '--version', 'not ok!'], /--version: version "not ok!" must be 1-64 characters/],
    ['ingest', ['s3://bkt/out/', '--order-key', 'tomorrow'], /orderKey "tomorrow" is not a timestamp/],
    ['ingest', ['s3://bkt/out/', '--event', 'events/sagemaker-transform-completed.json', '--version', 'v1'], /--version apply to manual runs; a SageMaker event's version is its job name/],
    ['ingest', ['--event', 'events/sagemaker-transform-failed.json'], /transform job recs-nightly-2026-11-24 is "Failed", not Completed/],
    ['ingest', ['--event', 'events/missing.json'], /cannot read the event events\/missing.json/],
    ['ingest', ['s3://bkt/out/', '--name', 'x'], /--name applies to --aws runs only/],
    ['serve', ['--port', 'http'], /--port "http" must be a whole number from 0 to 65535/],
    ['rollback', ['a', 'b'], /unexpected argument "b"/],
    ['erase', [], /sluice erase needs keys: as arguments, or --file with one key per line/],
    ['erase', ['--file', '/no/such/keys.txt'], /--file \/no\/such\/keys.txt cannot be read/],
    ['erase', ['42', '--function', 'admin'], /--function applies to --aws only/],
    ['suppress', [], /sluice suppress needs at least 1 argument/],
  ];
  const ctx: CliContext = { out: new PassThrough(), err: new PassThrough(), env: {}, tty: false, signal: new AbortController().signal };
  for (const [name, argv, message] of inProcess) {
    const { command } = await loaders[name]!();
    const attempt = async () => command.run(parseCommandArgs(command, argv), ctx);
    await expect(attempt()).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
  }
});

test("the configuration is the command's environment, checked: a bad SLUICE_CONNECT_TIMEOUT_MS is a usage error naming it", async () => {
  const env = testStackEnv({ ...datasetVars('cli-empty') });
  const garbage = await sluice(['status'], { ...env, SLUICE_CONNECT_TIMEOUT_MS: 'soon' });
  expect(garbage).toMatchObject({ code: 2, stdout: '' });
  expect(garbage.stderr).toBe('sluice: SLUICE_CONNECT_TIMEOUT_MS="soon" must be an integer between 1 and 600000\n');
  // In process, the runtime is built from the context's environment, not from process.env.
  const { command } = await loaders.status!();
  const ctx = (vars: Record<string, string>): CliContext => ({ out: new PassThrough(), err: new PassThrough(), env: { ...env, ...vars }, tty: false, signal: new AbortController().signal });
  await expect(command.run(parseCommandArgs(command, []), ctx({ REDIS_PORT: '1', SLUICE_CONNECT_TIMEOUT_MS: '300' }))).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('cannot reach Redis at 127.0.0.1:1 ') });
  await expect(command.run(parseCommandArgs(command, []), ctx({ MAX_CHUNKS: 'many' }))).rejects.toMatchObject({ message: expect.stringContaining('MAX_CHUNKS="many"') });
  expect(await command.run(parseCommandArgs(command, []), ctx({ ...datasetVars('cli-empty') }))).toBe(4);
});

test('Redis unreachable exits 3 naming where it looked; no live version exits 4', async () => {
  const env = testStackEnv({ ...datasetVars('cli-empty') });
  const [down, tls, status, get] = await Promise.all([
    sluice(['status'], { ...env, REDIS_PORT: '1', SLUICE_CONNECT_TIMEOUT_MS: '500' }),
    sluice(['get', 'u1'], { ...env, REDIS_TLS: 'true', SLUICE_CONNECT_TIMEOUT_MS: '500' }),
    sluice(['status'], env),
    sluice(['get', 'u1'], env),
  ]);
  expect(down.code).toBe(3);
  expect(down.stderr).toMatch(/^sluice: cannot reach Redis at 127\.0\.0\.1:1 \(REDIS_TLS=false\).*; check REDIS_HOST, REDIS_PORT and REDIS_TLS\n$/);
  expect(tls.code).toBe(3);
  expect(tls.stderr).toContain('(a local cluster from sluice up needs REDIS_TLS=false)');
  expect(status).toMatchObject({ code: 4, stdout: 'dataset cli-empty: no live version\n  no versions hold data (load one with sluice ingest)\n' });
  expect(get.code).toBe(4);
  expect(get.stderr).toBe('sluice: 503 no_live_version: no version of this dataset is live yet\n');
});
