// What to load, whatever asked for it (a SageMaker completion event or a person).
import type { TransformInput } from './input-completeness.js';
import { InvalidInputError } from '../errors.js';

export interface IngestRequest {
  bucket: string;
  /** A prefix to list, or (when singleObject) one object's key. */
  key: string;
  singleObject: boolean;
  /** Set for SageMaker jobs: the version id derives from it. */
  jobName?: string;
  explicitVersion?: string;
  orderKey?: number;
  /** Manual runs may name the dataset; jobs are matched to one by name. */
  dataset?: string;
  /** For the version's metadata: where the request came from. */
  origin: string;
  /** SageMaker jobs: where the job read its input, to check every input object has its output. */
  transformInput?: TransformInput;
}

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** Splits an s3:// URI; `key` is '' for a whole bucket. `what` names the field in the error. */
export function parseS3Uri(uri: string, what: string): { bucket: string; key: string } {
  const m = S3_URI.exec(uri);
  if (!m) throw new InvalidInputError(`${what}: ${JSON.stringify(uri)} is not an s3://bucket/key URI`);
  return { bucket: m[1]!, key: m[2] ?? '' };
}
