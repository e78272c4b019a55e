// The admin function's put action (corrections and additions between loads):
//   {"action": "put", "dataset"?: name, "records": [...], "columns"?: [...]}
// 1-1,000 records or 256 KiB a call, in the dataset's input shape (JSON objects, or CSV lines
// as strings with `columns`). Refused whole if any record is bad; see pipeline/put-records.ts.
import type { Context } from 'aws-lambda';
import { parsePutRecords, type PutRecords } from '../domain/put-request.js';
import { putRecords, type PutResult } from '../pipeline/put-records.js';
import { emitMetrics, logger, MetricUnit } from './observability.js';
import type { DatasetRuntime } from './runtime.js';

export type PutRequest = { action: 'put'; dataset?: string } & PutRecords;

export function parsePutRequest(e: Record<string, unknown>, dataset: string | undefined): PutRequest {
  return { action: 'put', dataset, ...parsePutRecords(e) };
}

export async function runPut(request: PutRequest, target: DatasetRuntime, context: Context): Promise<PutResult> {
  const { action: _action, dataset: _dataset, ...records } = request;
  const result = await putRecords(records, target.pipeline, context.awsRequestId);
  emitMetrics(target.spec.name, [['RecordsPut', MetricUnit.Count, result.records]]);
  logger.info('put', { requestId: result.requestId, records: result.records, generation: result.generation, versions: result.versions, at: result.at });
  return result;
}
