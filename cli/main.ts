// The sluice command line. bin/sluice.js runs this file with tsx on the project's Node 22 and
// the OpenSSL legacy provider (s3rver's paginated listings need it). The commands are in
// cli/run.ts; this file gives them the process: its arguments, streams, signals and exit.
import { EXIT } from './command.js';
import { runCli } from './run.js';

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

runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, tty: process.stderr.isTTY === true, signal: stopSignal() }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sluice: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(EXIT.FAILED);
  },
);
