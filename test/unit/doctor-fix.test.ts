// Doctor classified from its own output, and the fix step of an upgrade, on output captured from the
// real openclaw 2026.9.6 CLI (Node 24.21) on real states (test/fixtures/openclaw):
//   doctor.jump-from-2026.8.2.json      2026.9.6 `doctor --json --non-interactive` on a state 2026.8.2's gateway made (a node host paired)
//   doctor-fix.jump-from-2026.8.2.txt   2026.9.6 `doctor --fix --non-interactive` on it, gateway stopped (exit 0)
//   doctor.jump-after-fix.json          the read-only doctor afterwards
//   doctor.one-release-from-2026.9.5.*  the same on a state 2026.9.5 made (no finding; stderr says a migration is pending)
//   doctor-fix.gateway-running.*        the fix while 2026.8.2's gateway runs on the state (exit 1, refused)
//   doctor.state-too-new.json, doctor-fix.state-too-new.*  2026.8.2's doctor on the state 2026.9.6 migrated
//   doctor-fix.with-json.json           `doctor --fix --json` (exit 2: doctor refuses the combination)
// Paths were rewritten to /bed/gw-jump and /bed/gw-1, the token to <token>.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDoctor, parseDoctorFix, type Captured } from '../../src/activities/openclaw/parse/index.js';
import { runDoctorFix } from '../../src/activities/openclaw/upgrade/index.js';
import { CheckFailedError, TransientError } from '../../src/shared/errors.js';
import { parseInventory } from '../../src/inventory-file.js';
import type { Instance } from '../../src/shared/inventory.js';

const FIXTURES = new URL('../fixtures/openclaw/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const maybe = (name: string): string | undefined => (existsSync(new URL(name, FIXTURES)) ? fixture(name) : undefined);
const captured = (base: string, ext: string): Captured => ({
  stdout: fixture(`${base}${ext}`),
  stderr: maybe(`${base}.stderr.txt`) ?? '',
  exitCode: Number(maybe(`${base}.exitcode`)?.trim() ?? 0),
});
type RawFinding = { checkId: string; severity: string; message: string };
const findingsOf = (name: string): RawFinding[] => (JSON.parse(fixture(name)) as { findings: RawFinding[] }).findings;

describe('parseDoctor: errors, migrations doctor --fix applies, warnings', () => {
  it('2026.9.6 on a 2026.8.2 state: the legacy-registry error is a required migration, not an error', () => {
    const raw = findingsOf('doctor.jump-from-2026.8.2.json');
    const legacy = raw.find((f) => f.message.includes('legacy agent database registry schema'))!;
    expect(legacy.severity).toBe('error');
    const d = parseDoctor(captured('doctor.jump-from-2026.8.2', '.json'));
    expect(d.errors).toEqual([]);
    expect(d.migrations).toEqual([`${legacy.checkId}: ${legacy.message}`]);
    expect(d.blockingMigrations).toEqual(d.migrations);
    expect(d.passed).toBe(false); // until the fix ran
    expect(d.warnings).toHaveLength(raw.filter((f) => f.severity === 'warning').length);
    expect(d.migrationPending).toBe(true); // its stderr: "[state/db] state database schema migration pending"
    expect(d.stateTooNew).toBe(false);
  });

  it('after the fix: passes, warnings only', () => {
    const d = parseDoctor(captured('doctor.jump-after-fix', '.json'));
    expect(d).toMatchObject({ passed: true, errors: [], migrations: [], migrationPending: false, stateTooNew: false });
    expect(d.warnings).toHaveLength(findingsOf('doctor.jump-after-fix.json').length);
  });

  it('2026.9.6 on a 2026.9.5 state: no finding asks for a migration; only stderr says one is pending', () => {
    const d = parseDoctor(captured('doctor.one-release-from-2026.9.5', '.json'));
    expect(d).toMatchObject({ passed: true, errors: [], migrations: [], migrationPending: true });
    expect(fixture('doctor.one-release-from-2026.9.5.stderr.txt')).toContain('state database schema migration pending');
  });

  it('a release that refuses the state (2026.8.2 on a state 2026.9.6 migrated): an error, and stateTooNew', () => {
    const d = parseDoctor(captured('doctor.state-too-new', '.json'));
    expect(d.passed).toBe(false);
    expect(d.stateTooNew).toBe(true);
    expect(d.migrations).toEqual([]);
    expect(d.errors[0]).toContain('uses newer schema version 18; this build supports 15');
  });

  it('the "Doctor warnings" box that asks for doctor --fix is a migration (not blocking: it passes)', () => {
    const d = parseDoctor({ stdout: fixture('doctor.migration-notice.txt'), stderr: '', exitCode: 0 });
    expect(d.passed).toBe(true);
    expect(d.migrations).toHaveLength(1);
    expect(d.migrations[0]).toContain('uses schema version 21; stop active agents and run openclaw doctor --fix');
    expect(d.blockingMigrations).toEqual([]);
  });

  it('a warning that asks for doctor --fix in its fixHint is a migration too; an error that does not stays an error', () => {
    const raw = JSON.parse(fixture('doctor.warnings.json')) as { findings: Array<RawFinding & { fixHint?: string }> };
    raw.findings[0]!.fixHint = 'Run openclaw doctor --fix to move it.';
    raw.findings[1]!.severity = 'error';
    const d = parseDoctor({ stdout: JSON.stringify(raw), stderr: '', exitCode: 0 });
    expect(d.migrations).toHaveLength(1);
    expect(d.blockingMigrations).toEqual([]);
    expect(d.errors).toHaveLength(1);
    expect(d.passed).toBe(false);
  });
});

describe('parseDoctorFix: what the fix says (it prints no JSON)', () => {
  it('`doctor --fix --json` is refused by doctor itself (exit 2), so the fix runs without --json', () => {
    expect(fixture('doctor-fix.with-json.exitcode').trim()).toBe('2');
    expect(fixture('doctor-fix.with-json.json')).toContain('cannot be combined with --repair, --fix, or --force');
  });

  it('the jump: the schema migrations and the config it rewrote are among its changes, and it completed', () => {
    const f = parseDoctorFix(captured('doctor-fix.jump-from-2026.8.2', '.txt'));
    expect(f.complete).toBe(true);
    expect(f.problems).toEqual([]);
    expect(f.changes.slice(0, 3)).toEqual([
      'Moved Skill Workshop ownership to per-agent directories (v16)',
      'Recorded prepared worker ownership and one-use lifecycle (v17)',
      'Rebuilt canonical shared-state SQLite indexes (1)',
    ]);
    expect(f.changes).toContain('Updated config: /bed/gw-jump/openclaw.json (backup: /bed/gw-jump/openclaw.json.bak)');
    // Every "- " item of every "Doctor changes" note, wrapped lines joined.
    const text = fixture('doctor-fix.jump-from-2026.8.2.txt');
    expect(f.changes).toContain('Tightened permissions on /bed/gw-jump/state to 700');
    expect(f.changes.filter((c) => c.startsWith('Disabled '))).toHaveLength(
      (text.match(/│ {2}- Disabled /g) ?? []).length,
    );
    expect(f.warnings[0]).toMatch(/^core\/doctor\/node-hosting-preconditions gateway\.bind - /);
  });

  it('the one-release path changes no schema line but completes', () => {
    const f = parseDoctorFix(captured('doctor-fix.one-release-from-2026.9.5', '.txt'));
    expect(f.complete).toBe(true);
    expect(f.changes.some((c) => /\(v1\d\)/.test(c))).toBe(false);
  });

  it('refusals: another process owns the state (exit 1), schemas newer than the build (exit 1)', () => {
    const running = parseDoctorFix(captured('doctor-fix.gateway-running', '.txt'));
    expect(running.complete).toBe(false);
    expect(running.problems[0]).toMatch(
      /^Doctor could not enter maintenance\. StateDatabaseCoordinatorContentionError: another OpenClaw process owns gateway-lifecycle/,
    );
    const tooNew = parseDoctorFix(captured('doctor-fix.state-too-new', '.txt'));
    expect(tooNew.problems[0]).toMatch(
      /^Doctor refused to continue because 1 OpenClaw database schema\(s\) are newer than this build\./,
    );
  });
});

// runDoctorFix against a fake `openclaw` that answers with the fixtures: the read-only doctor answers
// `before` until the fix ran (it leaves a marker), then `after`.
describe('runDoctorFix', () => {
  let dir: string;
  let answering: Server;
  let answeringUrl: string;
  let closedUrl: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'doctor-fix-test-'));
    answering = createServer((_req, res) => res.writeHead(503).end('starting'));
    await new Promise<void>((r) => answering.listen(0, '127.0.0.1', r));
    answeringUrl = `http://127.0.0.1:${(answering.address() as { port: number }).port}`;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((r) => closed.close(r));
  });
  afterAll(async () => {
    await new Promise((r) => answering.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  /** A fake CLI in its own dir; `plan` names the fixtures it answers with. */
  async function fakeCli(
    name: string,
    plan: { before: string; fix: string; after: string; beforeExit?: number },
  ): Promise<{ cli: string[]; calls: () => string[] }> {
    const home = join(dir, name);
    const files = Object.fromEntries(
      Object.entries(plan)
        .filter(([k]) => k !== 'beforeExit')
        .map(([k, base]) => [
          k,
          {
            stdout: maybe(`${base}.json`) ?? maybe(`${base}.txt`) ?? '',
            stderr: maybe(`${base}.stderr.txt`) ?? '',
            exit: Number(maybe(`${base}.exitcode`)?.trim() ?? 0),
          },
        ]),
    );
    const script = `
const fs = require('node:fs'); const path = require('node:path');
const home = ${JSON.stringify(home)}; const f = ${JSON.stringify(files)}; const beforeExit = ${plan.beforeExit ?? 'undefined'};
fs.mkdirSync(home, { recursive: true }); fs.appendFileSync(path.join(home, 'calls'), process.argv.slice(2).join(' ') + '\\n');
const a = process.argv.slice(2).join(' ');
const out = (x, code) => { process.stdout.write(x.stdout); process.stderr.write(x.stderr); process.exitCode = code ?? x.exit; };
if (a === 'doctor --fix --non-interactive') { fs.writeFileSync(path.join(home, 'fixed'), ''); out(f.fix); }
else if (a === 'doctor --json --non-interactive') { const fixed = fs.existsSync(path.join(home, 'fixed')); out(fixed ? f.after : f.before, fixed ? undefined : beforeExit); }
else { process.stderr.write('unexpected ' + a); process.exitCode = 9; }
`;
    const file = join(dir, `${name}.cjs`);
    await writeFile(file, script);
    await chmod(file, 0o755);
    return {
      cli: [process.execPath, file],
      calls: () =>
        existsSync(join(home, 'calls')) ? readFileSync(join(home, 'calls'), 'utf8').trim().split('\n') : [],
    };
  }

  const instance = (cli: string[], httpUrl: string): Instance =>
    parseInventory(
      JSON.stringify({
        cluster: 'c',
        loadBalancer: { type: 'none' },
        instances: [
          {
            id: 'gw-jump',
            gateway: { cli, stateDir: join(dir, 'state'), configPath: join(dir, 'openclaw.json'), httpUrl },
            lbServer: 'gwjump',
            install: { type: 'global' },
            restart: ['supervisorctl', 'restart', 'gw-jump'],
          },
        ],
      }),
    ).instances[0]!;
  const ctx = { timeoutMs: 30_000 };

  it('the jump: applies the migration doctor asked for, reports it fixed, keeps the warnings', async () => {
    const fake = await fakeCli('jump', {
      before: 'doctor.jump-from-2026.8.2',
      fix: 'doctor-fix.jump-from-2026.8.2',
      after: 'doctor.jump-after-fix',
    });
    const r = await runDoctorFix(instance(fake.cli, closedUrl), ctx);
    expect(fake.calls()).toEqual([
      'doctor --json --non-interactive',
      'doctor --fix --non-interactive',
      'doctor --json --non-interactive',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.fixed).toHaveLength(1);
    expect(r.fixed[0]).toContain(
      'has a legacy agent database registry schema; run openclaw doctor --fix to migrate it.',
    );
    expect(r.requiredBefore).toEqual(r.fixed);
    expect(r.migrationPendingBefore).toBe(true);
    expect(r.changes[0]).toBe('Moved Skill Workshop ownership to per-agent directories (v16)');
    expect(r.changes.length).toBeLessThanOrEqual(41);
    expect(r.warnings).toHaveLength(2);
    expect(r.command).toContain('doctor --fix --non-interactive');
  });

  it('refuses while the gateway answers /readyz, running nothing', async () => {
    const fake = await fakeCli('running', {
      before: 'doctor.jump-from-2026.8.2',
      fix: 'doctor-fix.jump-from-2026.8.2',
      after: 'doctor.jump-after-fix',
    });
    const err = await runDoctorFix(instance(fake.cli, answeringUrl), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as Error).message).toContain(`the gateway still answers ${answeringUrl}/readyz`);
    expect((err as Error).message).toContain('supervisorctl stop gw-jump');
    expect(fake.calls()).toEqual([]);
  });

  it("errors that remain after the fix fail the step with doctor's words and what to do", async () => {
    const fake = await fakeCli('remains', {
      before: 'doctor.jump-from-2026.8.2',
      fix: 'doctor-fix.jump-from-2026.8.2',
      after: 'doctor.jump-from-2026.8.2',
    });
    const err = await runDoctorFix(instance(fake.cli, closedUrl), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as Error).message).toContain('doctor still reports 1 error');
    expect((err as Error).message).toContain('legacy agent database registry schema');
    expect((err as Error).message).toContain('decide rollback');
  });

  it('a fix refused because something still holds the state is worth a retry (TransientError)', async () => {
    const fake = await fakeCli('contention', {
      before: 'doctor.jump-from-2026.8.2',
      fix: 'doctor-fix.gateway-running',
      after: 'doctor.jump-from-2026.8.2',
    });
    const err = await runDoctorFix(instance(fake.cli, closedUrl), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain('exited with code 1');
    expect((err as Error).message).toContain('StateDatabaseCoordinatorContentionError');
  });

  it('a release that refuses the state: fails before the fix, saying to restore the backup', async () => {
    const fake = await fakeCli('too-new', {
      before: 'doctor.state-too-new',
      fix: 'doctor-fix.state-too-new',
      after: 'doctor.state-too-new',
    });
    const err = await runDoctorFix(instance(fake.cli, closedUrl), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as Error).message).toContain('refuses the state of instance gw-jump');
    expect((err as Error).message).toContain('decide rollback');
    expect(fake.calls()).toEqual(['doctor --json --non-interactive']);
  });

  it('a doctor that cannot run at all (exit 78, no report) fails with the exit code and what to do', async () => {
    const fake = await fakeCli('exit78', {
      before: 'doctor-fix.state-too-new',
      fix: 'doctor-fix.state-too-new',
      after: 'doctor-fix.state-too-new',
      beforeExit: 78,
    });
    const err = await runDoctorFix(instance(fake.cli, closedUrl), ctx).catch((e: Error) => e);
    expect(err).toBeInstanceOf(CheckFailedError);
    expect((err as Error).message).toContain(
      'could not run: exit code 78 (78: the release refuses this state or its configuration)',
    );
    expect((err as Error).message).toContain('Doctor refused to continue');
    expect((err as Error).message).toContain('decide rollback');
  });
});
