// What the CLI and its docs say about each other: the exit code table (the code's EXIT and
// EXIT_MEANINGS are the source, docs/cli.md repeats them), the CLI's own variables in --help, and
// the description of examples/loan (docs/architecture.md) against what the folder holds.
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { EXIT, EXIT_MEANINGS } from '../../cli/command.js';
import { runCli } from '../../cli/run.js';

const root = new URL('../../', import.meta.url);
const cliPage = readFileSync(new URL('docs/cli.md', root), 'utf8');
const architecture = readFileSync(new URL('docs/architecture.md', root), 'utf8');

/** The rows of docs/cli.md's exit code table: `| code | meaning |` after the `| Code | Meaning |` header, links as their text. */
function documentedExitCodes(): [number, string][] {
  const lines = cliPage.split('\n');
  const start = lines.indexOf('| Code | Meaning |');
  expect(start).toBeGreaterThan(0);
  const rows: [number, string][] = [];
  for (const line of lines.slice(start + 2)) {
    const m = /^\| (\d+) \| (.*) \|$/.exec(line);
    if (!m) break;
    rows.push([Number(m[1]), m[2]!.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')]);
  }
  return rows;
}

test("docs/cli.md's exit code table is the code's, code for code and word for word", () => {
  const code = (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((name) => [EXIT[name], EXIT_MEANINGS[name]] as [number, string]);
  expect(documentedExitCodes()).toEqual(code);
  // Every code is distinct: a script can tell each outcome apart.
  expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
});

test('--help names every variable of its own the CLI reads', async () => {
  let help = '';
  const out = new Writable({ write: (chunk, _e, done) => ((help += String(chunk)), done()) });
  expect(await runCli({ argv: ['--help'], env: {}, stdout: out, stderr: out, tty: false, signal: new AbortController().signal })).toBe(0);
  const dir = new URL('cli/', root);
  const read = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(new URL(file, dir), 'utf8').matchAll(/(?:optionalSetting|intSetting|optionalVariable|intVariable)\([\w.]+, '(SLUICE_\w+)'/g)) read.add(m[1]!);
  }
  // The scan finds them (a rename of the readers would otherwise make this test pass on nothing).
  expect([...read]).toEqual(expect.arrayContaining(['SLUICE_ADMIN_FUNCTION', 'SLUICE_BUCKET', 'SLUICE_CONNECT_TIMEOUT_MS', 'SLUICE_STATE_MACHINE_ARN']));
  for (const name of read) expect(help).toContain(name);
});

test('the description of examples/loan says how many datasets it declares and names each input format', () => {
  const line = /^examples\/loan\/ (.*(?:\n {15}.*)*)/m.exec(architecture)?.[1]?.replace(/\s+/g, ' ') ?? '';
  const datasets = JSON.parse(readFileSync(new URL('examples/loan/datasets.json', root), 'utf8')) as unknown[];
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  expect(line).toContain(`${words[datasets.length]} datasets`);
  const formats: Record<string, string> = { '.jsonl': 'JSON Lines', '.parquet': 'Parquet', '.csv.out': 'CSV' };
  for (const file of readdirSync(new URL('examples/loan/', root))) {
    const ext = Object.keys(formats).find((e) => file.endsWith(e));
    if (ext) expect(line).toContain(formats[ext]);
  }
});
