// The local HTTP front (`sluice serve`) answers as API Gateway HTTP API (payload 2.0) does:
// repeated query parameters joined with commas, over-limit bodies, URLs and headers refused in
// the API's JSON error shape (the client reads the answer: no stall, no reset), and the same
// strict percent-decoding in the path and the query.
import { MAX_BODY_BYTES, MAX_REQUEST_LINE_AND_HEADERS_BYTES, startApiServer, type ApiServer } from '../../local/api-server.js';
import { runIngestLocally } from '../../local/state-machine.js';
import { closeTestClients, putObject, useSluiceEnv } from '../support/sluice.js';
import { datasetVars } from '../../local/datasets-file.js';

let server: ApiServer;
let small: ApiServer;

beforeAll(async () => {
  await useSluiceEnv({ ...datasetVars('api-server') });
  await putObject('api-server-bucket', 'out/part.out', '{"userId":"u1","recommendations":[1,2,3]}\n{"userId":"u1,u2","recommendations":[9]}\n');
  const run = await runIngestLocally({ s3Uri: 's3://api-server-bucket/out/', version: 'v1' });
  expect(run.status).toBe('SUCCEEDED');
  server = await startApiServer();
  small = await startApiServer({ maxBodyBytes: 1024 });
});
afterAll(async () => {
  await Promise.all([server?.close(), small?.close()]);
  await closeTestClients();
});

const get = async (base: ApiServer, path: string, init?: RequestInit) => {
  const r = await fetch(`${base.url}${path}`, init);
  return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
};

test('a repeated query parameter reaches the handler joined with commas', async () => {
  expect(await get(server, '/recommendations?userId=u1&userId=u2&rank=1')).toMatchObject({ status: 200, body: { userId: 'u1,u2', item: 9 } });
  expect(await get(server, '/recommendations?userId=u1&rank=2')).toMatchObject({ status: 200, body: { item: 2 } });
});

test('a body over the limit is a 413 in the JSON error shape, whether its length is declared or not', async () => {
  const tooLarge = { status: 413, type: 'application/json', body: { error: { code: 'payload_too_large', message: 'the request body is over 1024 bytes' } } };
  const body = JSON.stringify({ keys: Array.from({ length: 200 }, (_, i) => `key-${i}`) });
  expect(await get(small, '/datasets/api-server/batch-get', { method: 'POST', body })).toEqual(tooLarge);
  const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) });
  expect(await get(small, '/datasets/api-server/batch-get', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)).toEqual(tooLarge);
  // API Gateway's own limit by default: 5 MiB reaches the handler (which refuses it as a request, not with a 500).
  expect(MAX_BODY_BYTES).toBe(10 * 1024 * 1024);
  expect((await get(server, '/datasets/api-server/batch-get', { method: 'POST', body: 'x'.repeat(5 * 1024 * 1024) })).status).toBe(400);
  expect(await get(server, '/datasets/api-server/batch-get', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20) })).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  // The connection that carried it was closed cleanly and the server still answers.
  expect((await get(server, '/users/u1/recommendations')).status).toBe(200);
});

test('a URL or headers over the limit get a JSON error, also past the HTTP parser\'s own limit', async () => {
  const long = 'u'.repeat(MAX_REQUEST_LINE_AND_HEADERS_BYTES + 1);
  expect(await get(server, `/users/${long}/recommendations`)).toEqual({ status: 414, type: 'application/json', body: { error: { code: 'uri_too_long', message: 'the URL is over 10240 bytes' } } });
  expect(await get(server, '/users/u1/recommendations', { headers: { 'x-big': 'h'.repeat(MAX_REQUEST_LINE_AND_HEADERS_BYTES) } })).toMatchObject({ status: 431, body: { error: { code: 'headers_too_large' } } });
  expect(await get(server, `/users/${'u'.repeat(100_000)}/recommendations`)).toMatchObject({ status: 431, type: 'application/json', body: { error: { code: 'headers_too_large' } } });
});

test('invalid percent-encoding is a 400 in the path and in the query alike; valid encoding decodes in both', async () => {
  for (const path of ['/users/u%ff/recommendations', '/users/u%zz/recommendations']) {
    expect(await get(server, path)).toEqual({ status: 400, type: 'application/json', body: { error: { code: 'bad_request', message: 'invalid percent-encoding in the path (a % must start a UTF-8 byte as two hex digits)' } } });
  }
  for (const path of ['/recommendations?userId=u%ff&rank=1', '/recommendations?userId=u%zz&rank=1']) {
    expect(await get(server, path)).toEqual({ status: 400, type: 'application/json', body: { error: { code: 'bad_request', message: 'invalid percent-encoding in the query string (a % must start a UTF-8 byte as two hex digits)' } } });
  }
  expect(await get(server, '/users/u1%2Cu2/recommendations')).toMatchObject({ status: 200, body: { userId: 'u1,u2', items: [9] } });
  expect(await get(server, '/recommendations?userId=u1%2Cu2&rank=1')).toMatchObject({ status: 200, body: { userId: 'u1,u2' } });
});
