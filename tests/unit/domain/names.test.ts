import { DATASET_NAME, VERSION_ID, assertName } from '../../../functions/domain/names.js';
import { loadConfig } from '../../../functions/config.js';
import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { ConfigError, InvalidInputError } from '../../../functions/errors.js';
import { datasetVars } from '../../../local/datasets-file.js';

describe('one rule per kind of name', () => {
  test('versions may hold dots, datasets may not; everywhere a dataset is named', () => {
    expect(VERSION_ID.test('2026.11.24')).toBe(true);
    expect(DATASET_NAME.test('recs.v2')).toBe(false);
    expect(() => assertName('version', '2026.11.24')).not.toThrow();
    expect(() => assertName('dataset', 'recs.v2')).toThrow(InvalidInputError);
    expect(() => loadConfig(datasetVars('recs.v2'))).toThrow(ConfigError);
    expect(() => parseDatasetSpecs([{ name: 'recs.v2' }])).toThrow(ConfigError);
  });
});
