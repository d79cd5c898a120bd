/**
 * The installable package without building it: what `npm run build` (tsconfig.build.json) emits, read
 * from the TypeScript compiler's own output mapping, holds package.json's `bin` and the modules the
 * worker loads by path; the tarball's `files` take them; and everything src/ imports at run time is a
 * dependency, not a dev-only one (the installed command has no devDependencies). test/e2e/06 installs it.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { siblingModulePath } from '../../src/module-path.js';
import { projectRoot } from '../bed/tools.js';

const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
};

function buildConfig(): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(join(projectRoot, 'tsconfig.build.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.build.json: not readable');
  return config;
}

const config = buildConfig();
/** Every file `npm run build` writes, relative to the project root. */
const emitted = new Set(
  config.fileNames.flatMap((f) => ts.getOutputFileNames(config, f, false)).map((f) => relative(projectRoot, f)),
);
const inTarball = (file: string) => pkg.files.some((f) => (f.endsWith('/') ? file.startsWith(f) : file === f));

describe('the package npm pack makes', () => {
  it("package.json's bin is a file the build emits, in the tarball, with a node shebang", () => {
    const bin = pkg.bin['openclaw-rollout']!;
    expect(emitted.has(bin), `${bin} among the build's ${emitted.size} files`).toBe(true);
    expect(inTarball(bin)).toBe(true);
    const source = config.fileNames.find((f) =>
      ts.getOutputFileNames(config, f, false).includes(resolve(projectRoot, bin)),
    )!;
    expect(readFileSync(source, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('the compiled worker finds the compiled workflows and failure converter, and --version the package.json', () => {
    const from = (file: string) => pathToFileURL(join(projectRoot, file)).href;
    const worker = 'dist/worker/main.js';
    const codec = 'dist/codec/data-converter.js';
    expect(emitted.has(worker) && emitted.has(codec) && emitted.has('dist/cli/version.js')).toBe(true);
    for (const [file, target] of [
      [worker, '../workflows/index'],
      [codec, './failure-converter'],
    ] as const) {
      const path = relative(projectRoot, siblingModulePath(from(file), target));
      expect(emitted.has(path), path).toBe(true);
      expect(inTarball(path)).toBe(true);
    }
    expect(new URL('../../package.json', from('dist/cli/version.js')).href).toBe(from('package.json'));
  });

  it('everything src/ imports at run time is a dependency (the installed package has no dev ones)', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of config.fileNames) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      for (const spec of runtimeImports(sf)) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        imported.add(
          spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/'),
        );
      }
    }
    expect(imported.size).toBeGreaterThan(3);
    expect([...imported].filter((name) => !pkg.dependencies[name])).toEqual([]);
  });
});

/** The module specifiers a file loads when it runs: imports and re-exports that are not type-only, and import('...'). */
function runtimeImports(sf: ts.SourceFile): string[] {
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      specs.push(node.moduleSpecifier.text);
    if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      specs.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) specs.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs;
}
