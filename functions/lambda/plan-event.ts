// The shapes a Plan invocation may carry: the state machine's wrapper {event, executionId}
// around an EventBridge SageMaker event or a manual request, or either of those alone
// (`sam local invoke -e events/...`). Only this file knows those shapes.
import { parseS3Uri, type IngestRequest } from '../domain/ingest-request.js';
import { explicitVersionId, normaliseOrderKey, versionIdForJob } from '../domain/version-identity.js';
import { isPlainObject } from '../domain/plain-object.js';
import { InvalidInputError } from '../errors.js';

const SAGEMAKER_DETAIL_TYPE = 'SageMaker Transform Job State Change';

interface SageMakerDetail {
  TransformJobName?: unknown;
  TransformJobStatus?: unknown;
  TransformOutput?: { S3OutputPath?: unknown };
  TransformInput?: { DataSource?: { S3DataSource?: { S3DataType?: unknown; S3Uri?: unknown } } };
  CreationTime?: unknown;
}

export function unwrapPlanInvocation(payload: unknown): { event: unknown; executionId: string } {
  if (isPlainObject(payload) && 'event' in payload && typeof payload.executionId === 'string') {
    return { event: payload.event, executionId: payload.executionId };
  }
  return { event: payload, executionId: `direct-${Date.now()}` };
}

export function toIngestRequest(event: unknown): IngestRequest {
  if (!isPlainObject(event)) throw new InvalidInputError('the Plan input must be a JSON object');
  if (event['detail-type'] !== undefined) return fromSageMakerEvent(event);
  if (event.s3Uri !== undefined) return fromManualRequest(event);
  throw new InvalidInputError('the Plan input is neither a SageMaker Transform Job State Change event nor {"s3Uri": ...}');
}

function fromSageMakerEvent(event: Record<string, unknown>): IngestRequest {
  if (event['detail-type'] !== SAGEMAKER_DETAIL_TYPE) {
    throw new InvalidInputError(`unsupported event detail-type ${JSON.stringify(event['detail-type'])}; expected "${SAGEMAKER_DETAIL_TYPE}"`);
  }
  const detail = (isPlainObject(event.detail) ? event.detail : {}) as SageMakerDetail;
  const job = detail.TransformJobName;
  if (typeof job !== 'string' || job === '') throw new InvalidInputError('event detail.TransformJobName is missing');
  if (detail.TransformJobStatus !== 'Completed') {
    throw new InvalidInputError(`transform job ${job} is ${JSON.stringify(detail.TransformJobStatus)}, not Completed: nothing to load`);
  }
  const output = detail.TransformOutput?.S3OutputPath;
  if (typeof output !== 'string') throw new InvalidInputError(`event detail.TransformOutput.S3OutputPath is missing for job ${job}`);
  const { bucket, key } = parseS3Uri(output, 'detail.TransformOutput.S3OutputPath');
  const orderKey = normaliseOrderKey(detail.CreationTime, 'detail.CreationTime');
  const request: IngestRequest = { bucket, key, singleObject: false, jobName: versionIdForJob(job), orderKey, origin: `sagemaker:${job}` };
  const source = detail.TransformInput?.DataSource?.S3DataSource;
  if (source !== undefined) {
    const where = 'detail.TransformInput.DataSource.S3DataSource';
    if (typeof source.S3DataType !== 'string') throw new InvalidInputError(`${where}.S3DataType is missing for job ${job}`);
    if (typeof source.S3Uri !== 'string') throw new InvalidInputError(`${where}.S3Uri is missing for job ${job}`);
    const input = parseS3Uri(source.S3Uri as string, `${where}.S3Uri`);
    request.transformInput = { dataType: source.S3DataType, bucket: input.bucket, key: input.key };
  }
  return request;
}

function fromManualRequest(event: Record<string, unknown>): IngestRequest {
  const { s3Uri, version, orderKey, dataset } = event;
  if (typeof s3Uri !== 'string') throw new InvalidInputError('s3Uri must be a string like s3://bucket/prefix/');
  const { bucket, key } = parseS3Uri(s3Uri, 's3Uri');
  const request: IngestRequest = { bucket, key, singleObject: key !== '' && !key.endsWith('/'), origin: 'manual' };
  if (version !== undefined) {
    if (typeof version !== 'string') throw new InvalidInputError('version must be a string');
    request.explicitVersion = explicitVersionId(version); // checked here, before Plan lists anything
  }
  if (dataset !== undefined) {
    if (typeof dataset !== 'string') throw new InvalidInputError('dataset must be a string');
    request.dataset = dataset;
  }
  if (orderKey !== undefined) request.orderKey = normaliseOrderKey(orderKey, 'orderKey');
  return request;
}
