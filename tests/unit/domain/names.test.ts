import { loadTemplate } from '../template/cfn.js';
import { DATASET_NAME, VERSION_ID, assertName } from '../../../functions/domain/names.js';
import { loadConfig } from '../../../functions/config.js';
import { parseDatasetSpecs } from '../../../functions/domain/dataset-spec.js';
import { ConfigError, InvalidInputError } from '../../../functions/errors.js';

describe('one rule per kind of name', () => {
  test('the template allows exactly the dataset names the code does', () => {
    const template = loadTemplate(new URL('../../../template.yaml', import.meta.url));
    const parameter = (template.Parameters as Record<string, { AllowedPattern?: string }>).DatasetName;
    expect(parameter?.AllowedPattern).toBe(DATASET_NAME.source);
  });

  test('versions may hold dots, datasets may not; everywhere a dataset is named', () => {
    expect(VERSION_ID.test('2026.11.24')).toBe(true);
    expect(DATASET_NAME.test('recs.v2')).toBe(false);
    expect(() => assertName('version', '2026.11.24')).not.toThrow();
    expect(() => assertName('dataset', 'recs.v2')).toThrow(InvalidInputError);
    expect(() => loadConfig({ DATASET: 'recs.v2' })).toThrow(ConfigError);
    expect(() => parseDatasetSpecs([{ name: 'recs.v2' }])).toThrow(ConfigError);
  });
});
