// The shape a newcomer can read: in src/, no function longer than 80 lines and no file longer than 300
// (measured on the formatted code with the TypeScript compiler's own parser). A function or file that
// must stay longer is listed below with the reason, so the exception is a decision, not drift.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_FUNCTION_LINES = 80;
const MAX_FILE_LINES = 300;

/** Longer on purpose: `path` or `path:function` → why. */
const EXCEPTIONS: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Measured {
  where: string;
  lines: number;
}

function functionsOf(file: string): Measured[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Measured[] = [];
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node, owner: string | undefined): void => {
    let name = owner;
    if (ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node)) {
      name = node.name.getText(sf);
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fnName = node.name?.getText(sf) ?? name ?? '<anonymous>';
      found.push({
        where: `${relative(root, file)}:${fnName}`,
        lines: lineOf(node.getEnd()) - lineOf(node.getStart(sf)) + 1,
      });
      name = fnName;
    }
    ts.forEachChild(node, (child) => visit(child, name));
  };
  visit(sf, undefined);
  return found;
}

describe('code shape of src/', () => {
  const files = sourceFiles(join(root, 'src'));

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files
      .flatMap(functionsOf)
      .filter((f) => f.lines > MAX_FUNCTION_LINES && !EXCEPTIONS[f.where])
      .map((f) => `${f.where} (${f.lines} lines)`);
    expect(long).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ where: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > MAX_FILE_LINES && !EXCEPTIONS[f.where])
      .map((f) => `${f.where} (${f.lines} lines)`);
    expect(long).toEqual([]);
  });

  it('measures what it claims: a long function and a long file are caught', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES + 5 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const sf = ts.createSourceFile(
      'probe.ts',
      `export function tooLong() {\n${body}\n}\n`,
      ts.ScriptTarget.Latest,
      true,
    );
    const fn = sf.statements[0] as ts.FunctionDeclaration;
    const lines =
      sf.getLineAndCharacterOfPosition(fn.getEnd()).line - sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
    expect(lines).toBeGreaterThan(MAX_FUNCTION_LINES);
  });
});
