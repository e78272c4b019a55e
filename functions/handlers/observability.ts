// One logger and one metrics emitter per container (Powertools: structured JSON logs and
// CloudWatch EMF metrics without an API call on the hot path).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sluice' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Sluice',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sluice',
});
export { MetricUnit } from '@aws-lambda-powertools/metrics';
