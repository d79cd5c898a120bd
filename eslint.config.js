// ESLint flat config (ESLint 10, typescript-eslint 8): type-checked rules for src/ and test/, strict
// promise rules everywhere, and a determinism guard for Temporal workflow code.
import { builtinModules } from 'node:module';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const WORKFLOW_IMPORT_MESSAGE =
  'workflow code must be deterministic: do I/O in an activity (src/activities/) and call it through proxyActivities.';

// Every Node built-in in both spellings (`fs` and `node:fs`, `fs/promises` and `node:fs/promises`);
// prefix-only modules such as `node:test` and `node:sqlite` are listed by Node with their prefix.
const nodeBuiltins = [
  ...new Set(builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`]))),
].sort();

/** Probe file names the unit tests lint with `lintText` (they never exist on disk). */
export const LINT_PROBE_FILES = [
  'src/workflows/__lint_probe__.ts',
  'src/activities/__lint_probe__.ts',
  'src/shared/__lint_probe__.ts',
];

export default defineConfig(
  globalIgnores(['node_modules/', '.tools/', '.bed/', '.bench/', '.temporal/', 'scratch/', 'test-artifacts/', 'dist/']),

  {
    name: 'openclaw-rollout/typescript',
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Lets tests lint virtual files (lintText) with the project's own compiler options.
          allowDefaultProject: LINT_PROBE_FILES,
          defaultProject: 'tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The promise rules are the point of this config: a dropped promise in a workflow or activity is a
      // silent bug (an un-awaited activity, an unhandled rejection that kills the worker).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',

      // Codebase style, where the recommended defaults are noise:
      // numbers and booleans in template strings are intentional (`${ms}ms`, `${ok}`).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      // `_`-prefixed names are deliberately unused (destructuring, callback parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `reject(signal.reason)` / `reject(error)` with an `unknown` is how AbortSignal and callback APIs
      // hand errors over; literal non-Error rejections are still reported.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // `async () => 0` stubs that implement a Promise-returning interface are fine.
      '@typescript-eslint/require-await': 'off',
      // Activities are `this`-free methods of an object literal (gatewayActivities.x) that Temporal, the
      // worker and the tests pass around by reference: unbound-method would flag every such use.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  {
    name: 'openclaw-rollout/tests',
    files: ['test/**/*.ts'],
    rules: {
      // Tests poke at parsed JSON/YAML and deliberately malformed fixtures through `any`.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  {
    name: 'openclaw-rollout/workflow-determinism',
    // src/shared/ is imported by workflows too, so it is held to the same rule.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts', 'bench/workflows.ts', 'bench/floor-workflow.ts'],
    rules: {
      // The typescript-eslint variant so `import type { X } from 'node:...'` (erased at compile time)
      // stays allowed; any value import of a Node built-in or of execa is an error.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: WORKFLOW_IMPORT_MESSAGE, allowTypeImports: true })),
            { name: 'execa', message: WORKFLOW_IMPORT_MESSAGE, allowTypeImports: true },
          ],
          // Activities run on the host: workflow code reaches them only through proxyActivities (types only).
          patterns: [
            { group: ['**/activities/**', '**/activities'], message: WORKFLOW_IMPORT_MESSAGE, allowTypeImports: true },
          ],
        },
      ],
      // With verbatimModuleSyntax, `import { type X } from 'm'` still emits `import 'm'` at runtime.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
);
