// The patch registry (src/workflows/patches.ts) against the code and the replay fixtures: every id it
// lists is asked by the workflows (in the files it names) and every id asked is listed; only the
// registry calls the SDK's patched() / deprecatePatch(); each id is in a recorded history's patch marker
// (test/fixtures/histories), so its new path is replayed by test/unit/replay.test.ts. See docs/versioning.md.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PATCHES } from '../../src/workflows/patches.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const registryFile = 'src/workflows/patches.ts';

/** Patches no fixture records yet, each with why (a gap to close, not a rule to relax). */
const NOT_IN_A_FIXTURE: Record<string, string> = {};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Call {
  file: string;
  callee: string;
  arg: string | undefined;
}

/** Every call of isPatched / patched / deprecatePatch in src/ and bench/, from the TypeScript parser. */
function patchCalls(): Call[] {
  const calls: Call[] = [];
  for (const file of [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'bench'))]) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression.getText(sf).replace(/^.*\./, '');
        const first = node.arguments[0];
        if (['isPatched', 'patched', 'deprecatePatch'].includes(callee))
          calls.push({
            file: relative(root, file),
            callee,
            arg: first && ts.isStringLiteral(first) ? first.text : undefined,
          });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return calls;
}

/** Patch ids recorded as markers in the replay fixtures (payload data is base64 JSON). */
function idsInFixtures(): Set<string> {
  const dir = join(root, 'test/fixtures/histories');
  const ids = new Set<string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const history = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    for (const e of history.events ?? []) {
      const details = e.markerRecordedEventAttributes?.details ?? {};
      for (const p of details['patch-data']?.payloads ?? []) {
        const data = JSON.parse(Buffer.from(p.data, 'base64').toString('utf8'));
        if (typeof data?.id === 'string') ids.add(data.id);
      }
    }
  }
  return ids;
}

const calls = patchCalls();
const registered = Object.keys(PATCHES).sort();

describe('the patch registry (src/workflows/patches.ts)', () => {
  it('is the only caller of the SDK: workflow code asks isPatched with a literal id', () => {
    const direct = calls.filter((c) => c.callee !== 'isPatched' && c.file !== registryFile);
    expect(direct).toEqual([]);
    expect(calls.filter((c) => c.callee === 'isPatched' && c.arg === undefined)).toEqual([]);
  });

  it('lists every id asked, and every id it lists is asked', () => {
    const asked = [...new Set(calls.filter((c) => c.callee === 'isPatched').map((c) => c.arg!))].sort();
    expect(asked).toEqual(registered);
  });

  it('names the files that ask each id (askedIn), as they are', () => {
    for (const id of registered) {
      const files = [...new Set(calls.filter((c) => c.arg === id).map((c) => c.file))].sort();
      expect({ id, files }).toEqual({ id, files: [...PATCHES[id as keyof typeof PATCHES].askedIn].sort() });
    }
  });

  it('has each id in a replay fixture, apart from the gaps listed with their reason', () => {
    const recorded = idsInFixtures();
    expect(registered.filter((id) => !recorded.has(id) && !NOT_IN_A_FIXTURE[id])).toEqual([]);
    // A listed gap that a fixture has closed must leave the list.
    expect(Object.keys(NOT_IN_A_FIXTURE).filter((id) => recorded.has(id) || !registered.includes(id))).toEqual([]);
  });

  it('reads the fixtures it claims to: a known marker is found', () => {
    expect(idsInFixtures().has('failure-decisions-v1')).toBe(true);
  });
});
