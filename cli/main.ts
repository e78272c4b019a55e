// The sluice command line. bin/sluice.js runs this file with tsx on the project's Node 22 and
// the OpenSSL legacy provider (s3rver's paginated listings need it). Commands are loaded on
// demand, after the environment is prepared, because the handlers read it when imported.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { CliError, EXIT, EXIT_CODE_HELP, exitCodeFor, helpText, parseCommandArgs, stringOption, type CliContext, type Command } from './command.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  demo: { summary: 'the main job locally: a local stack, a sample output, a load with progress, API answers', load: () => import('./demo.js') },
  up: { summary: 'start a local Redis Cluster and S3 and keep them running until Ctrl-C', load: () => import('./up.js') },
  ingest: { summary: 'load a file, a directory or an S3 prefix through the state machine (here, or --aws)', load: () => import('./ingest.js') },
  serve: { summary: 'serve the read API on localhost through the real read handler', load: () => import('./serve.js') },
  status: { summary: 'the live version and the retained versions of each dataset', load: () => import('./status.js') },
  rollback: { summary: 'make a retained earlier version live again', load: () => import('./rollback.js') },
  promote: { summary: 'make a held version live (a failed check overridden, or a manual approval)', load: () => import('./promote.js') },
  discard: { summary: 'delete a held version or a stale load', load: () => import('./discard.js') },
  erase: { summary: 'erase keys from every version and every later load (--lift: lift the tombstones)', load: () => import('./erase.js') },
  suppress: { summary: 'take items out of every list answer (--lift: put them back)', load: () => import('./suppress.js') },
  put: { summary: 'correct or add records between loads (kept through later loads: the rewind window rule)', load: () => import('./put.js') },
  get: { summary: "one user's recommendations (or one rank) from the live version", load: () => import('./get.js') },
  invoke: { summary: 'run one function of template.yaml on an event, here (sam local invoke without Docker)', load: () => import('./invoke.js') },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return [
    'Usage: sluice <command> [options]      (npx sluice ... from the project directory)',
    '',
    'Loads SageMaker batch-transform output from S3 into cluster-mode Redis as versions and serves',
    'them, with the same handlers and state machine definition as the Lambdas. Configuration comes',
    'from the same environment variables (docs/configuration.md); `sluice up` prints the ones for',
    'a local stack. Datasets come from datasets.json, or the file SLUICE_DATASETS_FILE names.',
    'The CLI also reads SLUICE_BUCKET (where `ingest` uploads local files; default',
    'sluice-local), SLUICE_STATE_MACHINE_ARN (for `ingest --aws`), SLUICE_ADMIN_FUNCTION (for',
    '`promote|discard|rollback --aws`: the AdminFunctionName output of the stack) and',
    'SLUICE_CONNECT_TIMEOUT_MS (how long to wait for Redis; default 3000).',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
    'sluice <command> --help shows a command\'s options. --verbose (-v) on any command shows the',
    "handlers' own logs on stderr.",
    '',
    EXIT_CODE_HELP,
    '',
  ].join('\n');
}

/**
 * Powertools (the handlers' logger and metrics) write through the global console in dev mode;
 * the CLI sends that to stderr with --verbose and nowhere otherwise, so its own output stays
 * readable. Metrics are never emitted locally.
 */
function prepareEnvironment(verbose: boolean): void {
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  if (verbose) process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  else process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const sink = verbose ? (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`) : () => undefined;
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[method] = sink;
}

/** First Ctrl-C (or SIGTERM/SIGHUP) asks the command to stop; a second one, later, quits at once. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  let first = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      first = Date.now();
      process.stderr.write(`\n${signal}: stopping (once more to quit at once)\n`);
      controller.abort();
    } else if (Date.now() - first > 500) {
      // (A signal delivered to both a launcher and its child arrives twice at once: not a second request.)
      process.exit(EXIT.INTERRUPTED);
    }
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  watchLauncher(controller);
  return controller.signal;
}

/**
 * Under npm (npx sluice, npm run) or bin/sluice.js's relay, the process that was signalled may
 * die without passing the signal on (npm's `sh -c` dies of a SIGTERM and leaves us running): if
 * our parent goes away, stop as on SIGTERM. Elsewhere (a shell, nohup) outliving it is intended.
 */
function watchLauncher(controller: AbortController): void {
  if (process.env.npm_lifecycle_event === undefined && process.env.SLUICE_RELAY_PID === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    if (!controller.signal.aborted) {
      process.stderr.write('\nthe launcher exited: stopping\n');
      controller.abort();
    }
  }, 200);
  timer.unref();
}

/** Where an in-process run reads and writes: what a test passes instead of the process's own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: Writable;
  err: Writable;
  /** Aborted to stop the command as Ctrl-C does (default: never). */
  signal?: AbortSignal;
  /** `err` is a terminal (default: false). */
  tty?: boolean;
  stepFunctions?: CliContext['stepFunctions'];
  lambda?: CliContext['lambda'];
  /** Called once the command is known, before it is loaded (the process entry prepares the environment here). */
  beforeLoad?: (verbose: boolean) => void;
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic && COMMANDS[topic]) {
      io.out.write(`${helpText((await COMMANDS[topic].load()).command)}`);
      return EXIT.OK;
    }
    (name === undefined ? io.err : io.out).write(mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    io.out.write(`sluice ${version()}\n`);
    return EXIT.OK;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new CliError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (see sluice --help)`, EXIT.USAGE);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) throw new CliError(`sluice needs Node.js 22 or newer, as Lambda runs (this is ${process.version}); run it as npx sluice, which uses the project's Node 22`, EXIT.USAGE);
  io.beforeLoad?.(rest.includes('--verbose') || rest.includes('-v'));
  const { command } = await entry.load();
  const args = parseCommandArgs(command, rest);
  if (args.values.help) {
    io.out.write(helpText(command));
    return EXIT.OK;
  }
  // --datasets is SLUICE_DATASETS_FILE for this command (and the handlers it runs).
  const datasets = stringOption(args, 'datasets');
  const env = datasets === undefined ? io.env : { ...io.env, SLUICE_DATASETS_FILE: resolve(datasets) };
  const ctx: CliContext = { out: io.out, err: io.err, env, tty: io.tty === true, signal: io.signal ?? new AbortController().signal };
  if (io.stepFunctions) ctx.stepFunctions = io.stepFunctions;
  if (io.lambda) ctx.lambda = io.lambda;
  return command.run(args, ctx);
}

/**
 * `sluice <argv>` in this process: the command's output on `io.out`, notes and errors on
 * `io.err`, and its exit code. An error is reported as the process entry reports it (and as
 * JSON on `out` with --json). Tests call this rather than spawning bin/sluice.js.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    const code = exitCodeFor(err);
    const e = err as Error;
    const message = err instanceof CliError || code !== EXIT.FAILED ? e.message : `${e.name}: ${e.message}`;
    io.err.write(`sluice: ${message}\n`);
    // A script that asked for JSON gets JSON on stdout for an error as well.
    if (argv.includes('--json')) io.out.write(`${JSON.stringify({ error: { name: e?.name ?? 'Error', message, exitCode: code } }, null, 2)}\n`);
    if (verbose && e?.stack) io.err.write(`${e.stack}\n`);
    return code;
  }
}

// Run as the process's entry (bin/sluice.js runs this file); imported (tests), it only exports runCli.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const signal = stopSignal();
  runCli(process.argv.slice(2), { env: process.env, out: process.stdout, err: process.stderr, tty: process.stderr.isTTY === true, signal, beforeLoad: prepareEnvironment }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`sluice: ${(err as Error)?.message ?? String(err)}\n`);
      process.exit(EXIT.FAILED);
    },
  );
}
