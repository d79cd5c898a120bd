// The lint rules that protect workflow code actually fire: eslint.config.js bans Node built-ins and
// execa in src/workflows/ and src/shared/ (both end up in the workflow bundle), and value imports of activities there, (workflow code must be deterministic and is bundled for Temporal's sandbox)
// and reports floating promises. The snippets are linted in memory (`lintText`) under probe file names
// that eslint.config.js lets the TypeScript project service type-check without a file on disk.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKFLOW_PROBE = join(projectRoot, 'src/workflows/__lint_probe__.ts');
const ACTIVITY_PROBE = join(projectRoot, 'src/activities/__lint_probe__.ts');
const SHARED_PROBE = join(projectRoot, 'src/shared/__lint_probe__.ts');
const DETERMINISM = 'workflow code must be deterministic: do I/O in an activity (src/activities/)';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: projectRoot });
});

async function lint(code: string, filePath: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath });
  expect(result, 'one lint result').toBeDefined();
  const messages = result!.messages;
  // A fatal message means the file was not linted at all (parse error, or not in a TypeScript project).
  expect(messages.filter((m) => m.fatal).map((m) => m.message)).toEqual([]);
  return messages;
}

const rule = (messages: Linter.LintMessage[], id: string): Linter.LintMessage[] =>
  messages.filter((m) => m.ruleId === id);

describe('eslint: workflow determinism and promise rules', () => {
  it('reports a Node built-in import and a floating promise in src/workflows/', async () => {
    const messages = await lint(
      [
        "import { readFileSync } from 'node:fs';",
        "import { sleep } from '@temporalio/workflow';",
        '',
        'export async function probeWorkflow(): Promise<string> {',
        '  sleep(1000);',
        "  return readFileSync('/etc/hostname', 'utf8');",
        '}',
        '',
      ].join('\n'),
      WORKFLOW_PROBE,
    );
    const imports = rule(messages, '@typescript-eslint/no-restricted-imports');
    expect(imports).toHaveLength(1);
    expect(imports[0]).toMatchObject({ line: 1, severity: 2 });
    expect(imports[0]!.message).toContain("'node:fs'");
    expect(imports[0]!.message).toContain(DETERMINISM);

    const floating = rule(messages, '@typescript-eslint/no-floating-promises');
    expect(floating).toHaveLength(1);
    expect(floating[0]).toMatchObject({ line: 5, severity: 2 });
  });

  it('bans the bare spelling of built-ins, their subpaths, and execa, in src/workflows/', async () => {
    const messages = await lint(
      [
        "import { readFile } from 'fs/promises';",
        "import * as child from 'child_process';",
        "import { execa } from 'execa';",
        '',
        'export async function probeWorkflow(): Promise<unknown> {',
        "  return [await readFile('x'), child, await execa('true')];",
        '}',
        '',
      ].join('\n'),
      WORKFLOW_PROBE,
    );
    const imports = rule(messages, '@typescript-eslint/no-restricted-imports');
    expect(imports.map((m) => m.line)).toEqual([1, 2, 3]);
    for (const m of imports) expect(m.message).toContain(DETERMINISM);
  });

  it('accepts a deterministic workflow (type-only import of a built-in, awaited timer)', async () => {
    const messages = await lint(
      [
        "import type { Stats } from 'node:fs';",
        "import { sleep } from '@temporalio/workflow';",
        '',
        'export async function probeWorkflow(stats?: Stats): Promise<number> {',
        '  await sleep(1000);',
        '  return stats?.size ?? 0;',
        '}',
        '',
      ].join('\n'),
      WORKFLOW_PROBE,
    );
    expect(messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`)).toEqual([]);
  });

  it('allows Node built-ins in activities but still reports floating promises there', async () => {
    const messages = await lint(
      [
        "import { readFile } from 'node:fs/promises';",
        '',
        'export async function probeActivity(): Promise<void> {',
        "  readFile('/etc/hostname', 'utf8');",
        '}',
        '',
      ].join('\n'),
      ACTIVITY_PROBE,
    );
    expect(rule(messages, '@typescript-eslint/no-restricted-imports')).toEqual([]);
    expect(rule(messages, '@typescript-eslint/no-floating-promises').map((m) => m.line)).toEqual([4]);
  });

  it('bans Node built-ins and value imports of activities in src/shared/, and allows type imports of activities', async () => {
    const messages = await lint(
      [
        "import { createHash } from 'node:crypto';",
        "import { gatewayActivities } from '../activities/openclaw.js';",
        "import type { Activities } from '../activities/index.js';",
        '',
        'export const probe = (a?: Activities): unknown => [createHash, gatewayActivities, a];',
        '',
      ].join('\n'),
      SHARED_PROBE,
    );
    const imports = rule(messages, '@typescript-eslint/no-restricted-imports');
    expect(imports.map((m) => m.line)).toEqual([1, 2]);
    for (const m of imports) expect(m.message).toContain(DETERMINISM);
  });

  it('bans a value import of an activity module in src/workflows/', async () => {
    const messages = await lint(
      [
        "import { gatewayActivities } from '../activities/openclaw.js';",
        '',
        'export const probe = (): unknown => gatewayActivities;',
        '',
      ].join('\n'),
      WORKFLOW_PROBE,
    );
    expect(rule(messages, '@typescript-eslint/no-restricted-imports').map((m) => m.line)).toEqual([1]);
  });
});
