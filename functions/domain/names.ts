// The names that end up in Redis keys, one rule per kind.
// - A dataset name: no dots. It is configuration (the `name` of a declaration in the datasets
//   file) and names the {sluice:<dataset>} hash tag and metric dimensions.
// - A version id: dots allowed, for ids such as 2026.11.24 given with a manual run.
import { InvalidInputError } from '../errors.js';

export const DATASET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const DATASET_NAME_RULE = "1-64 letters, digits, '_' or '-'";

export const VERSION_ID = /^[A-Za-z0-9._-]{1,64}$/;
const VERSION_ID_RULE = '1-64 characters of A-Z a-z 0-9 . _ -';

/** Throws InvalidInputError unless `value` follows the rule for its kind. */
export function assertName(kind: 'dataset' | 'version', value: string): void {
  const [rule, text] = kind === 'dataset' ? [DATASET_NAME, DATASET_NAME_RULE] : [VERSION_ID, VERSION_ID_RULE];
  if (!rule.test(value)) throw new InvalidInputError(`${kind} ${JSON.stringify(value)} must be ${text}`);
}
