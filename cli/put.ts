// sluice put: corrections and additions between loads, from a JSON Lines or CSV file, sent in
// calls of at most 1,000 records or 256 KiB (the admin action's limits). Here, or with --aws
// through the admin function. Locally every batch is checked before the first is written.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PUT_MAX_BYTES, PUT_MAX_RECORDS } from '../functions/domain/corrections.js';
import { shapePut, type PutRecords } from '../functions/domain/put-request.js';
import { BadRecordsError } from '../functions/errors.js';
import { putRecords, type PutResult } from '../functions/pipeline/put-records.js';
import { CliError, EXIT, UsageError, exitCodeFor, flag, stringOption, writeLine, type CliContext, type Command, type Parsed } from './command.js';
import { AWS_OPTIONS, adminTarget, invokeAdmin, rejectAwsOnly } from './aws-admin.js';
import { withRuntime } from './env.js';

/** A batch of records and the file lines they came from (for errors). */
interface Batch extends PutRecords {
  lines: number[];
}

/** A file's records: JSON objects (JSON Lines) or CSV lines (strings) with the header's columns. */
export function readRecords(text: string, csv: boolean): { records: unknown[]; lines: number[]; header?: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const records: unknown[] = [];
  const numbers: number[] = [];
  let header: string | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (csv) {
      if (header === undefined) return void (header = line);
      records.push(line);
    } else {
      try {
        records.push(JSON.parse(line));
      } catch (err) {
        throw new UsageError(`line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
    }
    numbers.push(i + 1);
  });
  return { records, lines: numbers, ...(header === undefined ? {} : { header }) };
}

/** Consecutive batches within the admin action's limits. */
export function batches(file: { records: unknown[]; lines: number[]; header?: string }): Batch[] {
  const out: Batch[] = [];
  let current: Batch | null = null;
  let bytes = 0;
  file.records.forEach((record, i) => {
    const size = Buffer.byteLength(typeof record === 'string' ? record : JSON.stringify(record));
    if (!current || current.records.length >= PUT_MAX_RECORDS || bytes + size > PUT_MAX_BYTES) {
      current = { records: [], lines: [], ...(file.header === undefined ? {} : { header: file.header }) };
      out.push(current);
      bytes = 0;
    }
    current.records.push(record);
    current.lines.push(file.lines[i]!);
    bytes += size;
  });
  return out;
}

/**
 * A refusal, with the file's line numbers instead of the batch's record indexes; and, once earlier
 * batches were written, saying so (a batch's own refusal says "nothing was written" of itself).
 */
function refusal(err: unknown, batch: Batch, written: number): unknown {
  if (err instanceof BadRecordsError) {
    const listed = err.records.slice(0, 20).map((r) => `line ${batch.lines[r.index]}: ${r.reason}`).join('\n  ');
    const before = written > 0 ? ` (${written} records of earlier batches were written)` : ' (nothing was written)';
    return new CliError(`put refused${before}: ${err.records.length} bad records\n  ${listed}`, EXIT.USAGE, { cause: err });
  }
  if (written === 0) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`put stopped at lines ${batch.lines[0]}-${batch.lines.at(-1)}: ${written} records of earlier batches were written, none from there on: ${message}`, exitCodeFor(err), { cause: err });
}

async function run(args: Parsed, ctx: CliContext): Promise<number> {
  const file = stringOption(args, 'file');
  if (!file) throw new UsageError('sluice put needs --file FILE (JSON Lines, or CSV with a header line)');
  const text = await readFile(file, 'utf8').catch((err: Error) => {
    throw new UsageError(`cannot read ${file}: ${err.message}`);
  });
  const csv = (stringOption(args, 'format') ?? (/\.csv$/i.test(file) ? 'csv' : 'jsonl')) === 'csv';
  const all = batches(readRecords(text, csv));
  if (all.length === 0) throw new UsageError(`${file} holds no records`);
  const dataset = stringOption(args, 'dataset') || undefined;
  const results: PutResult[] = [];
  let written = 0;
  if (flag(args, 'aws')) {
    const target = adminTarget(args, ctx.env);
    for (const batch of all) {
      const { lines: _lines, ...records } = batch;
      const payload = { action: 'put', ...(dataset ? { dataset } : {}), ...records };
      results.push((await invokeAdmin(ctx, target, payload).catch((err: unknown) => Promise.reject(refusal(err, batch, written)))) as PutResult);
      written += batch.records.length;
    }
  } else {
    rejectAwsOnly(args);
    await withRuntime(ctx, async (rt) => {
      const { pipeline } = dataset ? rt.dataset(dataset) : rt.defaultDataset;
      // Every batch checked before the first is written: a bad line refuses the whole file here.
      for (const batch of all) {
        try {
          shapePut(batch, pipeline.spec, pipeline.shape, pipeline.load.maxRecordBytes);
        } catch (err) {
          throw refusal(err, batch, 0);
        }
      }
      for (const batch of all) {
        results.push(await putRecords(batch, pipeline, `cli-${randomUUID()}`).catch((err: unknown) => Promise.reject(refusal(err, batch, written))));
        written += batch.records.length;
      }
    });
  }
  if (flag(args, 'json')) writeLine(ctx.out, JSON.stringify({ records: written, calls: results }, null, 2));
  else {
    const last = results.at(-1)!;
    const versions = last.versions.length > 0 ? `written to ${last.versions.join(', ')}` : 'no version is live or held: logged for the next load';
    writeLine(ctx.out, `${last.dataset}: ${written} records put in ${results.length} call(s), ${versions}; logged for later versions (rewind window rule)`);
  }
  return EXIT.OK;
}

export const command: Command = {
  name: 'put',
  usage: 'sluice put --file FILE [--format jsonl|csv] [--dataset NAME] [--json] [--aws --function NAME]',
  description: [
    'Corrects or adds records between loads. Records are in the dataset\'s own input shape (JSON',
    'Lines, or CSV with a header line laid out as the dataset\'s csv declaration says) and are checked',
    'as a load checks them: one bad record refuses the file, naming its line. They are readable at',
    'once from the live version, written to held versions too, and kept in the correction log: a',
    'version that goes live later gets them first, unless its job was created more than the',
    'dataset\'s rewindWindowHours (default 24) after the correction. Sent in calls of at most 1,000',
    'records or 256 KiB. With --aws, the deployed stack\'s admin function does it.',
  ].join('\n'),
  options: {
    file: { type: 'string', value: 'FILE', description: 'the records: JSON Lines, or CSV (by its .csv name or --format csv)' },
    format: { type: 'string', value: 'jsonl|csv', description: 'the file\'s format (default: csv for a .csv name, else jsonl)' },
    dataset: { type: 'string', value: 'NAME', description: 'the dataset (default: the one behind /recommendations)' },
    json: { type: 'boolean', description: 'print the results of the calls as JSON' },
    ...AWS_OPTIONS,
  },
  positionals: { min: 0, max: 0 },
  examples: ['sluice put --file corrections.jsonl', 'sluice put --file corrections.csv --dataset recs --aws --function "$ADMIN_FUNCTION"'],
  run,
};
