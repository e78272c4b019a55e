// The middleware every pipeline handler shares: Lambda context and per-invocation keys in
// every log line, metrics flushed at the end, and one log line per failure with its name.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger, metrics } from './observability.js';

export function withObservability<E, R>(fn: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      // Flush only when something was recorded (logMetrics would warn on every empty flush).
      after: async () => {
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      },
      onError: async (request) => {
        const err = request.error;
        logger.error('invocation failed', { errorName: err?.name, errorMessage: err?.message });
      },
    });
}
