// The state machine's Retry and Catch match errors by name (the `errorType` Lambda reports is the
// error's `name`). Every name statemachine/ingest.asl.json matches, other than the service's own
// (`States.*`, `Lambda.*`, `Sandbox.*`), must be the name an error class of functions/errors.ts
// carries, also once the Lambdas are bundled minified: esbuild renames classes there unless told
// to keep names, so each class spells its name as a literal string.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import * as errors from '../../functions/errors.js';

const root = new URL('../../', import.meta.url);
const definition: unknown = JSON.parse(readFileSync(new URL('statemachine/ingest.asl.json', root), 'utf8'));

/** Every string of every ErrorEquals list, wherever it sits (Map item processors included). */
function errorEquals(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) errorEquals(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'ErrorEquals' && Array.isArray(value)) for (const name of value) found.add(String(name));
      else errorEquals(value, found);
    }
  }
  return found;
}

// Names with a service prefix are raised by Step Functions or Lambda themselves, not by our code.
const SERVICE_ERROR = /^(States|Lambda|Sandbox)\./;
const matched = [...errorEquals(definition)].filter((name) => !SERVICE_ERROR.test(name)).sort();

type ErrorClass = new (...args: string[]) => Error;
const classes = Object.entries(errors as Record<string, unknown>).filter((entry): entry is [string, ErrorClass] => typeof entry[1] === 'function');

/** The `name` of an instance of each exported error class, from a minified bundle built without keepNames. */
function namesWhenBundledMinified(): Record<string, string> {
  const entry = [
    `import * as errors from './functions/errors.ts';`,
    `export const names = Object.fromEntries(Object.entries(errors).map(([k, C]) => [k, new C('m', 'e').name]));`,
    `export const classNames = Object.fromEntries(Object.entries(errors).map(([k, C]) => [k, C.name]));`,
  ].join('\n');
  const out = buildSync({
    stdin: { contents: entry, resolveDir: fileURLToPath(root), loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    keepNames: false,
    format: 'iife',
    globalName: 'bundled',
    platform: 'node',
    target: 'node22',
    write: false,
  });
  const code = out.outputFiles[0]!.text;
  const bundled = new Function(`${code}; return bundled;`)() as { names: Record<string, string>; classNames: Record<string, string> };
  // The premise of the test: minified without keepNames, a class does lose its own name.
  expect(Object.entries(bundled.classNames).filter(([exported, name]) => exported === name)).toEqual([]);
  return bundled.names;
}

describe('error names the state machine matches', () => {
  it('the definition matches at least one of our own errors (TransientError is retried)', () => {
    expect(matched).toContain('TransientError');
  });

  it.each(matched)('%s is the name of an error class in functions/errors.ts', (name) => {
    const cls = classes.find(([exported]) => exported === name)?.[1];
    expect(cls).toBeInstanceOf(Function);
    const instance = new cls!('message', 'etag');
    expect(instance).toBeInstanceOf(errors.SluiceError);
    expect(instance.name).toBe(name);
  });

  it('every error class keeps its name when bundled minified without keepNames', () => {
    const names = namesWhenBundledMinified();
    expect(names).toEqual(Object.fromEntries(classes.map(([exported]) => [exported, exported])));
    for (const name of matched) expect(names[name]).toBe(name);
  });
});
