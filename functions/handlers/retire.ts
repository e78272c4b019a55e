import type { Context } from 'aws-lambda';
import { retireVersions, type RetireResult } from '../pipeline/retire-versions.js';
import { logger } from '../lambda/observability.js';
import { runtime } from '../lambda/runtime.js';
import { datasetRef } from '../lambda/step-inputs.js';
import { withObservability } from '../lambda/with-observability.js';

async function retire(payload: unknown, _context: Context): Promise<RetireResult> {
  const { pipeline } = (await runtime()).dataset(datasetRef(payload).dataset);
  const result = await retireVersions(pipeline);
  logger.info('retention applied', { ...result });
  return result;
}

export const handler = withObservability(retire);
