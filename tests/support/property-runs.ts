// How many cases a property test generates: a quarter in `npm test` (the loop for an edit), all
// of them in CI, which runs the domain tests again with SLUICE_PROPERTY_RUNS=full (.ci/run).
export function propertyRuns(full: number): number {
  return process.env.SLUICE_PROPERTY_RUNS === 'full' ? full : Math.ceil(full / 4);
}
