// The admin function's `freshness` action, run every 5 minutes by the stack's schedule
// (FreshnessSchedule): each dataset's live version's age as the metric LiveVersionAgeHours
// (dimension dataset), and the oldest over this stack's datasets as OldestLiveVersionAgeHours
// (no dataset dimension), which the stale-data alarm watches. A dataset with nothing live has
// no age and adds nothing; when no dataset has a live version nothing is emitted at all, and
// the alarm, treating missing data as breaching, fires as it does when the schedule stops.
import { liveVersionFreshness, type DatasetFreshness } from '../pipeline/version-freshness.js';
import { emitMetrics, logger, metrics, MetricUnit } from './observability.js';
import type { Runtime } from './runtime.js';

export interface FreshnessReport {
  datasets: DatasetFreshness[];
  /** The largest age over datasets with a live version; absent when none has one. */
  oldestAgeHours?: number;
}

export async function reportFreshness(rt: Runtime): Promise<FreshnessReport> {
  const datasets: DatasetFreshness[] = [];
  for (const d of rt.datasets) datasets.push(await liveVersionFreshness(d.pipeline));
  const ages = datasets.flatMap((d) => (d.ageHours === undefined ? [] : [d.ageHours]));
  for (const d of datasets) {
    if (d.ageHours !== undefined) emitMetrics(d.dataset, [['LiveVersionAgeHours', MetricUnit.NoUnit, d.ageHours]]);
    else logger.warn('dataset has no live version to age', { dataset: d.dataset, liveVersion: d.liveVersion });
  }
  if (ages.length === 0) return { datasets };
  const oldestAgeHours = Math.max(...ages);
  const single = metrics.singleMetric();
  single.addMetric('OldestLiveVersionAgeHours', MetricUnit.NoUnit, oldestAgeHours);
  return { datasets, oldestAgeHours };
}
