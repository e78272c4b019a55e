// sluice rollback: make a retained earlier version live again. Here, or with --aws through the
// admin function.
import { rollbackVersion, type RollbackResult } from '../functions/pipeline/rollback-version.js';
import { flag, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, runAdminAction } from './aws-admin.js';
import { orderKeyText } from './status.js';

export function printRollback(r: RollbackResult, ctx: CliContext): void {
  const target = `${r.version} (order key ${orderKeyText(r.orderKey)})`;
  const previous = r.previous ? `${r.previous} (order key ${orderKeyText(r.previousOrderKey ?? 0)})` : 'nothing';
  if (r.outcome === 'already-live') {
    writeLine(ctx.out, `nothing to do: version ${r.version} of ${r.dataset} is already live`);
    return;
  }
  writeLine(ctx.out, r.outcome === 'planned' ? `dry run: would make version ${target} of ${r.dataset} live again, replacing ${previous}` : `${r.dataset}: version ${target} is live again, replacing ${previous}`);
  if (r.backInOrder) {
    writeLine(ctx.out, `this goes back in order (${r.previous} is ordered after ${r.version}): until a newer version is loaded,`);
    writeLine(ctx.out, `any load ordered after ${r.version} can replace it, even one older than ${r.previous}.`);
  }
  if (r.previous) writeLine(ctx.out, `${r.previous} stays retained until retention deletes it; \`sluice rollback ${r.previous}\` makes it live again.`);
}

function run(args: Parsed, ctx: CliContext): Promise<number> {
  const version = args.positionals[0];
  const dryRun = flag(args, 'dry-run');
  return runAdminAction(args, ctx, { action: 'rollback', version, dryRun }, (pipeline) => rollbackVersion({ version, dryRun }, pipeline), printRollback);
}

export const command: Command = {
  name: 'rollback',
  usage: 'sluice rollback [VERSION] [--dataset NAME] [--dry-run] [--json] [--aws --function NAME]',
  description: [
    'Makes a retained earlier version live again: VERSION, or by default the newest retained one',
    '(state "superseded" in sluice status) ordered before the live one, so that running it twice',
    'goes further back, not forward again. It is the same compare-and-set a load\'s commit uses: it',
    'fails if the version is being retired or the pointer moves meanwhile. A commit refuses to go',
    'back in order; asking for a rollback is the override, and the command says when it goes back',
    'in order. The version it replaces stays retained, so a rollback can be undone the same way.',
    'Readers switch within POINTER_CACHE_MS. With --aws, the deployed stack\'s admin function does it.',
  ].join('\n'),
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the first ranked-items dataset declared)' },
    'dry-run': { type: 'boolean', description: 'say what would happen, change nothing' },
    json: { type: 'boolean', description: 'print the result as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 0, max: 1 },
  examples: ['sluice rollback --dry-run', 'sluice rollback', 'sluice rollback recs-nightly-2026-11-23', 'sluice rollback --dry-run --aws --function "$ADMIN_FUNCTION"'],
  run,
};
