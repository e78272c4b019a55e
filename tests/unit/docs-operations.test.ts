// docs/operations.md is where an operator looks up a metric or an alarm: every metric the
// functions emit and every alarm the template deploys is named there, so one added to the code
// without a word on the page fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { loadTemplate, resourcesOfType } from './template/cfn.js';

const root = new URL('../../', import.meta.url);
const page = readFileSync(new URL('docs/operations.md', root), 'utf8');
const section = (heading: string): string => {
  const start = page.indexOf(`\n## ${heading}\n`);
  const end = page.indexOf('\n## ', start + 1);
  return start < 0 ? '' : page.slice(start, end < 0 ? undefined : end);
};

test('every metric the functions emit is named under "Logs and metrics"', () => {
  const code = readdirSync(new URL('functions', root), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => readFileSync(new URL(`functions/${file}`, root), 'utf8'))
    .join('\n');
  // emitMetrics(dataset, [['Name', MetricUnit.X, value]]) and metrics.addMetric('Name', ...)
  const names = new Set([...code.matchAll(/(?:\[\s*|addMetric\()'([A-Z]\w+)',\s*MetricUnit\./g)].map((m) => m[1] ?? ''));
  expect(names).toContain('RecordsLoaded');
  const text = section('Logs and metrics');
  expect([...names].filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
});

test('every alarm of template.yaml is named under "Alarms" or "Freshness"', () => {
  const alarms = resourcesOfType(loadTemplate(new URL('template.yaml', root)), 'AWS::CloudWatch::Alarm').map(([id]) => id);
  expect(alarms.length).toBeGreaterThan(3);
  const text = section('Alarms') + section('Freshness');
  expect(alarms.filter((id) => !text.includes(`*${id}*`))).toEqual([]);
});
