// What a local runner (local/state-machine.ts) adds to the Lambda context: an AbortSignal that
// asks a long task to stop (Ctrl-C). Lambda never sets it: there a timeout ends the sandbox.
import type { Context } from 'aws-lambda';

export interface LocalContext extends Context {
  signal?: AbortSignal;
}

export function signalOf(context: Context): AbortSignal | undefined {
  return (context as LocalContext).signal;
}
