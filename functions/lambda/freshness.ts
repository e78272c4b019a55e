// The admin function's `freshness` action, run every 5 minutes by the stack's schedule
// (FreshnessSchedule): each dataset's live version's age as the metric LiveVersionAgeHours
// (dimension dataset), and the oldest over this stack's datasets as OldestLiveVersionAgeHours
// (no dataset dimension), which the stale-data alarm watches. A dataset with nothing live has
// no age and adds nothing. When no dataset has a live version yet (a new stack before its first
// load), the oldest age is reported as 0: nothing stale is being served, and an alarm that
// fired after every fresh deploy would teach people to ignore it (a failed first load raises
// IngestFailedAlarm). Only a report that does not come (schedule stopped, function failing,
// Redis unreachable) is missing data, which the alarm treats as breaching.
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
  const single = metrics.singleMetric();
  if (ages.length === 0) {
    single.addMetric('OldestLiveVersionAgeHours', MetricUnit.NoUnit, 0);
    return { datasets };
  }
  const oldestAgeHours = Math.max(...ages);
  single.addMetric('OldestLiveVersionAgeHours', MetricUnit.NoUnit, oldestAgeHours);
  return { datasets, oldestAgeHours };
}
