// sluice erase and sluice suppress on this machine (a child process, as a user runs them), against
// the test cluster and S3: the calls go through in batches, status counts them, --lift undoes them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeTestClients, putObject } from '../support/sluice.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

const DATASET = 'cli-erase';
const BUCKET = 'cli-erase-bucket';
const env = testStackEnv({ ...datasetVars(DATASET), ERASURE_LOG_URI: `s3://${BUCKET}/sluice-erasures/` });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-erase-'));
  await putObject(BUCKET, 'placeholder', 'x'); // the bucket
});
afterAll(async () => {
  await closeTestClients();
  await rm(dir, { recursive: true, force: true });
});

test('erase keys from the arguments and a file in calls of 1,000; suppress items; status counts both; --lift lifts them', async () => {
  const file = join(dir, 'keys.txt');
  await writeFile(file, `${Array.from({ length: 1500 }, (_, i) => `k${i}`).join('\n')}\n\n`);
  const erase = await sluice(['erase', 'a', 'b', '--file', file, '--reason', 'cli test'], env);
  expect({ code: erase.code, stderr: erase.stderr }).toEqual({ code: 0, stderr: '' });
  // 1,502 keys: two calls, each logged in S3.
  expect(erase.stdout.match(/keys erased from 0 versions/g)).toHaveLength(2);
  expect(erase.stdout).toContain(`logged at s3://${BUCKET}/sluice-erasures/${DATASET}/`);
  const suppress = await sluice(['suppress', '2012', '553', '--json'], env);
  expect(JSON.parse(suppress.stdout)).toMatchObject({ dataset: DATASET, action: 'suppress', items: 2, changed: 2, suppressed: 2 });
  const status = await sluice(['status', '--json'], env);
  expect(JSON.parse(status.stdout)).toMatchObject({ datasets: [{ dataset: DATASET, tombstones: 1502, suppressedItems: 2 }] });
  expect((await sluice(['status'], env)).stdout).toContain('  erased keys (tombstones): 1,502; suppressed items: 2\n');
  const lift = await sluice(['erase', 'a', 'zzz', '--lift'], env);
  expect(lift.stdout).toContain(`${DATASET}: 1 of 2 tombstones lifted`);
  const unsuppress = await sluice(['suppress', '2012', '--lift'], env);
  expect(unsuppress.stdout).toContain(`${DATASET}: 1 of 1 item lifted; 1 suppressed in all`);
});
