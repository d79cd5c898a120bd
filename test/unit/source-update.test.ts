// The `source` install's `openclaw update`: its parsers on output captured from real runs on the bed's
// npm installs (test/fixtures/openclaw/update.*, update-status.*; see README.update.md there), and the
// activity's handling of its exit codes with a stand-in executable that prints those captures.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseUpdate,
  parseUpdateStatus,
  readUpdate,
  type Captured,
} from '../../src/activities/openclaw/parse/index.js';
import { runSourceUpdate } from '../../src/activities/openclaw/source-update.js';
import { TransientError, UnexpectedOutputError } from '../../src/shared/errors.js';
import { describeUpdateReport } from '../../src/shared/update-report.js';

const path = (name: string) => new URL(`../fixtures/openclaw/${name}`, import.meta.url);
const fixture = (name: string): string => readFileSync(path(name), 'utf8');
const captured = (base: string): Captured => ({
  stdout: fixture(`${base}.json`),
  stderr: existsSync(path(`${base}.stderr.txt`)) ? fixture(`${base}.stderr.txt`) : '',
  exitCode: existsSync(path(`${base}.exitcode`)) ? Number(fixture(`${base}.exitcode`).trim()) : 0,
});
const raw = (base: string) => JSON.parse(fixture(`${base}.json`)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('openclaw update --json', () => {
  it('reads a real update 2026.9.5 → 2026.9.6 of an npm install: ok, changed, its report path and run', () => {
    const out = captured('update.to-target');
    const r = raw('update.to-target');
    expect(out.exitCode).toBe(0);
    const u = parseUpdate(out);
    expect(u).toMatchObject({
      status: 'ok',
      before: r.before.version,
      after: r.after.version,
      changed: true,
      reportPath: r.reportPath,
      runId: r.run.runId,
      installKind: 'package',
    });
    expect(u.reportPath).toMatch(new RegExp(`/update-reports/${r.run.runId}\\.md$`));
    expect(describeUpdateReport(u)).toBe(
      `openclaw update ok (npm package): 2026.9.5 → 2026.9.6, report ${r.reportPath}`,
    );
  });

  it('refuses a version the registry does not have (exit 1): status error, its reason and what it said', () => {
    const out = captured('update.unknown-version');
    expect(out.exitCode).toBe(1);
    const u = readUpdate(out);
    expect(u).toMatchObject({ status: 'error', reason: 'target-metadata-preflight', changed: false });
    expect(u.facts[0]).toContain('The registry package metadata could not be read');
    const err = (() => {
      try {
        parseUpdate(out);
      } catch (e) {
        return e as Error;
      }
      throw new Error('parseUpdate returned');
    })();
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('"error" (reason target-metadata-preflight) at step "target-metadata-preflight"');
  });

  it('names the failed step of a swap that failed its check (a hard-linked package on the bed)', () => {
    const u = readUpdate(captured('update.swap-failed'));
    expect(u).toMatchObject({ status: 'error', reason: 'global-install-failed', failedStep: 'global install swap' });
    expect(u.facts).toEqual(['Package rollback file changed before reading']);
    expect(u.after).toBe('2026.9.5');
  });

  it('does not take `update status` output for an update result', () => {
    expect(() => parseUpdate(captured('update-status.package'))).toThrow(UnexpectedOutputError);
  });
});

describe('openclaw update status --json', () => {
  it('a `git init` copy of the package reports install kind git: a source checkout in the words we print', () => {
    const s = parseUpdateStatus(captured('update-status.git'));
    expect(s.installKind).toBe('git');
    expect(s.root).toBe(raw('update-status.git').update.root);
    expect(
      describeUpdateReport({
        status: 'skipped',
        reason: 'already-current',
        installKind: s.installKind,
        changed: false,
        facts: [],
      }),
    ).toBe('openclaw update skipped (already-current) (source checkout (git))');
  });

  it('the npm install reports install kind package and, after a failed update, that run as the last one', () => {
    expect(parseUpdateStatus(captured('update-status.package'))).toEqual({
      installKind: 'package',
      root: raw('update-status.package').update.root,
    });
    const s = parseUpdateStatus(captured('update-status.last-run-failed'));
    const last = raw('update-status.last-run-failed').lastRun;
    expect(s.activeRun).toBeUndefined();
    expect(s.lastRun).toMatchObject({
      runId: last.runId,
      status: 'failed',
      reason: 'global-install-failed',
      phase: 'finished',
    });
  });
});

describe('runSourceUpdate (stand-in CLI printing the captures)', () => {
  let dir: string;
  let cli: string;
  const access = () => ({ cli: [cli], env: { FAKE_DIR: dir } });
  const ctx = { timeoutMs: 10_000 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'source-update-'));
    cli = join(dir, 'openclaw');
    const running = JSON.stringify({
      update: { installKind: 'git' },
      activeRun: { runId: 'r-75', status: 'running', phase: 'activating' },
    });
    const finished = JSON.stringify({
      update: { installKind: 'git' },
      lastRun: { runId: 'r-75', status: 'succeeded', phase: 'finished', after: { version: '2026.9.6' } },
    });
    // `update status` answers "running" twice, then "succeeded"; `update --tag X` prints the capture named by X.
    await writeFile(
      cli,
      `#!/bin/sh\ncd "$FAKE_DIR"\nif [ "$2" = status ]; then n=$(cat polls 2>/dev/null || echo 0); echo $((n+1)) > polls\n` +
        `  if [ "$n" -lt 2 ]; then echo '${running}'; else echo '${finished}'; fi; exit 0; fi\n` +
        `tag=$6; case "$tag" in handoff) echo '{"run":{"runId":"r-75","status":"running"}}'; exit 75;; esac\n` +
        `cat "${path('.').pathname}/update.$tag.json"; cat "${path('.').pathname}/update.$tag.exitcode" 2>/dev/null | { read c; exit \${c:-0}; }\n`,
    );
    await chmod(cli, 0o755);
  });

  it('exit 0: the report of the update', async () => {
    const u = await runSourceUpdate(access(), '2026.9.6', 'to-target', ctx);
    expect(u.report).toMatchObject({ status: 'ok', after: '2026.9.6', changed: true });
    expect(u.command).toContain('update --yes --json --no-restart --tag to-target');
  });

  it('exit 1: an error naming the reason, the failed step and the command to run by hand', async () => {
    const err = (await runSourceUpdate(access(), '2099.1.1', 'unknown-version', ctx).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('exited with code 1');
    expect(err.message).toContain('reason target-metadata-preflight');
    expect(err.message).toContain('The registry package metadata could not be read');
    expect(err.message).toMatch(
      /Run it by hand \(gateway stopped\):\n {2}.*\/openclaw update --yes --json --no-restart --tag unknown-version$/,
    );
  });

  it('exit 75 (handed off): polls `update status --json` until its run finished, heartbeating', async () => {
    const beats: unknown[] = [];
    const u = await runSourceUpdate(access(), '2026.9.6', 'handoff', { ...ctx, heartbeat: (d) => beats.push(d) }, 10);
    expect(u.handedOff).toBe(true);
    expect(u.report).toMatchObject({ status: 'succeeded', after: '2026.9.6', runId: 'r-75', installKind: 'git' });
    expect(beats).toHaveLength(3);
    expect(beats[0]).toMatchObject({ handedOff: true, phase: 'activating' });
    expect(readFileSync(join(dir, 'polls'), 'utf8').trim()).toBe('3');
  });
});

describe('the environment of host commands', () => {
  it('leaves out what npm run / npx put into the worker (npm_config_prefix would redirect openclaw update)', async () => {
    const { childEnvironment } = await import('../../src/activities/host/child-env.js');
    process.env.npm_config_prefix = '/worker/node';
    process.env.INIT_CWD = '/worker';
    process.env.NPM_CONFIG_REGISTRY = 'https://registry.example';
    try {
      const env = childEnvironment({ HOME: '/srv/gw' });
      expect(env.npm_config_prefix).toBeUndefined();
      expect(env.INIT_CWD).toBeUndefined();
      expect(env.NPM_CONFIG_REGISTRY).toBe('https://registry.example'); // the operator's own setting stays
      expect(env.HOME).toBe('/srv/gw');
    } finally {
      delete process.env.npm_config_prefix;
      delete process.env.INIT_CWD;
      delete process.env.NPM_CONFIG_REGISTRY;
    }
  });
});
