import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { evaluateChecks } from '../../../functions/domain/release-checks.js';
import { loadConfig } from '../../../functions/config.js';

describe('release checks', () => {
  test('record-count minimum: pass, fail, and off at 0', () => {
    expect(evaluateChecks({ minRecords: 10 }, { records: 10 })).toMatchObject({ passed: true, checks: [{ name: 'record-count-min', outcome: 'pass', value: 10, threshold: '>= 10' }] });
    expect(evaluateChecks({ minRecords: 10 }, { records: 9 })).toMatchObject({ passed: false, checks: [{ outcome: 'fail', value: 9 }] });
    expect(evaluateChecks({ minRecords: 0 }, { records: 0 })).toEqual({ passed: true, checks: [] });
  });

  test('declared per dataset, with defaults; single dataset from the environment', () => {
    const [a, b] = parseDatasetSpecs([{ name: 'a' }, { name: 'b', promote: 'manual', checks: { minRecords: 0 } }]);
    expect(a).toMatchObject({ promote: 'auto', checks: { minRecords: 1 } });
    expect(b).toMatchObject({ promote: 'manual', checks: { minRecords: 0 } });
    expect(() => parseDatasetSpecs([{ name: 'a', promote: 'later' }])).toThrow(/dataset a: promote must be "auto" or "manual"/);
    expect(() => parseDatasetSpecs([{ name: 'a', checks: { minRecords: -1 } }])).toThrow(/checks.minRecords/);
    expect(loadConfig({ PROMOTE: 'manual', CHECK_MIN_RECORDS: '500' }).datasets[0]).toMatchObject({ promote: 'manual', checks: { minRecords: 500 } });
    expect(() => loadConfig({ PROMOTE: 'sometimes' })).toThrow(/PROMOTE="sometimes" must be auto or manual/);
  });
});
