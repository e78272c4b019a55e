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

type Unit = Parameters<Metrics['addMetric']>[1];

/**
 * Emits metrics with the dataset as their dimension. Each goes out as its own single-metric
 * blob, so invocations running side by side in one process (the local runner) never share
 * dimensions; in Lambda it costs nothing extra (EMF is a log line).
 */
export function emitMetrics(dataset: string, entries: [name: string, unit: Unit, value: number][], dimensions: Record<string, string> = {}): void {
  for (const [name, unit, value] of entries) {
    const single = metrics.singleMetric();
    single.addDimension('dataset', dataset);
    for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
    single.addMetric(name, unit, value);
  }
}
