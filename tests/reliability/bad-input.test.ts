// Bad input through the real state machine: each case either loads with its bad records counted
// and sampled (object, byte offset, reason), or fails with a located error; never a crash, and
// a failed load leaves the live version answering and none of its own keys.
import { jsonLinesParts } from '../../local/sample-data.js';
import { runIngestLocally, type LocalRunResult } from '../../local/state-machine.js';
import { api, eventually, putObject } from '../support/sluice.js';
import { countKeys, livePointer, startHarness, versionKeyCount, type Harness } from './support/harness.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'badinput';
const BUCKET = 'bad-input-bucket';
let h: Harness;
let order = 1000;

interface Committed {
  records: number;
  badRecords: number;
  samples: { object: string; offset: number; reason: string }[];
}
const committed = (run: LocalRunResult) => (run.output as { result: { commit: Committed } }).result.commit;
const line = (userId: unknown, items: unknown = [1, 2, 3]) => JSON.stringify({ userId, recommendations: items });
const ingest = (prefix: string, version: string) => runIngestLocally({ s3Uri: `s3://${BUCKET}/${prefix}`, version, orderKey: (order += 1000) });

/** A failed load: the live version is still live and answering, the failed one has no keys. */
/** Bad input is the subject here, not the release checks: each load is compared with whatever the last test left live. */
const CHECKS_OFF = datasetVars({ name: DATASET, checks: { minLiveKeyCoverage: false, maxRecordDrop: false, maxRecordGrowth: false, duplicateKeys: 'last-wins', maxEmptyListShareIncrease: false, maxListLengthFactor: false } });

async function expectCleanFailure(run: LocalRunResult, version: string, live: { version: string; user: string }): Promise<void> {
  expect(run.status).toBe('FAILED');
  expect((await livePointer(h.admin, DATASET))?.version).toBe(live.version);
  expect(await api(`/users/${live.user}/recommendations`)).toMatchObject({ status: 200, body: { version: live.version } });
  await eventually(() => versionKeyCount(h.admin, DATASET, version), (n) => n === 0);
}

beforeAll(async () => {
  h = await startHarness();
  await h.env({ CHUNK_SIZE_BYTES: String(1 << 20), MAP_CONCURRENCY: '3', MAX_BAD_RECORD_RATIO: '0.01', ...CHECKS_OFF });
  for (const [i, body] of jsonLinesParts({ users: 2000 }, 2).entries()) await putObject(BUCKET, `live/part-${i}.out`, body);
  const first = await ingest('live/', 'live');
  expect([first.status, first.error, first.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
});
afterAll(() => h?.stop());

test('a truncated JSON Lines file: its cut last record is one bad record, located; the rest loads', async () => {
  const body = jsonLinesParts({ users: 1000 }, 1)[0]!.toString();
  const cut = body.slice(0, body.length - 25); // mid-record, no final newline
  await putObject(BUCKET, 'truncated/part-0.out', cut);
  const run = await ingest('truncated/', 'truncated');
  expect(run.status).toBe('SUCCEEDED');
  const c = committed(run);
  expect(c).toMatchObject({ records: 999, badRecords: 1 });
  expect(c.samples).toEqual([{ object: `${BUCKET}/truncated/part-0.out`, offset: cut.lastIndexOf('\n') + 1, reason: expect.stringMatching(/^malformed JSON( at character \d+|: it ends too early)?$/) }]);
});

test('a truncated JSON document fails the load with the object and byte offset', async () => {
  const doc = JSON.stringify({ schema: { fields: [] }, data: Array.from({ length: 500 }, (_, i) => ({ userId: i, movieId: [i, i + 1] })) });
  await putObject(BUCKET, 'truncated-doc/movies.json.out', doc.slice(0, 4000));
  const run = await ingest('truncated-doc/', 'truncdoc');
  await expectCleanFailure(run, 'truncdoc', { version: 'truncated', user: 'u1' });
  expect(run.error).toBe('BadDataError');
  expect(run.cause).toBe(`s3://${BUCKET}/truncated-doc/movies.json.out: the JSON document is truncated: it ends at byte 4000 with 4 unclosed bracket(s)`);
});

test('malformed lines below the threshold are counted and sampled at their exact offsets', async () => {
  const lines = jsonLinesParts({ users: 3000 }, 1)[0]!.toString().trimEnd().split('\n');
  const broken = [17, 1500, 2999]; // 3 of 3000: under 1% (a chunk keeps 3 samples)
  for (const i of broken) lines[i] = lines[i]!.replace('"recommendations":[', '"recommendations":[,');
  const body = lines.join('\n') + '\n';
  await putObject(BUCKET, 'some-bad/part-0.out', body);
  const run = await ingest('some-bad/', 'somebad');
  expect(run.status).toBe('SUCCEEDED');
  const c = committed(run);
  expect(c).toMatchObject({ records: 2997, badRecords: 3 });
  const offsets = broken.map((i) => lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
  expect(c.samples.map((s) => s.offset)).toEqual(offsets);
  for (const s of c.samples) {
    expect(s.object).toBe(`${BUCKET}/some-bad/part-0.out`);
    const line = body.slice(s.offset, body.indexOf('\n', s.offset));
    expect(line).toContain('[,'); // the offset points at the bad line itself
    expect(s.reason).toMatch(/^malformed JSON( at character \d+)?$/); // located by offset, never quoting the record
  }
  expect((await api('/users/u16/recommendations')).body.version).toBe('somebad');
  expect((await api('/users/u17/recommendations')).status).toBe(404); // the broken one was not stored
});

test('invalid UTF-8, a missing key field and keys of the wrong type are bad records with a reason each', async () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from([0x7b, 0x22, 0x75, 0x73, 0x65, 0x72, 0x49, 0x64, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), /^record is not valid UTF-8$/],
    [Buffer.from(JSON.stringify({ user: 'x', recommendations: [1] })), /^no key field \(userId, user_id\)$/],
    [Buffer.from(line(1.5)), /^key field "userId" is a number; expected a string or an integer$/],
    [Buffer.from(line(true)), /^key field "userId" is a boolean; expected a string or an integer$/],
    [Buffer.from(line({ id: 1 })), /^key field "userId" is an object; expected a string or an integer$/],
    [Buffer.from(line(null)), /^key field "userId" is null; expected a string or an integer$/],
    [Buffer.from(line('')), /^key field "userId" is empty$/],
    [Buffer.from(line(2 ** 60)), /^key field "userId" is a number; expected a string or an integer$/],
    [Buffer.from(line('k'.repeat(600))), /^the key is longer than 512 characters$/],
    [Buffer.from(line('u-items', 'not-an-array')), /^items field "recommendations" is a string; expected an array$/],
    [Buffer.from('[1,2,3]'), /^record is a JSON array, not an object$/],
  ];
  // One bad record at the end of each object, cut into 4 KiB chunks: one sample per chunk, all kept in the chunk results.
  for (const [i, [bad]] of cases.entries()) {
    const good = Array.from({ length: 200 }, (_, k) => line(`g${i}-${k}`)).join('\n');
    await putObject(BUCKET, `kinds/part-${String(i).padStart(2, '0')}.out`, Buffer.concat([Buffer.from(good + '\n'), bad, Buffer.from('\n')]));
  }
  await h.env({ CHUNK_SIZE_BYTES: '4096', MAP_CONCURRENCY: '3', MAX_BAD_RECORD_RATIO: '0.01', ...CHECKS_OFF });
  const run = await ingest('kinds/', 'kinds');
  await h.env({ CHUNK_SIZE_BYTES: String(1 << 20), MAP_CONCURRENCY: '3', MAX_BAD_RECORD_RATIO: '0.01', ...CHECKS_OFF });
  expect(run.status).toBe('SUCCEEDED');
  expect(committed(run)).toMatchObject({ records: 200 * cases.length, badRecords: cases.length });
  const results = Object.values(await h.admin.hgetall(`{sluice:${DATASET}}:chunks:kinds`)).map((v) => JSON.parse(v) as Committed);
  const samples = results.flatMap((r) => r.samples).sort((a, b) => a.object.localeCompare(b.object));
  expect(samples).toHaveLength(cases.length);
  for (const [i, [, reason]] of cases.entries()) {
    expect(samples[i]!.object).toBe(`${BUCKET}/kinds/part-${String(i).padStart(2, '0')}.out`);
    expect(samples[i]!.offset).toBe(Buffer.byteLength(Array.from({ length: 200 }, (_, k) => line(`g${i}-${k}`)).join('\n') + '\n'));
    expect(samples[i]!.reason).toMatch(reason);
  }
}, 60_000);

/** The read API's raw Lambda result for `path`, and the size of that result as Lambda returns it (JSON). */
async function lambdaAnswer(path: string): Promise<{ status: number; payloadBytes: number; body: Record<string, unknown> }> {
  const { handler } = await import('../../functions/handlers/read-api.js');
  const { toHttpApiEvent } = await import('../../local/api-server.js');
  const { lambdaContext } = await import('../../local/state-machine.js');
  const r = (await (handler as unknown as (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }>)(toHttpApiEvent('GET', path, {}, undefined), lambdaContext('ReadApiFunction')));
  return { status: r.statusCode, payloadBytes: Buffer.byteLength(JSON.stringify(r)), body: JSON.parse(r.body) as Record<string, unknown> };
}

test('record size: what loads can be returned through Lambda (6 MB); what could not be is a located bad record saying so', async () => {
  const { ALWAYS_SERVABLE_RECORD_BYTES, LAMBDA_RESPONSE_LIMIT_BYTES } = await import('../../functions/domain/response-limit.js');
  const { loadConfig } = await import('../../functions/config.js');
  expect(loadConfig({}).load.maxRecordBytes).toBe(ALWAYS_SERVABLE_RECORD_BYTES);
  const around = (prefix: string) => Array.from({ length: 500 }, (_, i) => line(`${prefix}${i}`)).join('\n');
  const numbers = (user: string, bytes: number) => line(user, []).slice(0, -2) + '7,'.repeat(Math.floor((bytes - 40) / 2)) + '7]}';
  // The default limit: a record just under it loads, and its answer fits Lambda's response limit.
  const largest = numbers('u-largest', ALWAYS_SERVABLE_RECORD_BYTES - 16);
  expect(Buffer.byteLength(largest)).toBeLessThanOrEqual(ALWAYS_SERVABLE_RECORD_BYTES);
  await putObject(BUCKET, 'largest/part-0.out', `${around('a')}\n${largest}\n`);
  const run = await ingest('largest/', 'largest');
  expect([run.status, run.cause]).toEqual(['SUCCEEDED', undefined]);
  expect(committed(run)).toMatchObject({ records: 501, badRecords: 0 });
  const answer = await lambdaAnswer('/users/u-largest/recommendations');
  expect(answer).toMatchObject({ status: 200, body: { version: 'largest' } });
  expect((answer.body.items as unknown[]).length).toBe(Math.floor((ALWAYS_SERVABLE_RECORD_BYTES - 16 - 40) / 2) + 1);
  expect(answer.payloadBytes).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT_BYTES);

  // MAX_RECORD_BYTES raised: loaded only if the answer would fit. 4 MB of numbers does; 4 MB of
  // empty strings does not (every quote is escaped again in the payload); 10 MB never does.
  const fourMbNumbers = numbers('u-numbers', 4_000_000);
  const fourMbStrings = line('u-strings', []).slice(0, -2) + '"",'.repeat(1_333_000) + '""]}';
  const tenMb = numbers('u-ten', 10_100_000);
  const body = [around('a'), fourMbNumbers, fourMbStrings, tenMb, around('b')];
  await putObject(BUCKET, 'big-line/part-0.out', body.join('\n') + '\n');
  const raisedEnv = { ...datasetVars(DATASET), CHUNK_SIZE_BYTES: String(1 << 20), MAP_CONCURRENCY: '3', MAX_BAD_RECORD_RATIO: '0.01', MAX_RECORD_BYTES: String(16 << 20) };
  await h.env(raisedEnv);
  const raised = await ingest('big-line/', 'bigline');
  expect([raised.status, raised.cause]).toEqual(['SUCCEEDED', undefined]);
  expect(committed(raised)).toMatchObject({ records: 1001, badRecords: 2 });
  const at = (i: number) => body.slice(0, i).reduce((n, part) => n + Buffer.byteLength(part) + 1, 0);
  const samples = [...committed(raised).samples].sort((x, y) => x.offset - y.offset);
  expect(samples.map((x) => x.offset)).toEqual([at(2), at(3)]);
  for (const sample of samples) {
    expect(sample).toMatchObject({ object: `${BUCKET}/big-line/part-0.out` });
    expect(sample.reason).toMatch(/^record value is \d+ bytes once escaped into an API response, over the 6275072-byte room in Lambda's 6 MB response limit: it could be stored but never read$/);
  }
  const served = await lambdaAnswer('/users/u-numbers/recommendations');
  expect(served).toMatchObject({ status: 200, body: { version: 'bigline' } });
  expect(served.payloadBytes).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT_BYTES);
  expect((await lambdaAnswer('/users/u-strings/recommendations')).status).toBe(404);

  // Over MAX_RECORD_BYTES itself: counted and located without being held in memory, as before.
  await h.env({ ...raisedEnv, MAX_RECORD_BYTES: String(1 << 20) });
  const capped = await ingest('big-line/', 'bigcapped');
  await h.env({ CHUNK_SIZE_BYTES: String(1 << 20), MAP_CONCURRENCY: '3', MAX_BAD_RECORD_RATIO: '0.01', ...CHECKS_OFF });
  expect(capped.status).toBe('SUCCEEDED');
  expect(committed(capped)).toMatchObject({ records: 1000, badRecords: 3 });
  expect(committed(capped).samples).toContainEqual({ object: `${BUCKET}/big-line/part-0.out`, offset: at(3), reason: `record is ${Buffer.byteLength(tenMb)} bytes, over the 1048576-byte limit` });
}, 120_000);

test('an empty output prefix, and one holding only empty objects, fail with a clear error naming the place', async () => {
  const live = { version: (await livePointer(h.admin, DATASET))!.version, user: 'a1' };
  const keysBefore = await countKeys(h.admin, `sluice:${DATASET}:*`);
  const liveKeysBefore = await versionKeyCount(h.admin, DATASET, live.version);
  const none = await ingest('nothing-here/', 'none');
  expect(none).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
  expect(none.cause).toBe(`no input objects under s3://${BUCKET}/nothing-here/: nothing is stored under it`);
  await putObject(BUCKET, 'empty/part-0.out', '');
  await putObject(BUCKET, 'empty/part-1.out', '');
  await putObject(BUCKET, 'empty/_SUCCESS', '');
  const empty = await ingest('empty/', 'empty');
  await expectCleanFailure(empty, 'empty', live);
  expect(empty.error).toBe('BadDataError');
  expect(empty.cause).toMatch(/^the input holds no usable records \(0 bytes read\); refusing to make an empty version live$/);
  // Neither failed load left a key, and the live version kept all of its own. Plan retires
  // versions past retention before it registers a load (what Retire does after a swap), so the
  // keyspace may have shrunk by those; it never grew.
  expect(await versionKeyCount(h.admin, DATASET, 'none')).toBe(0);
  expect(await versionKeyCount(h.admin, DATASET, 'empty')).toBe(0);
  expect(await versionKeyCount(h.admin, DATASET, live.version)).toBe(liveKeysBefore);
  expect(await countKeys(h.admin, `sluice:${DATASET}:*`)).toBeLessThanOrEqual(keysBefore);
});

test('a prefix with thousands of objects (paginated listing, small files packed into chunks) loads every record once', async () => {
  const objects = 2000;
  const names = Array.from({ length: objects }, (_, i) => `many/part-${String(i).padStart(5, '0')}.out`);
  for (let i = 0; i < objects; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((name, k) => putObject(BUCKET, name, `${line(`m${i + k}`)}\n${i + k === 7 ? '' : line(`n${i + k}`)}\n`)));
  }
  await putObject(BUCKET, 'many/_SUCCESS', '');
  await putObject(BUCKET, 'many/manifest.json', '{"not":"an .out"}');
  const run = await ingest('many/', 'many');
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { objects } });
  expect(committed(run)).toMatchObject({ records: 2 * objects - 1, badRecords: 0 });
  const pointer = (await livePointer(h.admin, DATASET))!;
  let fields = 0;
  for (let b = 0; b < pointer.buckets; b++) fields += await h.admin.hlen(`sluice:${DATASET}:many:${b}`);
  expect(fields).toBe(2 * objects - 1);
  expect((await api('/users/m1999/recommendations')).body).toMatchObject({ items: [1, 2, 3], version: 'many' });
}, 120_000);
