// The correction log's entries are read by position (a replay parses 100k headers): every header
// LOG_PUT writes must come back as written, whatever its request id holds.
import { loggedValue, parseEntry } from '../../../functions/adapters/correction-store.js';

/** An entry as CorrectionStore.log and the LOG_PUT script compose it. */
const stored = (gen: number, at: number, requestId: string, value: string) => `{"gen":${gen},${JSON.stringify({ at, requestId }).slice(1)}\n${value}`;

test.each([
  ['a plain id', 'c0ffee-1234'],
  ['an empty id', ''],
  ['quotes and backslashes', 'a"b\\c'],
  ['what looks like the header', ',"at":1,"requestId":"x"}'],
  ['non-ASCII and a newline', 'réq\n中'],
])('%s: gen, at, request id and value come back as written', (_, requestId) => {
  const value = '{"items":[["i1",0.5]],"note":"a,\\"at\\":2\\n"}';
  expect(parseEntry('u1', stored(42, 1_765_000_000_123, requestId, value))).toEqual({ key: 'u1', gen: 42, at: 1_765_000_000_123, requestId, value });
});

test('a header in another form is read as JSON', () => {
  expect(parseEntry('k', '{"at":5,"gen":7,"requestId":"r"}\nv')).toEqual({ key: 'k', gen: 7, at: 5, requestId: 'r', value: 'v' });
});

// A load's chunk takes an entry as bytes and writes its value as it is (loggedValue): the time must
// be the header's and the value's bytes exactly the stored value's, multi-byte characters included.
test.each([
  ['a plain id', 'c0ffee-1234'],
  ['non-ASCII and a newline in the id', 'réq\n中'],
])('as bytes, %s: the time and the value bytes come back as written', (_, requestId) => {
  const value = '{"items":[["é1",0.5]],"note":"中\\n"}';
  const got = loggedValue('u1', Buffer.from(stored(3, 1_765_000_000_456, requestId, value)));
  expect(got.at).toBe(1_765_000_000_456);
  expect(got.value.equals(Buffer.from(value))).toBe(true);
});

test('as bytes, an entry without a header line is an error that names the key', () => {
  expect(() => loggedValue('u7', Buffer.from('{"gen":1,"at":2}'))).toThrow(/entry for u7 has no newline/);
});
