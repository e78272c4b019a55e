// Validation of what readers ask for. Keys are looked up as hash fields inside a bucket, never
// spliced into a Redis key name, so no input can reach another namespace; the limits below
// are for sanity and to keep logs and errors small.
import { InvalidInputError } from '../errors.js';
import { MAX_KEY_LENGTH } from './record-shape.js';
import { VERSION_HEADER, VERSION_PARAMETER } from './pinned-version.js';

const MAX_RANK = 10_000;

// Printable characters only: no C0 or C1 control characters (they would end up in logs), and
// no unpaired UTF-16 surrogates (they have no UTF-8 form: two different inputs would look up
// the same U+FFFD key).
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]+$/u;
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * One percent-encoded URL component (a path segment, a query name or value), decoded strictly:
 * a `%` not followed by two hex digits, or bytes that are not UTF-8, is a 400 naming where it
 * was, the same in the path and in the query. (Decoding leniently would make `%ff` a literal key
 * in a path and U+FFFD in a query.)
 */
export function decodeUrlComponent(raw: string, where: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidInputError(`invalid percent-encoding in ${where} (a % must start a UTF-8 byte as two hex digits)`);
  }
}

/**
 * A raw query string as API Gateway HTTP API (payload 2.0) hands it on: names and values decoded
 * (`+` is a space), a parameter given more than once joined with commas (`a=1&a=2` → `"1,2"`).
 */
export function parseQueryString(raw: string): Record<string, string> | undefined {
  if (raw === '') return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeUrlComponent((at < 0 ? pair : pair.slice(0, at)).replace(/\+/g, ' '), 'the query string');
    const value = at < 0 ? '' : decodeUrlComponent(pair.slice(at + 1).replace(/\+/g, ' '), 'the query string');
    out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function parseUserId(raw: string | undefined): string {
  return parseKey(raw, 'userId');
}

export function parseRank(raw: string | undefined): number {
  if (raw === undefined || raw === '') throw new InvalidInputError('rank is required');
  if (!/^[0-9]{1,6}$/.test(raw)) throw new InvalidInputError(`rank must be an integer between 1 and ${MAX_RANK}`);
  const rank = Number(raw);
  if (rank < 1 || rank > MAX_RANK) throw new InvalidInputError(`rank must be an integer between 1 and ${MAX_RANK}`);
  return rank;
}

const MAX_BATCH_KEYS = 100;
const MAX_FIELDS = 100;

/** `fields=a,b` → ['a', 'b']; absent → undefined (all fields). */
export function parseFields(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const fields = raw.split(',').map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw new InvalidInputError('fields must list at least one field name, e.g. fields=a,b');
  if (fields.length > MAX_FIELDS) throw new InvalidInputError(`fields may name at most ${MAX_FIELDS} fields`);
  for (const f of fields) {
    if (f.length > 128 || !PRINTABLE.test(f)) throw new InvalidInputError('field names must be at most 128 printable characters');
  }
  return fields;
}

/** The body of a batch-get: {"keys": [...]} with 1..MAX_BATCH_KEYS string keys (integers accepted). */
export function parseBatchKeys(body: string | undefined): string[] {
  if (!body) throw new InvalidInputError('the request body must be JSON: {"keys": [...]}');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidInputError('the request body is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new InvalidInputError('"keys" must be a non-empty array');
  if (keys.length > MAX_BATCH_KEYS) throw new InvalidInputError(`"keys" may hold at most ${MAX_BATCH_KEYS} keys`);
  return keys.map((k, i) => {
    const key = typeof k === 'number' && Number.isSafeInteger(k) ? String(k) : k;
    if (typeof key !== 'string') throw new InvalidInputError(`keys[${i}] must be a string`);
    return parseKey(key, `keys[${i}]`);
  });
}

/** A record key from a path or a body. */
export function parseKey(raw: string | undefined, what = 'key'): string {
  if (raw === undefined || raw === '') throw new InvalidInputError(`${what} is required`);
  if (raw.length > MAX_KEY_LENGTH) throw new InvalidInputError(`${what} must be at most ${MAX_KEY_LENGTH} characters`);
  if (!PRINTABLE.test(raw)) throw new InvalidInputError(`${what} must not contain control characters`);
  if (UNPAIRED_SURROGATE.test(raw)) throw new InvalidInputError(`${what} must be valid Unicode (it holds an unpaired surrogate)`);
  return raw;
}

const VERSION_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The version a read is pinned to, from the `version` query parameter and/or the
 * `x-sluice-version` header (either; both must agree); undefined when neither is given, i.e.
 * the live version.
 */
export function parsePinnedVersion(query: string | undefined, header: string | undefined): string | undefined {
  if (query === undefined && header === undefined) return undefined;
  if (query !== undefined && header !== undefined && query !== header) {
    throw new InvalidInputError(`the ${VERSION_PARAMETER} parameter and the ${VERSION_HEADER} header name different versions; give one, or the same in both`);
  }
  const version = (query ?? header)!;
  const where = query !== undefined ? `the ${VERSION_PARAMETER} parameter` : `the ${VERSION_HEADER} header`;
  if (!VERSION_NAME.test(version)) throw new InvalidInputError(`${where} must name a version: 1-64 characters of A-Z a-z 0-9 . _ -`);
  return version;
}
