// The in-process entry (cli/run.ts runCli): the same commands, output and exit codes as
// bin/sluice.js, without a child process, so a CLI test costs what its command costs.
import { closeTestClients } from '../support/sluice.js';
import { sluice, testStackEnv } from './run-cli.js';
import { datasetVars } from '../../local/datasets-file.js';

afterAll(closeTestClients);

test('help, an unknown command and a usage error give their output and exit codes', async () => {
  const help = await sluice(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: sluice <command>/);
  const unknown = await sluice(['nope']);
  expect(unknown).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^sluice: unknown command "nope"/) });
  const json = await sluice(['get', '--json']);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stdout)).toMatchObject({ error: { exitCode: 2 } });
});

test('a command runs against the environment it is given, not the process\'s', async () => {
  const run = await sluice(['status', '--dataset', 'in-process-empty'], testStackEnv(datasetVars('in-process-empty')));
  expect(run).toEqual({ code: 4, stdout: 'dataset in-process-empty: no live version\n  no versions hold data (load one with sluice ingest)\n', stderr: '' });
});
