// docs/cli.md documents every option of every command: its table row for the command names each
// option the command declares (cli/<command>.ts), so an option added to the code and not to the
// page fails here. The command list is the registry in cli/run.ts.
import { readdirSync, readFileSync } from 'node:fs';
import type { Command } from '../../cli/command.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const commandNames = [...read('cli/run.ts').matchAll(/^\s+(\w+): \{ summary:/gm)].map((m) => m[1] ?? '');

test('the registry in cli/run.ts is where the command names come from', () => {
  expect(commandNames).toEqual(expect.arrayContaining(['demo', 'ingest', 'invoke']));
});

test.each(commandNames)('docs/cli.md names every option of sluice %s in its row', async (name) => {
  const { command } = (await import(`../../cli/${name}.js`)) as { command: Command };
  expect(command.name).toBe(name);
  const rows = read('docs/cli.md')
    .split('\n')
    .filter((line) => line.startsWith(`| \`sluice ${name} `) || line.startsWith(`| \`sluice ${name}\``));
  expect(rows.length).toBeGreaterThan(0);
  const missing = Object.keys(command.options).filter((option) => !rows.some((row) => row.includes(`--${option}`)));
  expect(missing).toEqual([]);
});

test('docs/cli.md names every SLUICE_ variable the CLI and its local stack read', () => {
  const sources = ['cli', 'local', 'bin'].flatMap((dir) =>
    readdirSync(new URL(dir, root), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|js|cjs)$/.test(file))
      .map((file) => read(`${dir}/${file}`)),
  );
  const variables = new Set(sources.flatMap((text) => [...text.matchAll(/\bSLUICE_[A-Z_]+\b/g)].map((m) => m[0])));
  // Names of constants, not variables: the ACL rules the local clusters give their users.
  for (const constant of ['SLUICE_ACL_RULES', 'SLUICE_ACL_COMMANDS']) variables.delete(constant);
  expect(variables.size).toBeGreaterThan(4);
  const page = read('docs/cli.md');
  expect([...variables].filter((v) => !page.includes(`\`${v}`))).toEqual([]);
});
