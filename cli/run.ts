// The sluice command line as a function: arguments, environment and output streams in, exit
// code out. cli/main.ts runs it for the process (its signals, its exit); tests call it in
// process. Commands are loaded on demand, after the environment is prepared, because the
// handlers read it when imported.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { format } from 'node:util';
import type { Clock } from './clock.js';
import { CliError, EXIT, EXIT_CODE_HELP, exitCodeFor, helpText, parseCommandArgs, stringOption, type CliContext, type Command } from './command.js';

/** What one run of the command line uses of the world. */
export interface CliRunIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  /** `stderr` is a terminal (progress bar rather than lines). */
  tty: boolean;
  /** Aborted to stop the command, as Ctrl-C does. */
  signal: AbortSignal;
  /**
   * What waits take their time from (default: the real clock): the local load's retry pauses and
   * grace wait, and, for the run, the handlers' runtime (its pipeline, version store and readers).
   */
  clock?: Clock;
}

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
 * readable. Metrics are never emitted locally. Returns what puts the console back.
 */
function prepareEnvironment(verbose: boolean, stderr: Writable): () => void {
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  if (verbose) process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
  else process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const sink = verbose ? (...args: unknown[]) => void stderr.write(`${format(...args)}\n`) : () => undefined;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => [m, console[m]] as const);
  for (const method of methods) console[method] = sink;
  return () => {
    for (const [m, f] of saved) console[m] = f;
  };
}

async function dispatch(io: CliRunIo, restore: Array<() => void>): Promise<number> {
  const [name, ...rest] = io.argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic && COMMANDS[topic]) {
      io.stdout.write(`${helpText((await COMMANDS[topic].load()).command)}`);
      return EXIT.OK;
    }
    (name === undefined ? io.stderr : io.stdout).write(mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`sluice ${version()}\n`);
    return EXIT.OK;
  }
  const entry = COMMANDS[name];
  if (!entry) throw new CliError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (see sluice --help)`, EXIT.USAGE);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) throw new CliError(`sluice needs Node.js 22 or newer, as Lambda runs (this is ${process.version}); run it as npx sluice, which uses the project's Node 22`, EXIT.USAGE);
  restore.push(prepareEnvironment(rest.includes('--verbose') || rest.includes('-v'), io.stderr));
  if (io.clock) {
    // Imported here, like the commands: the handlers' modules read the environment when loaded.
    const { useClock } = await import('../functions/lambda/runtime.js');
    restore.push(useClock(io.clock));
  }
  const { command } = await entry.load();
  const args = parseCommandArgs(command, rest);
  if (args.values.help) {
    io.stdout.write(helpText(command));
    return EXIT.OK;
  }
  // --datasets is SLUICE_DATASETS_FILE for this command (and the handlers it runs).
  const datasets = stringOption(args, 'datasets');
  const env = datasets === undefined ? io.env : { ...io.env, SLUICE_DATASETS_FILE: resolve(datasets) };
  const ctx: CliContext = { out: io.stdout, err: io.stderr, env, tty: io.tty, signal: io.signal, clock: io.clock };
  return command.run(args, ctx);
}

/** Runs one sluice command line; its errors become a message on stderr (and JSON with --json) and an exit code. */
export async function runCli(io: CliRunIo): Promise<number> {
  const restore: Array<() => void> = [];
  try {
    return await dispatch(io, restore);
  } catch (err) {
    const verbose = io.argv.includes('--verbose') || io.argv.includes('-v');
    const code = exitCodeFor(err);
    const e = err as Error;
    const message = err instanceof CliError || code !== EXIT.FAILED ? e.message : `${e.name}: ${e.message}`;
    io.stderr.write(`sluice: ${message}\n`);
    // A script that asked for JSON gets JSON on stdout for an error as well.
    if (io.argv.includes('--json')) io.stdout.write(`${JSON.stringify({ error: { name: e?.name ?? 'Error', message, exitCode: code } }, null, 2)}\n`);
    if (verbose && e?.stack) io.stderr.write(`${e.stack}\n`);
    return code;
  } finally {
    for (const undo of restore) undo();
  }
}
