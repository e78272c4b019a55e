// The correction log's entries are read by position (a replay parses 100k headers): every header
// LOG_PUT writes must come back as written, whatever its request id holds.
import { parseEntry } from '../../../functions/adapters/correction-store.js';

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
