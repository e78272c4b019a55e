import { ALWAYS_SERVABLE_RECORD_BYTES, LAMBDA_RESPONSE_LIMIT_BYTES, MAX_SERVED_VALUE_BYTES, servedBytes, unservableReason } from '../../../functions/domain/response-limit.js';
import { shapeFor } from '../../../functions/domain/record-shape.js';
import { DEFAULT_KEY_FIELDS, DEFAULT_ITEMS_FIELDS } from '../../../functions/domain/dataset-spec.js';
import { DEFAULT_RELEASE_CHECKS } from '../../../functions/domain/release-checks.js';
import { loadConfig } from '../../../functions/config.js';

const spec = {
  name: 'r',
  kind: 'ranked-items' as const,
  key: { fields: DEFAULT_KEY_FIELDS, mode: 'first-present' as const },
  itemsFields: DEFAULT_ITEMS_FIELDS,
  jobs: { names: [], prefixes: [''] },
  checks: DEFAULT_RELEASE_CHECKS,
  promote: 'auto' as const, rewindWindowHours: 24,
};
const record = (text: string) => ({ offset: 42, bytes: Buffer.from(text), length: Buffer.byteLength(text) });

describe('what the read API can return through Lambda', () => {
  test('a value counts as it is escaped into the response payload: quotes and backslashes twice', () => {
    expect(servedBytes('[1,2]')).toBe(5);
    expect(servedBytes('["a"]')).toBe(7);
    expect(servedBytes('["\\n"]')).toBe(9);
    expect(servedBytes('["é"]')).toBe(8); // UTF-8 bytes, not escaped
  });

  test('the default MAX_RECORD_BYTES: any record up to it fits, however it is written', () => {
    expect(loadConfig({}).load.maxRecordBytes).toBe(ALWAYS_SERVABLE_RECORD_BYTES);
    expect(ALWAYS_SERVABLE_RECORD_BYTES).toBe(3_137_536);
    const worst = '"\\"' + '\\\\'.repeat((ALWAYS_SERVABLE_RECORD_BYTES - 4) / 2) + '"'; // all escapes
    expect(worst.length).toBeLessThanOrEqual(ALWAYS_SERVABLE_RECORD_BYTES);
    expect(servedBytes(worst)).toBeLessThanOrEqual(MAX_SERVED_VALUE_BYTES);
    expect(unservableReason(worst)).toBeNull();
    expect(MAX_SERVED_VALUE_BYTES).toBeLessThan(LAMBDA_RESPONSE_LIMIT_BYTES);
  });

  test('a value over the room is a bad record saying why; the same length of digits is not', () => {
    const strings = `["${'","'.repeat(1_100_000)}"]`; // 3.3 MB of short strings, 5.5 MB escaped: fits
    const over = `[${'"",'.repeat(1_300_000)}""]`; // 3.9 MB, 6.5 MB escaped
    const digits = `[${'7,'.repeat(2_000_000)}7]`; // 4 MB, 4 MB escaped
    expect(unservableReason(digits)).toBeNull();
    expect(unservableReason(strings)).toBeNull();
    expect(unservableReason(over)).toBe(
      `record value is ${servedBytes(over)} bytes once escaped into an API response, over the 6275072-byte room in Lambda's 6 MB response limit: it could be stored but never read`,
    );
    const shape = shapeFor(spec, 16 << 20);
    expect(shape.shape(record(`{"userId":"u1","recommendations":${over}}`))).toEqual({ offset: 42, reason: unservableReason(over) });
    expect(shape.shape(record(`{"userId":"u1","recommendations":${digits}}`))).toMatchObject({ key: 'u1', value: digits });
    // The JSON.parse path (an escaped member name) applies the same rule.
    expect(shape.shape(record(`{"user\\u0049d":"x","userId":"u1","recommendations":${over}}`))).toEqual({ offset: 42, reason: unservableReason(over) });
  });
});
