// Which checks run differently on an older release, from its own --help (test/fixtures/openclaw/help.*,
// captured from the real 2026.4.1, 2026.7.35, 2026.8.2 and 2026.9.5 CLIs), and how `plan` shows them
// under the instance.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctorJsonArgsFrom } from '../../src/activities/openclaw/capabilities.js';
import { parseHelp, type Captured } from '../../src/activities/openclaw/parse/index.js';
import {
  fallbackLines,
  fallbacksFromHelp,
  summaryWithFallbacks,
} from '../../src/activities/openclaw/release-fallbacks.js';
import { printPlan } from '../../src/cli/views/plan-view.js';
import type { PreflightReport } from '../../src/cli/workflow-starts.js';
import { Inventory } from '../../src/shared/inventory.js';

const path = (name: string) => new URL(`../fixtures/openclaw/${name}`, import.meta.url);
const text = (name: string) => (existsSync(path(name)) ? readFileSync(path(name), 'utf8') : '');
const captured = (base: string): Captured => ({
  stdout: text(`${base}.txt`),
  stderr: text(`${base}.stderr.txt`),
  exitCode: Number(text(`${base}.exitcode`).trim() || 0),
});
const helpOf = (v: string) => ({
  doctor: parseHelp('openclaw doctor', captured(`help.doctor.${v}`)),
  database: parseHelp('openclaw database', captured(`help.database.${v}`)),
});

describe('the release help of 2026.4.1', () => {
  it('answers `database --help` with its root help: no database command', () => {
    const help = parseHelp('openclaw database', captured('help.database.2026.4.1'));
    expect(help).toEqual({ exists: false, commands: [], options: [] });
  });

  it('has a doctor without --json: no read-only JSON doctor', () => {
    expect(doctorJsonArgsFrom(parseHelp('openclaw doctor', captured('help.doctor.2026.4.1')))).toBeUndefined();
  });
});

describe('fallbacksFromHelp', () => {
  it('2026.9.5 runs every check as documented', () => {
    expect(fallbacksFromHelp('2026.9.5', helpOf('2026.9.5'))).toEqual([]);
  });

  it('2026.8.2: the restored agent databases are not checked (no database preflight-agent)', () => {
    expect(fallbacksFromHelp('2026.8.2', helpOf('2026.8.2'))).toEqual([
      {
        check: 'rollback: restored agent databases checked before the start',
        instead: 'not checked (the start is the check): openclaw 2026.8.2 has no `database preflight-agent`',
      },
    ]);
  });

  it('2026.7.35: doctor with --lint, no database check at all', () => {
    const f = fallbacksFromHelp('2026.7.35', helpOf('2026.7.35'));
    expect(f.map((x) => x.check)).toEqual([
      'doctor (running release)',
      'rollback: restored state database checked before the start',
      'rollback: restored agent databases checked before the start',
    ]);
    expect(f[0]!.instead).toBe("runs as `doctor --lint --json`: openclaw 2026.7.35's --json works only with --lint");
  });

  it('2026.4.1: the doctor before the drain is not run, no database check', () => {
    const f = fallbacksFromHelp('2026.4.1', helpOf('2026.4.1'));
    expect(f[0]).toEqual({
      check: 'doctor (running release, before the drain)',
      instead: "not run: openclaw 2026.4.1's doctor has no --json (it only repairs)",
    });
    expect(f).toHaveLength(3);
  });
});

describe('plan', () => {
  const inventory = Inventory.parse({
    cluster: 'c',
    loadBalancer: { type: 'haproxy', socket: '/run/haproxy.sock', backend: 'gw' },
    instances: ['gw-old', 'gw-new'].map((id) => ({
      id,
      gateway: { stateDir: `/${id}`, configPath: `/${id}.json` },
      lbServer: id.replace('-', ''),
      install: { type: 'global' },
    })),
  });

  it('lists per instance which checks fall back and why, under its jump', () => {
    const old = { release: '2026.7.35', fallbacks: fallbacksFromHelp('2026.7.35', helpOf('2026.7.35')) };
    const report = {
      ok: true,
      instances: [
        { instance: 'gw-old', jump: summaryWithFallbacks('2026.7.35 → 2026.9.6: schemas change.', fallbackLines(old)) },
        { instance: 'gw-new', jump: summaryWithFallbacks('2026.9.5 → 2026.9.6: no schema change.', []) },
      ],
    } as unknown as PreflightReport;
    const lines: string[] = [];
    printPlan((s) => lines.push(s), inventory, report, { 'gw-old': ['a'], 'gw-new': ['b'] }, new Set(), '2026.9.6');
    expect(lines.join('\n')).toBe(
      [
        '\ngw-old:',
        '  2026.7.35 → 2026.9.6: schemas change.',
        '  checks that fall back on 2026.7.35:',
        "    - doctor (running release): runs as `doctor --lint --json`: openclaw 2026.7.35's --json works only with --lint",
        '    - rollback: restored state database checked before the start: not checked (the start is the check): openclaw 2026.7.35 has no `database preflight`',
        '    - rollback: restored agent databases checked before the start: not checked (the start is the check): openclaw 2026.7.35 has no `database preflight-agent`',
        '  1. a',
        '\ngw-new:',
        '  2026.9.5 → 2026.9.6: no schema change.',
        '  1. b',
      ].join('\n'),
    );
  });
});
