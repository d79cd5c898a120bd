/**
 * The exact commands each install type runs (runbook step 2), checked with a stand-in executable that
 * records its argv and environment: `npm i -g [--prefix P] openclaw@<v>` for global installs,
 * `openclaw update --yes --json --no-restart --tag <v>` for source checkouts, and the inventory's own
 * command with {version} filled in. The real global install runs on the bed (test/e2e/update.test.ts).
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installVersion } from '../../src/activities/openclaw/index.js';
import { ConfigurationError, TransientError } from '../../src/shared/errors.js';
import type { GatewayAccess } from '../../src/shared/inventory.js';

let dir: string;
let recorder: string;
const calls = async () => (await readFile(join(dir, 'calls.log'), 'utf8')).trim().split('\n');
const access = (): GatewayAccess => ({
  cli: [recorder],
  stateDir: '/srv/gw',
  configPath: '/srv/gw.json',
  env: { MARK: 'x' },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'install-cmd-'));
  recorder = join(dir, 'record.sh');
  // Prints what `openclaw update --json` prints on success; exits 3 when asked to fail.
  await writeFile(
    recorder,
    `#!/bin/sh\necho "$* | state=$OPENCLAW_STATE_DIR mark=$MARK vitest=\${VITEST:-unset}" >> ${join(dir, 'calls.log')}\n` +
      `case "$*" in *fail*) echo "npm ERR! boom" >&2; exit 3;; esac\n` +
      `echo '{"runId":"r","run":{"status":"succeeded","before":{"version":"2026.9.5"},"after":{"version":"2026.9.6"}}}'\n`,
  );
  await chmod(recorder, 0o755);
});

describe('installVersion', () => {
  it('global: npm install -g into the instance prefix, with the instance env and no test-runner vars', async () => {
    const out = await installVersion(access(), { type: 'global', npm: [recorder], prefix: '/srv/prefix' }, '2026.9.6', {
      timeoutMs: 10_000,
    });
    expect(out.kind).toBe('global');
    const last = (await calls()).at(-1)!;
    expect(last).toMatch(/^install -g --prefix \/srv\/prefix --no-audit --no-fund openclaw@2026\.9\.6 \|/);
    expect(last).toContain('mark=x');
    expect(last).toContain('vitest=unset');
  });

  it('source: openclaw update for the target, without restarting (restart is its own step)', async () => {
    const out = await installVersion(access(), { type: 'source' }, '2026.9.6', { timeoutMs: 10_000 });
    expect(out.kind).toBe('source');
    expect((await calls()).at(-1)).toMatch(/^update --yes --json --no-restart --tag 2026\.9\.6 \| state=\/srv\/gw /);
  });

  it('command: the inventory command with {version} replaced', async () => {
    await installVersion(access(), { type: 'command', command: [recorder, 'deploy', '--to={version}'] }, '2026.9.6', {
      timeoutMs: 10_000,
    });
    expect((await calls()).at(-1)).toMatch(/^deploy --to=2026\.9\.6 \|/);
  });

  it('a failing install says the exit code, what it printed and the command to run by hand', async () => {
    const err = await installVersion(access(), { type: 'command', command: [recorder, 'fail'] }, '2026.9.6', {
      timeoutMs: 10_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain('exited with code 3');
    expect((err as Error).message).toContain('npm ERR! boom');
    expect((err as Error).message).toContain(`Run it by hand:\n  ${recorder} fail`);
  });

  it('refuses a version that could be an option or a shell word, and runs nothing', async () => {
    const before = (await calls()).length;
    for (const bad of ['--registry=evil', '1.0 && rm', '']) {
      await expect(
        installVersion(access(), { type: 'global', npm: [recorder] }, bad, { timeoutMs: 10_000 }),
      ).rejects.toBeInstanceOf(ConfigurationError);
    }
    expect((await calls()).length).toBe(before);
  });

  it('a missing npm is a configuration error naming the fix', async () => {
    const err = await installVersion(access(), { type: 'global', npm: ['/nonexistent/npm'] }, '2026.9.6', {
      timeoutMs: 10_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('install.npm');
  });
});
