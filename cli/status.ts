// sluice status: the live version and the retained ones, per dataset (the admin function's
// status, from this machine).
import { datasetStatus, type DatasetStatus, type VersionReport } from '../functions/pipeline/version-status.js';
import { orderKeyText } from '../functions/pipeline/order-key-text.js';
import { EXIT, flag, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { withRuntime } from './env.js';
import { count } from './progress.js';

export { orderKeyText };

const minute = (iso: string | undefined): string => (iso ? iso.slice(0, 19).replace('T', ' ') : '');

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function row(v: VersionReport): string[] {
  const progress = (v.status === 'loading' || v.status === 'stale') && v.chunks !== undefined ? ` ${v.chunksDone ?? 0}/${v.chunks}` : '';
  const state = `${v.status}${progress}`;
  return [
    v.live ? '*' : ' ',
    v.version,
    state,
    orderKeyText(v.orderKey),
    v.records === undefined ? '' : count(v.records),
    v.badRecords === undefined ? '' : count(v.badRecords),
    minute(v.loadedAt ?? v.createdAt),
    v.loadSeconds === undefined ? '' : `${v.loadSeconds.toFixed(1)} s`,
    v.source ?? '',
  ];
}

export function printStatus(s: DatasetStatus, ctx: CliContext): void {
  if (!s.live) writeLine(ctx.out, `dataset ${s.dataset}: no live version`);
  else writeLine(ctx.out, `dataset ${s.dataset}: live version ${s.live.version} (order key ${orderKeyText(s.live.orderKey)})`);
  if (s.tombstones > 0 || s.suppressedItems > 0) writeLine(ctx.out, `  erased keys (tombstones): ${count(s.tombstones)}; suppressed items: ${count(s.suppressedItems)}`);
  if (s.corrections && s.corrections.length > 0) writeLine(ctx.out, `  correction log: ${count(s.corrections.length)} entries, oldest ${minute(s.corrections.oldest ?? undefined)} UTC`);
  if (s.versions.length === 0) {
    writeLine(ctx.out, '  no versions hold data (load one with sluice ingest)');
    return;
  }
  const header = ['', 'VERSION', 'STATE', 'ORDER KEY', 'RECORDS', 'BAD', 'LOADED (UTC)', 'LOAD TIME', 'SOURCE'];
  for (const line of table([header, ...s.versions.map(row)])) writeLine(ctx.out, `  ${line}`);
  const dataset = `--dataset ${s.dataset}`;
  for (const v of s.versions) {
    if (v.error) writeLine(ctx.out, `  ${v.version}: ${v.error}`);
    if (v.status === 'held') {
      const failed = v.failedChecks?.length ?? 0;
      const why = v.heldReason === 'manual-approval' ? 'waiting for approval (promote: manual)' : failed === 1 ? 'a release check failed' : `${failed} release checks failed`;
      // Promote is the compare-and-set without force: a held version not newer than the live one is refused.
      const promotable = !s.live || v.orderKey > s.live.orderKey;
      const next = promotable
        ? `sluice promote ${v.version} ${dataset} makes it live, sluice discard ${v.version} ${dataset} deletes it`
        : `it is not newer than the live version ${s.live!.version}, so it cannot be made live; sluice discard ${v.version} ${dataset} deletes it (or the next Retire does)`;
      writeLine(ctx.out, `  ${v.version}: held, not live: ${why}; ${next}`);
      for (const c of v.failedChecks ?? []) writeLine(ctx.out, `    ${c.name}: ${c.value ?? 'not measured'} (threshold ${c.threshold}): ${c.detail}`);
    }
    if (v.status === 'stale') {
      writeLine(ctx.out, `  ${v.version}: stale: nothing has loaded it since ${minute(v.heartbeatAt) || 'its start'} (its process stopped); sluice discard ${v.version} ${dataset} deletes it, a re-ingest takes it over`);
    }
  }
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  return withRuntime(ctx, async (rt) => {
    const name = stringOption(args, 'dataset');
    const targets = name ? [rt.dataset(name)] : rt.datasets;
    const datasets: DatasetStatus[] = [];
    for (const d of targets) datasets.push(await datasetStatus(d.pipeline));
    if (flag(args, 'json')) writeLine(ctx.out, JSON.stringify({ datasets }, null, 2));
    else datasets.forEach((d) => printStatus(d, ctx));
    return datasets.every((d) => d.live) ? EXIT.OK : EXIT.NO_LIVE_VERSION;
  });
}

export const command: Command = {
  name: 'status',
  usage: 'sluice status [--dataset NAME] [--json]',
  description: [
    'Shows each dataset\'s live version and the versions it still holds (live, retained for',
    'rollback, held, loading, stale), newest first, with their order keys, record counts, load',
    'times, states and sources; a held version with the checks it failed (value and threshold), a',
    'stale load (loading, but its process stopped) with its last heartbeat; the correction log\'s',
    'length and oldest entry when it holds any (sluice put). Exits 4 when a dataset',
    'shown has no live version. The admin function answers the same for a deployed stack',
    '({"action": "status"}).',
  ].join('\n'),
  options: {
    dataset: { type: 'string', value: 'NAME', description: 'one dataset (default: every declared dataset)' },
    json: { type: 'boolean', description: 'print JSON: {"datasets": [{dataset, live, versions: [...]}]}' },
  },
  positionals: { min: 0, max: 0 },
  run,
};
