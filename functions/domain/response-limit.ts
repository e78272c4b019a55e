// A record is only worth storing if the read API can return it. A Lambda invoked synchronously
// (API Gateway) may return at most 6 MB, and that payload is the API response serialised as
// JSON: the body (which embeds the stored value) is itself a JSON string inside it, so every
// `"` and `\` of the value counts twice. The rest of the answer (status, headers, dataset, key,
// version names) is bounded by the key and name limits and fits in the reserve.

/** Lambda's limit on a synchronous invocation's response payload. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
/** Room kept for everything in a one-record answer but the value itself. */
const RESPONSE_ENVELOPE_RESERVE_BYTES = 16 * 1024;
/** The most a stored value may take once escaped into the response payload. */
export const MAX_SERVED_VALUE_BYTES = LAMBDA_RESPONSE_LIMIT_BYTES - RESPONSE_ENVELOPE_RESERVE_BYTES;
/**
 * A stored value is never longer than its record and escaping at most doubles it, so records
 * up to this length can always be served: the default MAX_RECORD_BYTES.
 */
export const ALWAYS_SERVABLE_RECORD_BYTES = Math.floor(MAX_SERVED_VALUE_BYTES / 2);

/** Bytes `value` (stored JSON text) takes inside the response payload's body string. */
export function servedBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value)) - 2;
}

/** Null when the value can be returned by the read API, else why not (a bad record's reason). */
export function unservableReason(value: string): string | null {
  // Each UTF-16 unit takes at most 3 bytes once escaped: short values need no exact count (on every record).
  if (value.length * 3 <= MAX_SERVED_VALUE_BYTES) return null;
  const bytes = servedBytes(value);
  if (bytes <= MAX_SERVED_VALUE_BYTES) return null;
  return `record value is ${bytes} bytes once escaped into an API response, over the ${MAX_SERVED_VALUE_BYTES}-byte room in Lambda's 6 MB response limit: it could be stored but never read`;
}
