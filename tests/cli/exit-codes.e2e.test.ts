// The command line as a script meets it: bin/sluice.js in a child process, whose exit code and
// output are cli/run.ts's. The fast tier runs the commands in process (tests/cli/*.test.ts);
// this checks that the process passes the code and the streams on unchanged.
import { datasetVars } from '../../local/datasets-file.js';
import { sluiceSpawned, testStackEnv } from './run-cli.js';

test('a child process exits with the code and writes the output the command gives', async () => {
  const env = testStackEnv(datasetVars('cli-exit-codes'));
  const [help, usage, down, empty] = await Promise.all([
    sluiceSpawned(['--version']),
    sluiceSpawned(['frobnicate'], env),
    sluiceSpawned(['status', '--json'], { ...env, REDIS_PORT: '1', SLUICE_CONNECT_TIMEOUT_MS: '500' }),
    sluiceSpawned(['status'], env),
  ]);
  expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^sluice \d+\.\d+\.\d+\n$/), stderr: '' });
  expect(usage).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^sluice: unknown command "frobnicate"/) });
  expect(down.code).toBe(3);
  expect(JSON.parse(down.stdout)).toMatchObject({ error: { name: 'CliError', exitCode: 3, message: expect.stringContaining('cannot reach Redis at 127.0.0.1:1 ') } });
  expect(empty).toMatchObject({ code: 4, stdout: 'dataset cli-exit-codes: no live version\n  no versions hold data (load one with sluice ingest)\n' });
});
