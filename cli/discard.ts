// sluice discard: delete a held version (it will not go live) or a stale load (its process
// stopped). Here, or with --aws through the admin function.
import { discardVersion, type DiscardResult } from '../functions/pipeline/discard-version.js';
import { writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, runAdminAction } from './aws-admin.js';

export function printDiscard(r: DiscardResult, ctx: CliContext): void {
  if (r.outcome === 'already-discarded') {
    writeLine(ctx.out, `nothing to do: version ${r.version} of ${r.dataset} was discarded already${r.discardedAt ? ` (${r.discardedAt})` : ''} and its data deleted then`);
    return;
  }
  const what = r.was === 'stale' ? 'stale load' : r.was === 'held' ? 'held version' : 'discarded version';
  writeLine(ctx.out, `${r.dataset}: ${what} ${r.version} discarded: its data (${r.buckets} bucket keys) deleted; its metadata stays (status discarded) for 30 days`);
}

function run(args: Parsed, ctx: CliContext): Promise<number> {
  const version = args.positionals[0]!;
  return runAdminAction(args, ctx, { action: 'discard', version }, (pipeline) => discardVersion({ version }, pipeline), printDiscard);
}

export const command: Command = {
  name: 'discard',
  usage: 'sluice discard VERSION [--dataset NAME] [--json] [--aws --function NAME]',
  description: [
    'Deletes a held version (state "held" in sluice status) or a stale load (state "stale": loading,',
    'but its process stopped and nothing heartbeats for it). Its keys are deleted; its metadata stays',
    'with status "discarded", as failed versions keep theirs. The live version, retained earlier',
    'versions and running loads cannot be discarded (exit 6). With --aws, the deployed stack\'s',
    'admin function does it.',
  ].join('\n'),
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the first ranked-items dataset declared)' },
    json: { type: 'boolean', description: 'print the result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 1, max: 1 },
  examples: ['sluice discard recs-nightly-2026-11-25', 'sluice discard recs-nightly-2026-11-25 --aws --function "$ADMIN_FUNCTION"'],
  run,
};
