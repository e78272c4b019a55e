// A version's id and order key. The id is derived from what is being loaded, so a repeated
// event maps to the same id (invariant 4); the order key decides which version may be live
// (invariant 3): a transform job's creation time, or an explicit key for manual runs.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { assertName } from './names.js';

const JOB_NAME = /^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$/;

export function versionIdForJob(jobName: string): string {
  if (!JOB_NAME.test(jobName)) throw new InvalidInputError(`TransformJobName ${JSON.stringify(jobName)} is not a valid SageMaker job name`);
  return jobName;
}

/** Manual runs without an explicit id: the same objects with the same ETags give the same id. */
export function versionIdForObjects(s3Uri: string, objects: readonly { key: string; etag: string }[]): string {
  const h = createHash('sha256').update(s3Uri);
  for (const o of [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) h.update(`\n${o.key}\t${o.etag}`);
  return `manual-${h.digest('hex').slice(0, 16)}`;
}

export function explicitVersionId(id: string): string {
  assertName('version', id);
  return id;
}

/**
 * Order keys are numbers compared as they are; SageMaker's creation time gives epoch
 * milliseconds, and an ISO-8601 string is turned into epoch milliseconds too. A manual run
 * that should order against jobs must use a time, not a small counter.
 */
export function normaliseOrderKey(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return normaliseOrderKey(asNumber, what);
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidInputError(`${what} ${JSON.stringify(value)} is not a timestamp (epoch milliseconds or ISO-8601)`);
}
