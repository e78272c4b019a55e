// sluice discard: delete a held version (it will not go live) or a stale load (its process
// stopped). Here, or with --aws through the admin function.
import { discardVersion, type DiscardResult } from '../functions/pipeline/discard-version.js';
import { EXIT, flag, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { adminTarget, AWS_OPTIONS, invokeAdmin, rejectAwsOnly } from './aws-admin.js';
import { withRuntime } from './env.js';

export function printDiscard(r: DiscardResult, ctx: CliContext): void {
  const what = r.was === 'stale' ? 'stale load' : r.was === 'held' ? 'held version' : 'discarded version';
  writeLine(ctx.out, `${r.dataset}: ${what} ${r.version} discarded: its data (${r.buckets} bucket keys) deleted; its metadata stays (status discarded) for 30 days`);
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const version = args.positionals[0]!;
  const dataset = stringOption(args, 'dataset');
  let result: DiscardResult;
  if (flag(args, 'aws')) {
    result = (await invokeAdmin(ctx, adminTarget(args, ctx.env), { action: 'discard', version, ...(dataset ? { dataset } : {}) })) as DiscardResult;
  } else {
    rejectAwsOnly(args);
    result = await withRuntime(ctx, (rt) => discardVersion({ version }, (dataset ? rt.dataset(dataset) : rt.defaultDataset).pipeline));
  }
  if (flag(args, 'json')) writeLine(ctx.out, JSON.stringify(result, null, 2));
  else printDiscard(result, ctx);
  return EXIT.OK;
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
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: DATASET)' },
    json: { type: 'boolean', description: 'print the result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 1, max: 1 },
  examples: ['sluice discard recs-nightly-2026-11-25', 'sluice discard recs-nightly-2026-11-25 --aws --function "$ADMIN_FUNCTION"'],
  run,
};
