// The docs against the tree: in README.md and docs/*.md every relative link (and its #anchor) leads
// somewhere, every backticked repo path (`src/x/y.ts`, `test/e2e/`) exists, the README stays a short
// front page whose quick start runs the two scripts, and docs/architecture.md's module table is the one
// scripts/module-table.ts generates from the files' header comments (`npm run docs:modules`).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { moduleRows, withTable } from '../../scripts/module-table.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs')).flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : [])),
];
const read = (page: string) => readFileSync(join(root, page), 'utf8');

/** The page without its fenced code blocks (examples, not claims about this repository). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(page: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of prose(read(page)).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Relative links and images: [text](target) with no scheme. */
function linksOf(page: string): string[] {
  return [...prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

const REPO_PATH = /^(?:src|test|scripts|bench|docs|examples|\.ci)\/[\w./-]*$/;
const ROOT_FILES =
  /^(?:package\.json|tsconfig(?:\.build)?\.json|eslint\.config\.js|vitest\.config\.ts|temporal-docker-compose\.yml|README\.md)$/;

/** Backticked strings that name a file or folder of this repository. */
function repoPathsOf(page: string): string[] {
  return [...prose(read(page)).matchAll(/`([^`\n]+)`/g)]
    .map((m) => m[1]!.trim())
    .filter((p) => REPO_PATH.test(p) || ROOT_FILES.test(p));
}

describe('the docs (README.md, docs/*.md)', () => {
  it('has the pages the README points to', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/operating.md', 'docs/versioning.md']));
  });

  it.each(pages)('%s: every relative link and anchor leads somewhere', (page) => {
    const dead: string[] = [];
    for (const link of linksOf(page)) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? relative(root, resolve(root, dirname(page), decodeURI(path))) : page;
      if (!existsSync(join(root, target))) dead.push(`${link} (no ${target})`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) dead.push(`${link} (no #${anchor})`);
    }
    expect(dead).toEqual([]);
  });

  it.each(pages)('%s: every backticked repository path exists', (page) => {
    expect(repoPathsOf(page).filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('checks what it claims: a dead link, a missing anchor and a missing path are seen', () => {
    expect(linksOf('README.md').length).toBeGreaterThan(5);
    expect(repoPathsOf('docs/architecture.md')).toContain('src/workflows/patches.ts');
    expect(anchorsOf('docs/versioning.md').has('retiring-a-patch')).toBe(true);
    expect(existsSync(join(root, 'src/workflows/no-such-file.ts'))).toBe(false);
    expect(slug("From start to one gateway's steps")).toBe('from-start-to-one-gateways-steps');
  });
});

describe('README.md', () => {
  const readme = read('README.md');

  it('is a front page: at most 200 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('keeps the two quick-start commands, and they run the scripts package.json runs', () => {
    expect(readme).toContain('bash scripts/demo.sh');
    expect(readme).toContain('bash scripts/test.sh');
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.scripts.demo).toBe('bash scripts/demo.sh');
    expect(pkg.scripts.test).toBe('bash scripts/test.sh');
    expect(read('.ci/run')).toContain('./scripts/test.sh');
  });
});

describe('docs/architecture.md', () => {
  it('has the module table generated from the tree (npm run docs:modules)', () => {
    const doc = read('docs/architecture.md');
    expect(withTable(doc) === doc, 'stale: run npm run docs:modules').toBe(true);
  });

  it('has a header comment for every module', () => {
    expect(
      moduleRows()
        .filter((r) => !r.summary)
        .map((r) => r.path),
    ).toEqual([]);
  });
});

describe('docs/versioning.md', () => {
  it('lists every patch id of the registry', async () => {
    const { PATCHES } = await import('../../src/workflows/patches.js');
    const doc = read('docs/versioning.md');
    expect(Object.keys(PATCHES).filter((id) => !doc.includes(`\`${id}\``))).toEqual([]);
  });
});
