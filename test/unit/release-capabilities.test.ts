// What an older openclaw release can do, read from its own help (test/fixtures/openclaw/help.*, captured
// from the real 2026.7.35, 2026.8.2 and 2026.9.5 CLIs), and its usage errors told apart from transient
// failures: main's CI once retried 2026.8.2's `has no command "preflight-agent"` as a TransientError and
// the rollback never finished. The capability probe runs a fake CLI here (a shell script printing the
// captured help); test/e2e/04f asks the real 2026.8.2 and 2026.9.6.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorJsonArgs, hasCommand } from '../../src/activities/openclaw/capabilities.js';
import {
  parseDatabasePreflight,
  parseDoctor,
  parseHelp,
  type Captured,
} from '../../src/activities/openclaw/parse/index.js';
import { TransientError, UnsupportedByReleaseError } from '../../src/shared/errors.js';
import type { GatewayAccess } from '../../src/shared/inventory.js';

const path = (name: string) => new URL(`../fixtures/openclaw/${name}`, import.meta.url);
const text = (name: string) => (existsSync(path(name)) ? readFileSync(path(name), 'utf8') : '');
/** A capture: `<base>.txt|json` (stdout), `<base>.stderr.txt`, `<base>.exitcode`. */
const captured = (base: string, ext = 'txt'): Captured => ({
  stdout: text(`${base}.${ext}`),
  stderr: text(`${base}.stderr.txt`),
  exitCode: Number(text(`${base}.exitcode`).trim() || 0),
});

describe('parseHelp', () => {
  it('lists the subcommands each release has: 2026.9.5 has preflight-agent, 2026.8.2 only preflight', () => {
    const names = (v: string) =>
      parseHelp('openclaw database', captured(`help.database.${v}`)).commands.map((c) => c.name);
    expect(names('2026.9.5')).toEqual(['ownership', 'preflight', 'preflight-agent']);
    expect(names('2026.8.2')).toEqual(['ownership', 'preflight']);
  });

  it('says a command does not exist when the release does not know it (2026.7.35 has no database)', () => {
    const help = parseHelp('openclaw database', captured('help.database.2026.7.35'));
    expect(help.exists).toBe(false);
  });

  it('reads long options with their whole description, wrapped lines joined', () => {
    const help = parseHelp('openclaw doctor', captured('help.doctor.2026.7.35'));
    const json = help.options.find((o) => o.name === '--json');
    expect(json?.description).toBe('With --lint or --post-upgrade: emit machine-readable JSON output (default: false)');
    expect(help.options.map((o) => o.name)).toContain('--help'); // `-h, --help` → the long name
    expect(help.options.map((o) => o.name)).toContain('--only'); // `--only <id>` → the name alone
  });

  it('refuses output that is not help, quoting it', () => {
    expect(() => parseHelp('openclaw doctor', { stdout: 'garbage', stderr: '', exitCode: 0 })).toThrow(/garbage/);
  });
});

describe('usage errors of an older release are not transient', () => {
  it("2026.8.2's `database preflight-agent` (JSON error envelope) is UnsupportedByReleaseError, naming the command", () => {
    const out = captured('database-preflight-agent.unknown-command.2026.8.2');
    expect(out.exitCode).toBe(1);
    let err: unknown;
    try {
      parseDatabasePreflight(out);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedByReleaseError);
    expect(err).not.toBeInstanceOf(TransientError);
    expect((err as UnsupportedByReleaseError).retryable).toBe(false);
    expect(String(err)).toMatch(/has no command "preflight-agent"/);
    expect(String(err)).toMatch(/openclaw database --help/);
  });

  it("2026.7.35's `doctor --json` (exit 2, plain text) is UnsupportedByReleaseError", () => {
    const out = captured('doctor.usage-error.2026.7.35');
    expect(out.exitCode).toBe(2);
    expect(() => parseDoctor(out)).toThrow(UnsupportedByReleaseError);
    expect(() => parseDoctor(out)).toThrow(/require --lint/);
  });

  it("2026.7.35's `doctor --lint --json` reads like the newer `doctor --json`", () => {
    const report = parseDoctor(captured('doctor-lint.2026.7.35', 'json'));
    expect(report.passed).toBe(true); // warnings only in the capture
    expect(report.warnings.length).toBeGreaterThan(0);
  });
});

const fakes: string[] = [];
afterAll(async () => Promise.all(fakes.map((d) => rm(d, { recursive: true, force: true }))));

/** A fake CLI answering `--version` with `version` and `<path> --help` with a captured help file. */
async function fakeCli(
  version: string,
  helps: Record<string, string>,
): Promise<{ access: GatewayAccess; calls: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'capabilities-'));
  fakes.push(dir);
  const log = join(dir, 'calls.log');
  const cases = Object.entries(helps)
    .map(([cmd, file]) => `  "${cmd} --help") cat '${path(file).pathname}'; exit 0 ;;`)
    .join('\n');
  const script = `#!/bin/sh\necho "$*" >> '${log}'\ncase "$*" in\n  "--version") echo "OpenClaw ${version} (abc1234)"; exit 0 ;;\n${cases}\n  *) echo "Unknown command: openclaw $1" >&2; exit 1 ;;\nesac\n`;
  await writeFile(join(dir, 'openclaw'), script);
  await chmod(join(dir, 'openclaw'), 0o755);
  const access = { cli: [join(dir, 'openclaw')], env: {} } as unknown as GatewayAccess;
  const calls = async () => (await readFile(log, 'utf8')).trim().split('\n');
  return { access, calls };
}

describe('capabilities: asked of the release, cached per release', () => {
  const ctx = { timeoutMs: 10_000 };

  it('finds preflight-agent missing on 2026.8.2 and asks its help once', async () => {
    const { access, calls } = await fakeCli('2026.8.2', { database: 'help.database.2026.8.2.txt' });
    expect(await hasCommand(access, ['database', 'preflight-agent'], ctx)).toEqual({ has: false, release: '2026.8.2' });
    expect(await hasCommand(access, ['database', 'preflight'], ctx)).toEqual({ has: true, release: '2026.8.2' });
    expect((await calls()).filter((c) => c === 'database --help')).toHaveLength(1);
  });

  it('runs doctor with --lint where the release says --json needs it (2026.7.35), not on 2026.9.5', async () => {
    const old = await fakeCli('2026.7.35', { doctor: 'help.doctor.2026.7.35.txt' });
    const now = await fakeCli('2026.9.5', { doctor: 'help.doctor.2026.9.5.txt' });
    expect(await doctorJsonArgs(old.access, ctx)).toEqual(['doctor', '--lint', '--json', '--non-interactive']);
    expect(await doctorJsonArgs(now.access, ctx)).toEqual(['doctor', '--json', '--non-interactive']);
  });

  it('reports a command group the release lacks entirely (2026.7.35 has no database)', async () => {
    const { access } = await fakeCli('2026.7.35', {});
    expect(await hasCommand(access, ['database', 'preflight'], ctx)).toEqual({ has: false, release: '2026.7.35' });
  });
});
