// What the functions write to their logs: never the Redis password, never a record's contents,
// whether a load succeeds, meets bad records or fails, or the reader cannot authenticate.
// Powertools reads its log level once, when the logger is built: set it before anything that
// builds the logger is imported (hence the dynamic imports).
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
const { runIngestLocally } = await import('../../local/state-machine.js');
const { api, putObject } = await import('../support/sluice.js');
const { startHarness } = await import('./support/harness.js');
const { datasetVars } = await import('../../local/datasets-file.js');
type Harness = Awaited<ReturnType<typeof startHarness>>;

const DATASET = 'logged';
const BUCKET = 'logs-bucket';
let h: Harness;
const lines: string[] = [];
const restore: (() => void)[] = [];

function capture(stream: NodeJS.WriteStream): () => void {
  const original = stream.write;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return true; // swallowed: the suite's output stays readable
  }) as typeof stream.write;
  return () => {
    stream.write = original;
  };
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  restore.forEach((r) => r());
  await h?.stop();
});

test('carry neither the Redis password nor record contents: a load with bad records, a failed load, a refused login', async () => {
  const secretRecord = JSON.stringify({ userId: 'private-user-4711', recommendations: [{ item: 'i-secret-981', score: 0.5 }] });
  const good = Array.from({ length: 300 }, (_, i) => JSON.stringify({ userId: `ok${i}`, recommendations: [i, i + 1] }));
  // Bad records: not UTF-8, truncated, keyless, a key of the wrong type (a chunk samples the first three).
  const bad = [secretRecord.slice(0, -2), secretRecord.replace('userId', 'user'), secretRecord.replace('"private-user-4711"', '{"id":"private-user-4711"}')];
  const notUtf8 = Buffer.from([0x7b, 0x22, 0x75, 0xff, 0xfe, 0x22, 0x7d, 0x0a]);
  await putObject(BUCKET, 'run/part-0.out', Buffer.concat([Buffer.from(good.join('\n') + '\n'), notUtf8, Buffer.from(bad.join('\n') + '\n')]));
  restore.push(capture(process.stdout), capture(process.stderr));

  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '16384', MAX_BAD_RECORD_RATIO: '0.5' });
  const ok = await runIngestLocally({ s3Uri: `s3://${BUCKET}/run/`, version: 'run1', orderKey: 1000 });
  await h.env({ ...datasetVars(DATASET), CHUNK_SIZE_BYTES: '16384', MAX_BAD_RECORD_RATIO: '0' });
  const failed = await runIngestLocally({ s3Uri: `s3://${BUCKET}/run/`, version: 'run2', orderKey: 2000 });
  await h.env({ ...datasetVars(DATASET), REDIS_PASSWORD: 'wrong-password-for-the-log-test', REDIS_COMMAND_TIMEOUT_MS: '500' });
  const refused = await api('/users/ok1/recommendations');
  await h.env({ ...datasetVars(DATASET) });
  restore.splice(0).forEach((r) => r());

  expect(ok).toMatchObject({ status: 'SUCCEEDED', output: { result: { commit: { records: 300, badRecords: 4 } } } });
  expect(failed).toMatchObject({ status: 'FAILED', error: 'TooManyBadRecordsError' });
  expect(refused.status).toBe(503);
  const text = lines.join('');
  expect(text).toContain('"chunk loaded"'); // the capture did see the handlers' JSON logs
  expect(text).toContain('Redis connection error');
  for (const secret of [h.sluicePassword, h.cluster.admin!.password, 'wrong-password-for-the-log-test']) expect(text).not.toContain(secret);
  for (const content of ['private-user-4711', 'i-secret-981']) expect(text).not.toContain(content);
  // Bad records are reported by place and reason.
  expect(text).toMatch(/logs-bucket\/run\/part-0\.out/);
  expect(text).toMatch(/not valid UTF-8/);
});
