import type { Context } from 'aws-lambda';
import { retireVersions, type RetireResult } from '../pipeline/retire-versions.js';
import { logger } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { retireRef } from '../lambda/step-inputs.js';
import { withObservability } from '../lambda/with-observability.js';

async function retire(payload: unknown, _context: Context): Promise<RetireResult> {
  const ref = retireRef(payload);
  const { pipeline } = (await runtime()).dataset(ref.dataset);
  // Claims named after the execution: a retried Retire finishes a deletion it left halfway.
  const result = await retireVersions(pipeline, undefined, ref.owner === undefined ? undefined : `retire:${ref.owner}`);
  logger.info('retention applied', { ...result });
  return result;
}

export const handler = withObservability(retire);
