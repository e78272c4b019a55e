// Property-based fuzzing (fast-check). The parsers take arbitrary bytes in arbitrary pieces and
// never throw anything but a located BadDataError; record shaping never throws at all. The read
// handler, on a real cluster with a live version, takes arbitrary routes, parameters and
// bodies and never throws, never answers 500, never shows internals, and answers 200 only for
// records that exist: no input reaches outside the dataset's namespace.
import fc from 'fast-check';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { JsonDocumentFramer } from '../../functions/domain/formats/json/json-document-framer.js';
import { LineFramer, lineReadStart } from '../../functions/domain/formats/line-framer.js';
import type { RawRecord, RecordFramer } from '../../functions/domain/raw-record.js';
import { isBad, shapeFor } from '../../functions/domain/record-shape.js';
import type { DatasetSpec } from '../../functions/domain/dataset-spec.js';
import { BadDataError } from '../../functions/errors.js';
import { toHttpApiEvent } from '../../local/api-server.js';
import { lambdaContext, runIngestLocally } from '../../local/state-machine.js';
import { jsonLinesParts } from '../../local/sample-data.js';
import { putObject } from '../support/sluice.js';
import { startHarness, type Harness } from './support/harness.js';
import { DEFAULT_RELEASE_CHECKS } from '../../functions/domain/release-checks.js';

const RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 400);

/** Bytes that stress framing: newlines, CR, quotes, brackets, backslashes, BOM and broken UTF-8 bytes. */
const nasty = fc.constantFrom(0x0a, 0x0d, 0x22, 0x5c, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x20, 0xef, 0xbb, 0xbf, 0xff, 0xc3, 0x80, 0x00);
const bytesArb = fc
  .array(fc.oneof({ weight: 3, arbitrary: nasty }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) }), { maxLength: 400 })
  .map((a) => Buffer.from(a));
/** Plausible documents broken in plausible ways: valid JSON, then cut, spliced or with a byte flipped. */
const jsonishArb = fc
  .tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.nat(255), fc.constantFrom('cut', 'flip', 'asis', 'wrap'))
  .map(([v, at, byte, how]) => {
    const text = Buffer.from(how === 'wrap' ? JSON.stringify({ schema: {}, data: [v, v] }) : JSON.stringify(Array.isArray(v) ? v : [v]));
    if (how === 'cut') return text.subarray(0, at % (text.length + 1));
    if (how === 'flip' && text.length > 0) text[at % text.length] = byte;
    return text;
  });
const piecesArb = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });

function feed(framer: RecordFramer, bytes: Buffer, pieces: number[]): RawRecord[] {
  const out: RawRecord[] = [];
  let i = 0;
  for (let pos = 0; pos < bytes.length && !framer.done; i++) {
    const size = pieces[i % pieces.length]!;
    out.push(...framer.push(bytes.subarray(pos, pos + size)));
    pos += size;
  }
  out.push(...framer.end());
  return out;
}

describe('parsers', () => {
  test('LineFramer: any bytes, any chunk range, any pieces: no throw, records inside the input, limits kept, same records however split', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(), fc.nat(), piecesArb, fc.integer({ min: 1, max: 64 }), (bytes, a, b, pieces, max) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + 1 + (b % Math.max(1, bytes.length - start));
        const from = lineReadStart(start);
        const records = feed(new LineFramer(start, end, max), bytes.subarray(from), pieces);
        const whole = feed(new LineFramer(start, end, max), bytes.subarray(from), [bytes.length + 1]);
        expect(records).toEqual(whole);
        for (const r of records) {
          expect(r.offset).toBeGreaterThanOrEqual(start);
          expect(r.offset).toBeLessThan(end);
          expect(r.offset + r.length).toBeLessThanOrEqual(bytes.length);
          if (r.bytes === null) expect(r.length).toBeGreaterThan(max);
          else expect(r.bytes.length).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });

  test('JsonDocumentFramer: any bytes or broken document, any pieces: records, or a BadDataError with an offset inside the input; the same either way it is split', () => {
    fc.assert(
      fc.property(fc.oneof(bytesArb, jsonishArb), piecesArb, fc.integer({ min: 1, max: 256 }), (bytes, pieces, max) => {
        const outcome = (p: number[]) => {
          try {
            return { records: feed(new JsonDocumentFramer(max), bytes, p) };
          } catch (err) {
            expect(err).toBeInstanceOf(BadDataError);
            const offset = (err as BadDataError).where?.offset;
            expect(offset).toBeGreaterThanOrEqual(0);
            expect(offset).toBeLessThanOrEqual(bytes.length);
            expect((err as Error).message).toMatch(/byte \d+/);
            return { error: (err as Error).message };
          }
        };
        expect(outcome(pieces)).toEqual(outcome([bytes.length + 1]));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  const specs: DatasetSpec[] = [
    { name: 'recs', kind: 'ranked-items', key: { fields: ['userId', 'user_id'], mode: 'first-present' }, itemsFields: ['recommendations', 'SageMakerOutput.recommendations'], jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' },
    { name: 'feats', kind: 'feature-rows', key: { fields: ['tenant', 'id'], mode: 'composite' }, itemsFields: [], fields: { score: 'number', tags: 'array', n: 'integer', meta: 'object', on: 'boolean', any: 'any' }, jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' },
    { name: 'rows', kind: 'feature-rows', key: { fields: ['id'], mode: 'first-present' }, itemsFields: [], jobs: { names: [], prefixes: [] }, checks: DEFAULT_RELEASE_CHECKS, promote: 'auto' },
  ];
  const keyish = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(''), fc.array(fc.integer(), { maxLength: 2 }), fc.string({ minLength: 510, maxLength: 530 }));
  const recordArb = fc.oneof(
    fc.record(
      { userId: keyish, user_id: keyish, id: keyish, tenant: keyish, recommendations: fc.jsonValue({ maxDepth: 2 }), score: fc.jsonValue({ maxDepth: 1 }), tags: fc.jsonValue({ maxDepth: 1 }), n: fc.jsonValue({ maxDepth: 1 }), meta: fc.jsonValue({ maxDepth: 1 }), on: fc.jsonValue({ maxDepth: 0 }), SageMakerOutput: fc.jsonValue({ maxDepth: 2 }) },
      { requiredKeys: [] },
    ).map((o) => Buffer.from(JSON.stringify(o))),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    bytesArb,
  );

  test('record shaping: any record, any dataset kind: a key and a JSON value, or a bad record with a reason; never a throw', () => {
    const shapes = specs.map((s) => shapeFor(s, 300));
    fc.assert(
      fc.property(recordArb, fc.nat(1_000_000), fc.boolean(), (bytes, offset, overLimit) => {
        const record: RawRecord = overLimit && bytes.length > 300 ? { offset, bytes: null, length: bytes.length } : { offset, bytes, length: bytes.length };
        for (const shape of shapes) {
          const out = shape.shape(record);
          if (isBad(out)) {
            expect(out.offset).toBe(offset);
            expect(out.reason.length).toBeGreaterThan(0);
            expect(out.reason.length).toBeLessThan(400);
          } else {
            expect(out.key.length).toBeGreaterThan(0);
            expect(out.key.length).toBeLessThanOrEqual(512);
            expect(() => JSON.parse(out.value) as unknown).not.toThrow();
          }
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });
});

describe('the read API', () => {
  const DATASET = 'fuzzed';
  const USERS = 300;
  let h: Harness;
  let handler: (e: APIGatewayProxyEventV2, c: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;
  const context = lambdaContext('ReadApiFunction');

  beforeAll(async () => {
    h = await startHarness();
    const datasets = [
      { name: DATASET, kind: 'ranked-items', keyCandidates: ['userId'], items: ['recommendations'] },
      { name: 'rows', kind: 'feature-rows', key: 'id' },
    ];
    await h.env({ DATASETS: JSON.stringify(datasets), DATASET, POINTER_CACHE_MS: '1000', REDIS_COMMAND_TIMEOUT_MS: '1000' });
    for (const [i, body] of jsonLinesParts({ users: USERS }, 1).entries()) await putObject('fuzz-bucket', `v1/part-${i}.out`, body);
    expect((await runIngestLocally({ s3Uri: 's3://fuzz-bucket/v1/', version: 'v1', orderKey: 1, dataset: DATASET })).status).toBe('SUCCEEDED');
    // Keys outside the dataset's namespace, and control keys, that no request may ever read.
    await h.admin.hset('sluice:other:v1:0', 'u1', '["other dataset"]');
    await h.admin.set('secret', 'not for readers');
    handler = (await import('../../functions/handlers/read-api.js')).handler as unknown as typeof handler;
  });
  afterAll(() => h?.stop());

  /** Text that tries to escape: hash tags, separators, globs, traversal, encodings, control and odd Unicode. */
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('{', '}', ':', '*', '?', '[', ']', '\\', '/', '%', '.', '\u0000', '\n', '\u0085', '\ud800', 'u', '1', 's', 'l', 'i', 'c', 'e', ' '), maxLength: 30 }),
    fc.constantFrom('*', '{sluice:fuzzed}:current', `sluice:${DATASET}:v1:0`, 'sluice:other:v1:0', '../u1', 'u1/../u2', '%75%31', 'u1%00', 'secret', '{sluice:other}', 'u1\r\nX-Injected: 1', '\u202eu1', 'u1 ', ' u1'),
    fc.string({ minLength: 500, maxLength: 2000 }),
    fc.nat(USERS * 2).map((n) => `u${n}`),
  );

  type Request = { method: string; path: string; routeKey: string; query?: Record<string, string>; pathParameters?: Record<string, string>; body?: string; base64?: boolean };
  const requestArb: fc.Arbitrary<Request> = fc.oneof(
    fc.record({ userId: hostile, rank: fc.oneof(hostile, fc.integer().map(String), fc.constantFrom('0', '1', '10000', '10001', '1e3', '01', '-1', '1.0', ' 1')) }).map(({ userId, rank }) => ({ method: 'GET', path: '/recommendations', routeKey: 'GET /recommendations', query: { userId, rank } })),
    hostile.map((userId) => ({ method: 'GET', path: `/users/x/recommendations`, routeKey: 'GET /users/{userId}/recommendations', pathParameters: { userId } })),
    fc.record({ dataset: fc.oneof(hostile, fc.constantFrom(DATASET, 'rows')), key: hostile, fields: fc.option(hostile, { nil: undefined }) }).map(({ dataset, key, fields }) => ({
      method: 'GET', path: '/datasets/x/items/y', routeKey: 'GET /datasets/{dataset}/items/{key}', pathParameters: { dataset, key }, query: fields === undefined ? undefined : { fields },
    })),
    fc.record({ dataset: fc.oneof(hostile, fc.constant(DATASET)), body: fc.oneof(hostile, fc.jsonValue().map((v) => JSON.stringify(v)), fc.array(fc.oneof(hostile, fc.jsonValue()), { maxLength: 120 }).map((keys) => JSON.stringify({ keys }))), base64: fc.boolean() }).map(({ dataset, body, base64 }) => ({
      method: 'POST', path: '/datasets/x/batch-get', routeKey: 'POST /datasets/{dataset}/batch-get', pathParameters: { dataset }, body: base64 ? Buffer.from(body).toString('base64') : body, base64,
    })),
    // Raw requests as the local server would build them: method and path only, no routeKey.
    fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD'), path: fc.oneof(hostile, hostile.map((s) => `/users/${/\p{Cs}/u.test(s) ? s : encodeURIComponent(s)}/recommendations`), hostile.map((s) => `/datasets/${s}/items/${s}`)) }).map(({ method, path }) => ({ method, path: path.startsWith('/') ? path : `/${path}`, routeKey: '$default' })),
  );

  function eventOf(r: Request): APIGatewayProxyEventV2 {
    let event: APIGatewayProxyEventV2;
    try {
      event = toHttpApiEvent(r.method, r.path, {}, r.body);
    } catch {
      event = toHttpApiEvent(r.method, '/', {}, r.body);
      event.rawPath = r.path;
    }
    return { ...event, routeKey: r.routeKey, queryStringParameters: r.query ?? event.queryStringParameters, pathParameters: r.pathParameters, isBase64Encoded: r.base64 ?? false };
  }

  test('no request makes the handler throw or answer 500; errors are JSON without internals; 200 only for records that exist', async () => {
    const seen: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const answer = await handler(eventOf(r), context);
        const status = answer.statusCode ?? 0;
        seen[status] = (seen[status] ?? 0) + 1;
        expect([200, 400, 404, 503]).toContain(status);
        const body = JSON.parse(answer.body ?? '') as { error?: { code: string; message: string }; userId?: string; key?: string; version?: string; results?: { key: string; found: boolean }[] };
        const text = answer.body ?? '';
        expect(text).not.toMatch(/at .*\.(ts|js):\d+|Error:|ReplyError|ioredis|stack|NOPERM|WRONGPASS|127\.0\.0\.1|not for readers|other dataset/);
        if (status === 503) expect(body.error?.code).toBe('no_live_version'); // only the never-loaded "rows" dataset
        if (status !== 200) {
          expect(Object.keys(body)).toEqual(['error']);
          expect(Object.keys(body.error!).sort()).toEqual(['code', 'message']);
          return;
        }
        // A 200 is a real record of this dataset's live version: u0..u299 only.
        expect(body.version).toBe('v1');
        const found = body.results ? body.results.filter((e) => e.found).map((e) => e.key) : [body.userId ?? body.key];
        for (const id of found) expect(id).toMatch(/^u([0-9]|[1-9][0-9]|[12][0-9][0-9])$/);
      }),
      { numRuns: RUNS * 3 },
    );
    console.log(`API fuzz: statuses ${JSON.stringify(seen)}`);
    expect(seen[400]).toBeGreaterThan(0);
    expect(seen[404]).toBeGreaterThan(0);
  }, 120_000);

  test('the hardened limits: length, control and C1 characters, unpaired surrogates, rank bounds', async () => {
    const get = async (path: string, query?: Record<string, string>, pathParameters?: Record<string, string>) =>
      handler({ ...toHttpApiEvent('GET', path, {}, undefined), routeKey: pathParameters ? 'GET /users/{userId}/recommendations' : 'GET /recommendations', queryStringParameters: query, pathParameters }, context);
    const user = async (userId: string) => JSON.parse((await get('/users/x/recommendations', undefined, { userId })).body!) as { error?: { message: string } };
    expect((await user('x'.repeat(513))).error?.message).toBe('userId must be at most 512 characters');
    expect((await user('a\u0000b')).error?.message).toBe('userId must not contain control characters');
    expect((await user('a\u0085b')).error?.message).toBe('userId must not contain control characters');
    expect((await user('a\ud800b')).error?.message).toBe('userId must be valid Unicode (it holds an unpaired surrogate)');
    expect((await user('{sluice:fuzzed}:current')).error?.message).toBe('no recommendations for user {sluice:fuzzed}:current');
    expect((await user('u1')).error).toBeUndefined();
    for (const rank of ['0', '10001', '-1', '1e3', '1.5', '']) expect((await get('/recommendations', { userId: 'u1', rank })).statusCode).toBe(400);
    expect((await get('/recommendations', { userId: 'u1', rank: '1' })).statusCode).toBe(200);
  });
});
