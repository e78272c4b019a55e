// The CLI's core, what every command shares: its declaration (options, help text) and the
// context it runs in, argument parsing with node:util parseArgs, the exit codes, and the
// mapping from errors to exit codes.
import type { Clock } from './clock.js';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import type { LambdaInvoker, StepFunctions } from './aws-clients.js';
import { ConfigError, InvalidInputError, NoLiveVersionError, NotFoundError, S3UnreachableError, SluiceError, TransientError, VersionStateError } from '../functions/errors.js';

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NO_LIVE_VERSION: 4,
  NOT_FOUND: 5,
  REFUSED: 6,
  HELD: 7,
  ALREADY_HELD: 8,
  ALREADY_LOADING: 9,
  INTERRUPTED: 130,
} as const;

/**
 * What each exit code means: the one table `--help` prints and README.md's "Exit codes" table
 * repeats word for word (tests/cli/exit-codes.test.ts holds the README to it).
 */
export const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = {
  OK: 'Success; a repeated load of a version that is already live (or was live and has been replaced since) is a success too: nothing to do.',
  FAILED: 'The load failed (the live version is untouched), or the command failed otherwise.',
  USAGE: 'Usage or configuration error: bad arguments, a bad environment variable, a missing or unreadable file or event.',
  UNREACHABLE: 'Redis (or S3, or the AWS API) could not be reached, also when a load fails for it (`TransientError`, or `S3UnreachableError` when no connection to S3 opens at all).',
  NO_LIVE_VERSION: 'The dataset has no live version (`get`, `status`).',
  NOT_FOUND: 'Not found: no such user or rank, no such version, no retained version to roll back to.',
  REFUSED: 'Refused: a newer version is live (`ingest`), or the version is not in a state that can be made live (`rollback`, `promote`) or discarded (`discard`).',
  HELD: 'Held (`ingest`): the load is complete but not live: a release check failed, or the dataset waits for approval; see Release control.',
  ALREADY_HELD: 'Already held (`ingest`): this version was loaded before and is held, not live; nothing was loaded again (`sluice promote` or `sluice discard` it).',
  ALREADY_LOADING: 'Already loading (`ingest`): another run is loading this version (or deleting it) right now; nothing was loaded. Wait for it, or retry later.',
  INTERRUPTED: "Interrupted (Ctrl-C): a load stopped before its swap did not go live and its keys were deleted; one stopped during `ingest`'s upload loaded nothing.",
};

export const EXIT_CODE_HELP = ['Exit codes:', ...(Object.keys(EXIT) as (keyof typeof EXIT)[]).map((name) => `  ${String(EXIT[name]).padEnd(5)}${EXIT_MEANINGS[name]}`)].join('\n');

/** An error that knows its exit code; its message is shown as is. A SluiceError like the rest. */
export class CliError extends SluiceError {
  override readonly name: string = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends CliError {
  override readonly name: string = 'UsageError';

  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

/** The one mapping from errors to exit codes: anything not a SluiceError is a failure (1). */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof SluiceError)) return EXIT.FAILED;
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ConfigError || err instanceof InvalidInputError) return EXIT.USAGE;
  if (err instanceof TransientError || err instanceof S3UnreachableError) return EXIT.UNREACHABLE;
  if (err instanceof NoLiveVersionError) return EXIT.NO_LIVE_VERSION;
  if (err instanceof NotFoundError) return EXIT.NOT_FOUND;
  if (err instanceof VersionStateError) return EXIT.REFUSED;
  return EXIT.FAILED;
}

/** What a command may use of the world; tests pass their own. */
export interface CliContext {
  /** Results: summaries, JSON, request logs. */
  out: Writable;
  /** Progress, notes and errors. */
  err: Writable;
  env: NodeJS.ProcessEnv;
  /** `err` is a terminal: draw a progress bar rather than lines. */
  tty: boolean;
  /** Aborted on Ctrl-C (or SIGTERM/SIGHUP). */
  signal: AbortSignal;
  /** What a local load's retry pauses and grace wait wait on, and the handlers' runtime reads the time from (default: the real clock; tests pass a movable one). */
  clock?: Clock;
  /** `ingest --aws`: the Step Functions client for a region (default: the SDK's SFNClient; tests pass a stub). */
  stepFunctions?: (region: string) => StepFunctions;
  /** `promote|discard --aws`: the Lambda client for a region (default: the SDK's LambdaClient; tests pass a stub). */
  lambda?: (region: string) => LambdaInvoker;
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** For string options: the placeholder shown in the help. */
  value?: string;
  description: string;
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** `sluice <name> ...` */
  usage: string;
  description: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number };
  examples?: string[];
  run(args: Parsed, ctx: CliContext): Promise<number>;
}

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  verbose: { type: 'boolean', short: 'v', description: "show the handlers' own logs (Powertools, JSON) on stderr" },
  datasets: { type: 'string', value: 'FILE', description: 'the datasets file (default: $SLUICE_DATASETS_FILE, else the repository\'s datasets.json)' },
};

export function parseCommandArgs(command: Command, argv: string[]): Parsed {
  const options = { ...command.options, ...COMMON_OPTIONS };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }])),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (see sluice ${command.name} --help)`);
  }
  const values = parsed.values as Parsed['values'];
  if (values.help) return { values, positionals: parsed.positionals };
  const { min, max } = command.positionals;
  if (parsed.positionals.length < min) throw new UsageError(`sluice ${command.name} needs ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}: ${command.usage} (see --help)`);
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}: ${command.usage} (see sluice ${command.name} --help)`);
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`Usage: ${command.usage}`, '', command.description, '', 'Options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`)];
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  lines.push('', EXIT_CODE_HELP, '');
  return lines.join('\n');
}

export function stringOption(args: Parsed, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(args: Parsed, name: string): boolean {
  return args.values[name] === true;
}

/** A whole number in [min, max], or a usage error naming the option. */
export function intOption(args: Parsed, name: string, defaultValue: number, min: number, max: number): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return defaultValue;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new UsageError(`--${name} ${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  return n;
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/** Resolves once the user asks to stop (at once if they already have). */
export function untilStopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
