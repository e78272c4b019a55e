// Dataset declarations written to a datasets file (the one way a dataset is declared) and named
// by SLUICE_DATASETS_FILE, which the handlers run in process and the CLI both read: for tests,
// benchmarks and local runs that declare datasets of their own.
// A single dataset is fed by every job unless it says otherwise, as the default declaration is.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Declaration = string | Record<string, unknown>;

function declaration(d: Declaration): Record<string, unknown> {
  return typeof d === 'string' ? { name: d } : d;
}

/** Writes the declarations to a file named by their content and returns its path. */
export function datasetsFile(...declarations: Declaration[]): string {
  const all = declarations.map(declaration);
  const text = `${JSON.stringify(all.length === 1 ? [{ jobs: { prefix: '' }, ...all[0] }] : all, null, 2)}\n`;
  const dir = join(tmpdir(), 'sluice-test-datasets');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.json`);
  // Written aside and renamed: a process reading it (a CLI child, another test file) never sees half of it.
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text);
  renameSync(aside, path);
  return path;
}

/** The variable that points Sluice (handlers or the CLI) at these declarations. */
export function datasetVars(...declarations: Declaration[]): { SLUICE_DATASETS_FILE: string } {
  return { SLUICE_DATASETS_FILE: datasetsFile(...declarations) };
}
