// The one test for "a JSON object" (not null, not an array) that inputs, events and
// configuration are checked with; each caller throws the error its contract names.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
