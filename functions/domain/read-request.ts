// Validation of what readers ask for. Keys are looked up as hash fields inside a bucket, never
// spliced into a Redis key name, so no input can reach another namespace; the limits below
// are for sanity and to keep logs and errors small.
import { InvalidInputError } from '../errors.js';
import { MAX_KEY_LENGTH } from './record-shape.js';

export const MAX_RANK = 10_000;

// Printable characters only: no control characters (they would end up in logs).
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/u;

export function parseUserId(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw new InvalidInputError('userId is required');
  if (raw.length > MAX_KEY_LENGTH) throw new InvalidInputError(`userId must be at most ${MAX_KEY_LENGTH} characters`);
  if (!PRINTABLE.test(raw)) throw new InvalidInputError('userId must not contain control characters');
  return raw;
}

export function parseRank(raw: string | undefined): number {
  if (raw === undefined || raw === '') throw new InvalidInputError('rank is required');
  if (!/^[0-9]{1,6}$/.test(raw)) throw new InvalidInputError(`rank must be an integer between 1 and ${MAX_RANK}`);
  const rank = Number(raw);
  if (rank < 1 || rank > MAX_RANK) throw new InvalidInputError(`rank must be an integer between 1 and ${MAX_RANK}`);
  return rank;
}
