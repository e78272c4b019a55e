// The README is an index to docs/: it stays short, and every relative link in it, in the
// docs/ pages, BENCHMARKS.md and RELIABILITY.md (to a file, a folder, or a heading of a
// Markdown file as `#anchor`) leads somewhere.
// Code and template comments that send a reader to a page or a README section are held to the
// same rule, so a renamed heading cannot leave them pointing at nothing.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// Pages other engineers write on their own branches. A link to one of these from README.md or
// docs/ may point at a file that does not exist yet; once they are merged this list is emptied,
// and every link to them is checked like any other.
const PENDING_DOC_PAGES: readonly string[] = [];

const README_MAX_LINES = 200;

// BENCHMARKS.md and RELIABILITY.md stay at the top and link into docs/ as well.
const docFiles = (): string[] => [
  ...['README.md', 'BENCHMARKS.md', 'RELIABILITY.md'].map((name) => join(root, name)),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name)),
];

// Markdown outside fenced code blocks (a link or a heading inside ``` is only text).
function proseLines(markdown: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) out.push(line);
  }
  return out;
}

// GitHub's heading anchors: the heading's text (link targets and code marks dropped) in lower
// case, without punctuation, spaces as hyphens; a repeated heading gets -1, -2, ...
function githubSlug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m?.[1]) continue;
    const slug = githubSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const m of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      links.push({ from: file, target });
    }
  }
  return links;
}

const isPending = (path: string): boolean =>
  dirname(path) === join(root, 'docs') && PENDING_DOC_PAGES.includes(relative(join(root, 'docs'), path));

// Why a link does not resolve, or undefined when it does.
function brokenReason(fromDir: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const pathPart = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const path = pathPart === '' ? undefined : resolve(fromDir, decodeURIComponent(pathPart));
  if (path !== undefined && !existsSync(path)) return isPending(path) ? undefined : 'no such file';
  if (anchor === undefined) return undefined;
  if (path !== undefined && (!path.endsWith('.md') || statSync(path).isDirectory())) return 'an anchor into a file that is not Markdown';
  return anchorsOf(path ?? '').has(anchor) ? undefined : `no heading with anchor #${anchor}`;
}

describe('README.md and docs/', () => {
  test(`README.md is at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  test('the quick start comes first, its two lines as a fresh clone runs them', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
    const firstSection = lines.findIndex((l) => l.startsWith('## '));
    expect(lines[firstSection]).toBe('## Quick start');
    const demo = lines.indexOf('npm ci && npx sluice demo      # the main job, locally (npm run demo runs the same)');
    const test = lines.indexOf('npm ci && npm test             # the test suite');
    expect(demo).toBeGreaterThan(firstSection);
    expect(test).toBe(demo + 1);
  });

  test('every relative link and #anchor in README.md, BENCHMARKS.md, RELIABILITY.md and docs/*.md resolves', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of docFiles()) {
      for (const { from, target } of relativeLinks(file)) {
        checked += 1;
        const fromDir = dirname(from);
        const reason = target.startsWith('#')
          ? brokenReason(fromDir, `${relative(fromDir, from)}${target}`)
          : brokenReason(fromDir, target);
        if (reason) broken.push(`${relative(root, from)}: (${target}) ${reason}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  test('a pending page that is still missing is linked without an anchor (its headings are not known yet)', () => {
    for (const file of docFiles()) {
      for (const { target } of relativeLinks(file)) {
        const path = resolve(dirname(file), target.split('#')[0] ?? '');
        if (isPending(path) && !existsSync(path)) expect(target).not.toContain('#');
      }
    }
  });

  test('the docs index in README.md names every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const pages = [...readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md')), ...PENDING_DOC_PAGES];
    for (const page of pages) expect(readme).toContain(`](docs/${page})`);
  });

  test('the command tables of README.md and docs/cli.md each have a row for every command of cli/run.ts', () => {
    const main = readFileSync(join(root, 'cli/run.ts'), 'utf8');
    const names = [...main.matchAll(/^\s+(\w+): \{ summary:/gm)].map((m) => m[1]);
    expect(names).toContain('ingest');
    for (const page of ['README.md', 'docs/cli.md']) {
      const text = readFileSync(join(root, page), 'utf8');
      const missing = names.filter((name) => !text.includes(`| \`sluice ${name}`));
      expect({ page, missing }).toEqual({ page, missing: [] });
    }
  });

  test('the anchors follow GitHub: code marks and punctuation dropped, spaces as hyphens', () => {
    expect(githubSlug('The `sluice` command')).toBe('the-sluice-command');
    expect(githubSlug('Release checks: what they cost (issue 13)')).toBe('release-checks-what-they-cost-issue-13');
    expect(githubSlug('Pinned reads (`?version=` / `x-sluice-version`)')).toBe('pinned-reads-version--x-sluice-version');
  });
});

// Places in the code that point a reader at the documentation.
const CODE_PLACES = ['functions', 'cli', 'local', 'bench', 'tests', 'scripts', 'bin', 'statemachine', 'template.yaml', '.ci'];

function codeFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' ? [] : codeFiles(join(path, name))));
}

describe('references to the documentation from the code', () => {
  const self = fileURLToPath(import.meta.url);
  const files = CODE_PLACES.flatMap((p) => codeFiles(join(root, p))).filter((f) => !f.endsWith('.md') && f !== self);

  test('every docs/<page>.md or README.md#anchor named in the code resolves', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(docs\/[a-z0-9-]+\.md|README\.md|RELIABILITY\.md|BENCHMARKS\.md)(#[a-z0-9_-]+)?/g)) {
        checked += 1;
        const reason = brokenReason(root, `${m[1]}${m[2] ?? ''}`);
        if (reason) broken.push(`${relative(root, file)}: ${m[0]} ${reason}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  test('no code points at a README section by name: the sections moved to docs/', () => {
    const readmeAnchors = anchorsOf(join(root, 'README.md'));
    const stale: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/README(?:'s)?,?\s+(?:section\s+)?"([^"]+)"/g)) {
        if (!readmeAnchors.has(githubSlug(m[1] ?? ''))) stale.push(`${relative(root, file)}: ${m[0]}`);
      }
    }
    expect(stale).toEqual([]);
  });
});
