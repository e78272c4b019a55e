// sluice suppress: take items out of every list answer of a ranked-items dataset (a recall), or
// with --lift put them back. Here, or with --aws through the admin function.
import { randomUUID } from 'node:crypto';
import { MAX_PER_CALL } from '../functions/domain/erasure.js';
import { suppressItems, type SuppressResult } from '../functions/pipeline/suppress-items.js';
import { flag, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, runAdminAction } from './aws-admin.js';

export function printSuppress(r: SuppressResult, ctx: CliContext): void {
  const what = r.action === 'suppress' ? 'newly suppressed' : 'lifted';
  writeLine(ctx.out, `${r.dataset}: ${r.changed} of ${r.items} item${r.items === 1 ? '' : 's'} ${what}; ${r.suppressed} suppressed in all (answers change within the pointer cache period)`);
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const items = [...new Set(args.positionals)];
  const lift = flag(args, 'lift');
  let code = 0;
  for (let from = 0; from < items.length; from += MAX_PER_CALL) {
    const batch = items.slice(from, from + MAX_PER_CALL);
    code = await runAdminAction(args, ctx, { action: lift ? 'unsuppress' : 'suppress', items: batch }, (pipeline) => suppressItems({ items: batch, lift, requestId: `cli-${randomUUID()}` }, pipeline), printSuppress);
  }
  return code;
}

export const command: Command = {
  name: 'suppress',
  usage: 'sluice suppress ITEM... [--lift] [--dataset NAME] [--json] [--aws --function NAME]',
  description: [
    'Suppresses items of a ranked-items dataset (a withdrawn or out-of-stock item): within the',
    'pointer cache period (POINTER_CACHE_MS) no list answer of any version, pinned or not, holds',
    'them, and ranks close up (rank=1 is the first item not suppressed). An item is named as the',
    'list holds it: a string as it is, a number as written (2012). --lift puts them back. With',
    '--aws, the deployed stack\'s admin function does it.',
  ].join('\n'),
  options: {
    lift: { type: 'boolean', description: 'lift the suppression instead (unsuppress)' },
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the one behind /recommendations)' },
    json: { type: 'boolean', description: 'print each call\'s result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 1, max: Number.MAX_SAFE_INTEGER },
  examples: ['sluice suppress 2012 553', 'sluice suppress 2012 --lift', 'sluice suppress 2012 --aws --function "$ADMIN_FUNCTION"'],
  run,
};
