/**
 * The module table of docs/architecture.md, generated from each file's own header comment (its first
 * sentence), so the table cannot drift from the code: one row per TypeScript file of src/, bench/,
 * scripts/ and test/bed, test/helpers. `npm run docs:modules` rewrites the table between its markers;
 * test/unit/docs.test.ts fails when it is stale or a file has no header comment.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MODULE_DIRS = ['src', 'scripts', 'bench', 'test/bed', 'test/helpers'];
export const START = '<!-- module-table:start (npm run docs:modules) -->';
export const END = '<!-- module-table:end -->';
const MAX = 150;

const root = fileURLToPath(new URL('..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
    .sort();
}

/** The text of the file's first comment (a block or a run of `//` lines) before any code, or undefined. */
export function headerComment(text: string): string | undefined {
  const m = /^(?:#![^\n]*\n)?\s*(\/\*\*?([\s\S]*?)\*\/|(?:\/\/[^\n]*\n?)+)/.exec(text);
  if (!m) return undefined;
  const body = m[2] ?? m[1]!.replace(/^\s*\/\/ ?/gm, '');
  return body
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence, shortened at a clause boundary when it is long; `|` escaped for the table. */
export function summary(header: string): string {
  const end = /\.(\s|$)/.exec(header);
  let s = end ? header.slice(0, end.index + 1) : header;
  if (s.length > MAX) {
    const cut = Math.max(...[': ', '; ', ' (', ', '].map((sep) => s.lastIndexOf(sep, MAX)));
    s = `${s.slice(0, cut > 40 ? cut : MAX).trimEnd()} …`;
  }
  return s.replaceAll('|', '\\|');
}

export function moduleRows(): { path: string; summary: string | undefined }[] {
  return MODULE_DIRS.flatMap((d) => tsFiles(join(root, d))).map((file) => {
    const header = headerComment(readFileSync(file, 'utf8'));
    return { path: relative(root, file), summary: header ? summary(header) : undefined };
  });
}

export function moduleTable(): string {
  const rows = moduleRows().map((r) => `| \`${r.path}\` | ${r.summary ?? '(no header comment)'} |`);
  return [START, '', '| file | what it is (its header comment) |', '| --- | --- |', ...rows, '', END].join('\n');
}

/** docs/architecture.md with its table replaced by the current one. */
export function withTable(markdown: string): string {
  const a = markdown.indexOf(START);
  const b = markdown.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/architecture.md lacks the markers ${START} … ${END}`);
  return markdown.slice(0, a) + moduleTable() + markdown.slice(b + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = join(root, 'docs/architecture.md');
  writeFileSync(path, withTable(readFileSync(path, 'utf8')));
  console.log(`docs/architecture.md: ${moduleRows().length} modules`);
}
