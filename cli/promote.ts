// sluice promote: make a held version live (an operator's override of a failed release check,
// or the approval of a dataset with promote: manual). Here, or with --aws through the admin function.
import { promoteVersion, type PromoteResult } from '../functions/pipeline/promote-version.js';
import { orderKeyText } from '../functions/pipeline/order-key-text.js';
import { writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, runAdminAction } from './aws-admin.js';

export function printPromote(r: PromoteResult, ctx: CliContext): void {
  if (r.outcome === 'already-live') {
    writeLine(ctx.out, `nothing to do: version ${r.version} of ${r.dataset} is already live`);
    return;
  }
  writeLine(ctx.out, `${r.dataset}: version ${r.version} (order key ${orderKeyText(r.orderKey)}) is live, promoted from held${r.heldReason ? ` (${r.heldReason})` : ''}`);
  writeLine(ctx.out, r.previous ? `  it replaced ${r.previous}, which is kept for rollback while retention allows` : '  it is the first live version of this dataset');
  if (r.retired.length > 0) writeLine(ctx.out, `  retention deleted: ${r.retired.join(', ')}`);
  if (r.deferred.length > 0) {
    writeLine(ctx.out, `  past retention but inside the readers' grace (${r.graceSeconds} s): ${r.deferred.join(', ')}; deleted by the next Retire (the next load, or the Retire function)`);
  }
}

function run(args: Parsed, ctx: CliContext): Promise<number> {
  const version = args.positionals[0]!;
  return runAdminAction(args, ctx, { action: 'promote', version }, (pipeline) => promoteVersion({ version }, pipeline), printPromote);
}

export const command: Command = {
  name: 'promote',
  usage: 'sluice promote VERSION [--dataset NAME] [--json] [--aws --function NAME]',
  description: [
    'Makes a held version live: one that failed a release check (the operator overrides it), or a',
    'load of a dataset with promote: manual (the operator approves it). It is the same',
    'compare-and-set a commit uses, without force: a held version not newer than the live one is',
    'refused (exit 6; discard it instead). Retention is applied at once, deleting only what is past',
    'the readers\' grace (GRACE_SECONDS); the version just replaced, if retention lets it go, goes',
    'at the next Retire. With --aws, the deployed stack\'s admin function does it.',
  ].join('\n'),
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the first ranked-items dataset declared)' },
    json: { type: 'boolean', description: 'print the result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 1, max: 1 },
  examples: ['sluice promote recs-nightly-2026-11-25', 'sluice promote recs-nightly-2026-11-25 --aws --function "$ADMIN_FUNCTION"'],
  run,
};
