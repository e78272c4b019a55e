// sluice erase: erase keys from every version of a dataset, now and for every later load (or,
// with --lift, lift their tombstones). Here, or with --aws through the admin function. Keys come
// from the arguments and/or a file (one per line) and go in calls of 1,000.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MAX_PER_CALL } from '../functions/domain/erasure.js';
import { eraseKeys, uneraseKeys, type EraseResult } from '../functions/pipeline/erase-keys.js';
import { flag, stringOption, UsageError, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, runAdminAction } from './aws-admin.js';

export function printErase(r: EraseResult, ctx: CliContext): void {
  if (r.action === 'erase') {
    writeLine(ctx.out, `${r.dataset}: ${r.keys} key${r.keys === 1 ? '' : 's'} erased from ${r.versions?.length ?? 0} version${r.versions?.length === 1 ? '' : 's'} (${r.versions?.join(', ') || 'none holds data'}) in ${r.ms} ms; later loads skip them`);
  } else {
    writeLine(ctx.out, `${r.dataset}: ${r.lifted ?? 0} of ${r.keys} tombstones lifted (no data is restored: the next load that holds them serves them again)`);
  }
  writeLine(ctx.out, `  logged at ${r.log} (request ${r.requestId}); ${r.tombstones} tombstones in ${r.dataset}`);
}

/** Keys from the arguments and --file (one per line, blank lines skipped), in order, each once. */
export function keysToErase(args: Parsed): string[] {
  const keys = [...args.positionals];
  const file = stringOption(args, 'file');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--file ${file} cannot be read: ${(err as Error).message}`);
    }
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '') keys.push(line.trim());
  }
  if (keys.length === 0) throw new UsageError('sluice erase needs keys: as arguments, or --file with one key per line');
  return [...new Set(keys)];
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const keys = keysToErase(args);
  const lift = flag(args, 'lift');
  const reason = stringOption(args, 'reason') ?? '';
  let code = 0;
  for (let from = 0; from < keys.length; from += MAX_PER_CALL) {
    const batch = keys.slice(from, from + MAX_PER_CALL);
    const request = { action: lift ? 'unerase' : 'erase', keys: batch, reason: reason || undefined };
    const local = (pipeline: Parameters<typeof eraseKeys>[1]) => {
      const input = { keys: batch, reason, requestId: `cli-${randomUUID()}` };
      return lift ? uneraseKeys(input, pipeline) : eraseKeys(input, pipeline);
    };
    code = await runAdminAction(args, ctx, request, local, printErase);
  }
  return code;
}

export const command: Command = {
  name: 'erase',
  usage: 'sluice erase KEY... [--file KEYS.txt] [--dataset NAME] [--reason TEXT] [--lift] [--json] [--aws --function NAME]',
  description: [
    'Erases keys (a user exercising the right to erasure): when it returns, no route answers them',
    'from any version (live, retained, held, loading), and every later load skips them (counted as',
    '"erased"), until lifted. Each call is logged in S3 first (ERASURE_LOG_URI), so the tombstones',
    'survive the loss of the cache. Keys come from the arguments and/or --file (one per line), in',
    'calls of 1,000. --lift removes the tombstones; it does not bring the data back (the next load',
    'that holds the keys does). With --aws, the deployed stack\'s admin function does it.',
  ].join('\n'),
  options: {
    file: { type: 'string', value: 'PATH', description: 'a file of keys, one per line' },
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the one behind /recommendations)' },
    reason: { type: 'string', value: 'TEXT', description: 'why, kept with each tombstone (up to 500 characters)' },
    lift: { type: 'boolean', description: 'lift the tombstones instead (unerase)' },
    json: { type: 'boolean', description: 'print each call\'s result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 0, max: Number.MAX_SAFE_INTEGER },
  examples: ['sluice erase 42 1337 --reason "erasure request 2026-118"', 'sluice erase --file erasures.txt --aws --function "$ADMIN_FUNCTION"', 'sluice erase 42 --lift'],
  run,
};
