/**
 * The checks before anything changes (issue 20) and the words of failed host commands: npm's error codes
 * as sentences (tested on real npm 11 output, test/fixtures/npm), the output tail, the parsers of
 * `npm view --json` and `openclaw --version`, the engines.node range, each check on stand-in programs and
 * a real HAProxy (sticky and round-robin backends), the policy knob and the inventory's messages.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureMessage, runHostCommand } from '../../src/activities/host/exec.js';
import { satisfiesRange } from '../../src/activities/preflight/node-range.js';
import { npmErrorCode, npmErrorSentence, outputTail } from '../../src/activities/host/npm-errors.js';
import { parseCliVersion, parseNpmView } from '../../src/activities/openclaw/parse/index.js';
import {
  checkDiskSpace,
  checkHostCommands,
  checkStickyRouting,
  checkTarget,
  haproxyBackendConfig,
  installedVersion,
} from '../../src/activities/preflight/index.js';
import { STAGED_MARKER } from '../../src/activities/openclaw/staged.js';
import { TransientError } from '../../src/shared/errors.js';
import { Inventory, type Instance } from '../../src/shared/inventory.js';
import { parseInventory } from '../../src/inventory-file.js';
import { applyPolicy, instanceLocalState, RUNBOOK_RULE } from '../../src/shared/preflight-rules.js';
import { problemsCell } from '../../src/cli/views/preflight-tables.js';
import { startEchoServer, startHaproxy, type EchoServer, type HaproxyProcess } from '../helpers/haproxy-process.js';

const fx = (name: string) => readFile(join(import.meta.dirname, '..', 'fixtures', 'npm', name), 'utf8');
const npmRun = async (name: string) => ({ stdout: await fx(`${name}.stdout`), stderr: await fx(`${name}.stderr`) });
const ctx = { timeoutMs: 20_000 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'preflight-checks-'));
});

/** An instance as the inventory gives it (defaults filled in). */
function instance(over: Record<string, unknown> = {}, gateway: Record<string, unknown> = {}): Instance {
  const inv = Inventory.parse({
    cluster: 'c',
    loadBalancer: { type: 'none' },
    instances: [
      {
        id: 'gw-1',
        gateway: { stateDir: join(dir, 'gw-1', 'state'), configPath: join(dir, 'gw-1', 'openclaw.json'), ...gateway },
        lbServer: 'gw1',
        install: { type: 'global' },
        ...over,
      },
    ],
  });
  return inv.instances[0]!;
}

/** A stand-in executable printing `stdout` / `stderr` and exiting with `code`. */
async function stub(name: string, stdout: string, stderr = '', code = 0): Promise<string> {
  const path = join(dir, name);
  await writeFile(join(dir, `${name}.out`), stdout);
  await writeFile(join(dir, `${name}.err`), stderr);
  await writeFile(
    path,
    `#!/bin/sh\necho "$*" >> ${join(dir, `${name}.calls`)}\ncat ${join(dir, `${name}.out`)}\ncat ${join(dir, `${name}.err`)} >&2\nexit ${code}\n`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('npm error sentences (real npm 11.19.1 output)', () => {
  it('ETARGET from `npm i -g openclaw@2026.99.9`: no such version, with what to do', async () => {
    const r = await npmRun('i-etarget');
    expect(npmErrorCode(r.stderr, r.stdout)).toBe('ETARGET');
    const s = npmErrorSentence(r.stderr, r.stdout, { pkg: 'openclaw', version: '2026.99.9' })!;
    expect(s).toContain(
      'npm says ETARGET: the registry has no version 2026.99.9 of openclaw ("No matching version found")',
    );
    expect(s).toContain('choose another target');
  });
  it('E404 from `npm view openclaw@2026.99.9 --json` (no such version) and from an unknown package', async () => {
    const v = await npmRun('v-missing');
    expect(npmErrorCode(v.stderr, v.stdout)).toBe('E404');
    expect(npmErrorSentence(v.stderr, v.stdout, { pkg: 'openclaw', version: '2026.99.9' })).toContain(
      'has no version 2026.99.9 of openclaw ("No match found for version")',
    );
    const p = await npmRun('v-e404pkg');
    expect(npmErrorSentence(p.stderr, p.stdout, { pkg: 'openclaw-no-such-pkg-xyz', version: '1.0.0' })).toContain(
      'the registry (https://registry.npmjs.org) does not know openclaw-no-such-pkg-xyz@1.0.0',
    );
  });
  it('ECONNREFUSED: the registry could not be reached, naming it', async () => {
    for (const name of ['v-refused', 'i-refused']) {
      const r = await npmRun(name);
      expect(npmErrorSentence(r.stderr, r.stdout)).toContain(
        'npm says ECONNREFUSED: it could not reach the registry (http://127.0.0.1:9)',
      );
    }
  });
  it('EACCES: names the path it may not write and the fix', async () => {
    const r = await npmRun('i-eacces');
    expect(npmErrorSentence(r.stderr, r.stdout)).toContain(
      'npm says EACCES: it may not write /tmp/npmcap/ro/lib as the user the worker runs as',
    );
  });
  it('ENOSPC: a full disk shows as "npm error code 1" after TAR_ENTRY_ERROR ENOSPC warnings; the disk is named as the cause', async () => {
    const r = await npmRun('i-enospc');
    expect(r.stderr).toContain('npm error code 1');
    expect(npmErrorCode(r.stderr, r.stdout)).toBe('ENOSPC');
    expect(npmErrorSentence(r.stderr, r.stdout)).toContain(
      'npm says ENOSPC: the disk under /tmp/npmcap/small/p/lib/node_modules/openclaw/node_modules/protobufjs is full',
    );
  });
  it('unknown output: no sentence (the tail speaks for itself)', () => {
    expect(npmErrorSentence('segfault', '')).toBeUndefined();
  });
});

describe('what a failed command said', () => {
  it('the tail of stderr and stdout, redacted, runs of repeated lines collapsed', async () => {
    const r = await npmRun('i-enospc');
    const tail = outputTail(
      `${'npm warn tar TAR_ENTRY_ERROR ENOSPC: no space left on device, write\n'.repeat(500)}${r.stderr}`,
      'done token=abcdefghijklmnopqrstuvwxyzABCDEF0123456789',
    );
    expect(tail.match(/TAR_ENTRY_ERROR/g)).toHaveLength(1);
    expect(outputTail(Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n'), '')).toMatch(
      /^stderr:\n {2}… \(15 earlier lines\)\n {2}line 15\n/,
    );
    expect(tail).toContain('npm error Node.js v24.21.0');
    expect(tail).not.toContain('A complete log of this run');
    expect(tail).toContain('stdout:\n  done token=<redacted>');
    expect(outputTail('', '  \n')).toBe('(it printed nothing on stderr or stdout)');
  });
  it('a real failing install says what npm said, with the ETARGET sentence, never an empty "It said:"', async () => {
    const r = await npmRun('i-etarget');
    const npm = await stub('npm-etarget', r.stdout, r.stderr, 1);
    const err = await runHostCommand({
      what: 'install',
      argv: [npm, 'install', '-g', 'openclaw@2026.99.9'],
      env: {},
      expected: 'it to install openclaw 2026.99.9',
      installs: { pkg: 'openclaw', version: '2026.99.9' },
      field: 'install.npm',
      timeoutMs: 10_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    const m = (err as Error).message;
    expect(m).toContain('exited with code 1; expected it to install openclaw 2026.99.9.');
    expect(m).toContain('npm says ETARGET: the registry has no version 2026.99.9 of openclaw');
    expect(m).toContain(
      'It said:\nstderr:\n  npm error code ETARGET\n  npm error notarget No matching version found for openclaw@2026.99.9.',
    );
    const silent = failureMessage({ what: 'restart command', expected: '0' }, 'x', 3, '', '');
    expect(silent).toContain('It said:\n(it printed nothing on stderr or stdout)');
  });
});

describe('parsers', () => {
  it('npm view --json: version and engines.node; nothing printed = no such version; an array = the newest', async () => {
    const ok = await npmRun('v-ok');
    expect(parseNpmView({ ...ok, exitCode: 0 })).toEqual({
      found: true,
      version: '2026.9.6',
      enginesNode: '>=24.16.0 <25 || >=26.1.0',
    });
    expect(parseNpmView({ stdout: '', stderr: '', exitCode: 0 })).toEqual({ found: false });
    expect(
      parseNpmView({
        stdout: '[{"version":"1.0.0"},{"version":"1.1.0","engines":{"node":">=20"}}]',
        stderr: '',
        exitCode: 0,
      }),
    ).toEqual({ found: true, version: '1.1.0', enginesNode: '>=20' });
    expect(() => parseNpmView({ stdout: 'garbage', stderr: '', exitCode: 0 })).toThrow(
      /npm view --json: expected the version and engines/,
    );
  });
  it('openclaw --version (captured from 2026.9.5 and 2026.9.6)', async () => {
    for (const v of ['2026.9.5', '2026.9.6']) {
      const stdout = await readFile(
        join(import.meta.dirname, '..', 'fixtures', 'openclaw', `version-${v}.txt`),
        'utf8',
      );
      expect(parseCliVersion({ stdout, stderr: '', exitCode: 0 })).toBe(v);
    }
    expect(() => parseCliVersion({ stdout: 'hello', stderr: '', exitCode: 0 })).toThrow(
      /openclaw --version: expected a line `OpenClaw <version>/,
    );
  });
  it('engines.node ranges', () => {
    const r = '>=24.16.0 <25 || >=26.1.0';
    expect(satisfiesRange('24.21.0', r)).toBe(true);
    expect(satisfiesRange('24.15.9', r)).toBe(false);
    expect(satisfiesRange('25.0.0', r)).toBe(false);
    expect(satisfiesRange('26.1.0', r)).toBe(true);
    expect(satisfiesRange('22.3.0', '^22.3 || >=24')).toBe(true);
    expect(satisfiesRange('23.0.0', '^22.3')).toBe(false);
    expect(satisfiesRange('20.9.1', '~20.9')).toBe(true);
    expect(satisfiesRange('20.10.0', '~20.9')).toBe(false);
    expect(satisfiesRange('18.0.0', '18.x')).toBe(true);
    expect(satisfiesRange('18.0.0', '16 - 17')).toBe(false);
    expect(satisfiesRange('18.0.0', '*')).toBe(true);
    expect(satisfiesRange('18.0.0', 'banana')).toBeUndefined();
  });
});

describe('target-exists and node-engine', () => {
  it("a published target: asked through the instance's npm with its env; the CLI's Node satisfies engines.node", async () => {
    const ok = await npmRun('v-ok');
    const npm = await stub('npm-ok', ok.stdout);
    const inst = instance(
      { install: { type: 'global', npm: [npm] } },
      { cli: [process.execPath, '/x/openclaw.mjs'], env: { NPM_CONFIG_REGISTRY: 'http://registry.example/' } },
    );
    const [target, engine] = await checkTarget(inst, '2026.9.6', ctx);
    expect(target).toMatchObject({ check: 'target-exists', status: 'ok' });
    expect(engine).toMatchObject({ check: 'node-engine', status: 'ok' });
    expect(engine!.found).toContain(`Node ${process.versions.node}`);
    expect((await readFile(join(dir, 'npm-ok.calls'), 'utf8')).trim()).toBe(
      'view openclaw@2026.9.6 version engines --json',
    );
  });
  it('an unknown target: failed, naming the version and what the registry answered', async () => {
    const v = await npmRun('v-missing');
    const npm = await stub('npm-missing', v.stdout, v.stderr, 1);
    const [target, engine] = await checkTarget(instance({ install: { type: 'global', npm: [npm] } }), '2026.99.9', ctx);
    expect(target!.status).toBe('failed');
    expect(target!.found).toContain("openclaw 2026.99.9 is not available to gw-1's npm");
    expect(target!.found).toContain(
      'npm says E404: the registry has no version 2026.99.9 of openclaw ("No match found for version")',
    );
    expect(target!.found).toContain('npm error 404 No match found for version 2026.99.9');
    expect(target!.fix).toContain('view openclaw versions');
    expect(engine!.status).toBe('skipped');
  });
  it('a Node the release does not accept: failed, with both versions', async () => {
    const npm = await stub('npm-new', '{"version":"2027.1.0","engines":{"node":">=99"}}');
    const [, engine] = await checkTarget(
      instance({ install: { type: 'global', npm: [npm] } }, { cli: [process.execPath, '/x/openclaw.mjs'] }),
      '2027.1.0',
      ctx,
    );
    expect(engine).toMatchObject({ check: 'node-engine', status: 'failed' });
    expect(engine!.found).toContain(`Node ${process.versions.node}`);
    expect(engine!.found).toContain('does not satisfy openclaw 2027.1.0\'s engines.node ">=99"');
  });
  it('a staged install holding the target already: ok without asking npm (a host without registry access passes)', async () => {
    const npm = await stub('npm-unreachable', '', 'npm error code EAI_AGAIN', 1);
    const root = join(dir, 'staged-root');
    const release = join(root, 'versions', '2026.9.6');
    await mkdir(join(release, 'lib', 'node_modules', 'openclaw'), { recursive: true });
    await writeFile(
      join(release, 'lib', 'node_modules', 'openclaw', 'package.json'),
      JSON.stringify({ version: '2026.9.6', engines: { node: '>=99' } }),
    );
    await writeFile(join(release, STAGED_MARKER), '{}');
    const inst = instance({ install: { type: 'staged', npm: [npm], root } }, { cli: [process.execPath, '/x/oc.mjs'] });
    const [target, engine] = await checkTarget(inst, '2026.9.6', ctx);
    expect(target).toMatchObject({ check: 'target-exists', status: 'ok' });
    expect(target!.found).toBe(`openclaw 2026.9.6 is staged already in ${release} (no download)`);
    // engines.node comes from the staged package: this one asks for a Node nobody runs.
    expect(engine).toMatchObject({ check: 'node-engine', status: 'failed' });
    expect(existsSync(join(dir, 'npm-unreachable.calls'))).toBe(false);
    // Not staged yet: the registry is asked, and its failure says so.
    const [missing] = await checkTarget(inst, '2026.9.7', ctx);
    expect(missing).toMatchObject({ check: 'target-exists', status: 'failed' });
  });
  it('a command install: nothing to ask, and it says so', async () => {
    const results = await checkTarget(
      instance({ install: { type: 'command', command: ['deploy', '{version}'] } }),
      '2026.9.6',
      ctx,
    );
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(results[0]!.found).toContain('nothing to ask before it runs');
  });
  it('a source checkout: `openclaw update --dry-run --json --tag <v>` decides', async () => {
    const cli = await stub('oc-update-fail', '', 'error: unknown tag 2026.99.9', 1);
    const [target] = await checkTarget(instance({ install: { type: 'source' } }, { cli: [cli] }), '2026.99.9', ctx);
    expect(target!.status).toBe('failed');
    expect(target!.found).toContain('unknown tag 2026.99.9');
    expect((await readFile(join(dir, 'oc-update-fail.calls'), 'utf8')).trim()).toBe(
      'update --dry-run --json --yes --no-restart --tag 2026.99.9',
    );
  });
});

describe('installedVersion', () => {
  it('global with a prefix: the package.json under it; none installed: null', async () => {
    const prefix = join(dir, 'prefix');
    expect(await installedVersion(instance({ install: { type: 'global', prefix } }), ctx)).toBeNull();
    await mkdir(join(prefix, 'lib', 'node_modules', 'openclaw'), { recursive: true });
    await writeFile(
      join(prefix, 'lib', 'node_modules', 'openclaw', 'package.json'),
      '{"name":"openclaw","version":"2026.9.5"}',
    );
    expect(await installedVersion(instance({ install: { type: 'global', prefix } }), ctx)).toBe('2026.9.5');
  });
  it('otherwise `openclaw --version`; a CLI that is not there: null', async () => {
    const cli = await stub('oc-version', 'OpenClaw 2026.9.6 (eb377ac)\n');
    expect(await installedVersion(instance({ install: { type: 'source' } }, { cli: [cli] }), ctx)).toBe('2026.9.6');
    expect(
      await installedVersion(instance({ install: { type: 'source' } }, { cli: [join(dir, 'no-such-openclaw')] }), ctx),
    ).toBeNull();
  });
});

describe('host-commands and disk-space', () => {
  it('names the field and the program that is missing on the host', async () => {
    const r = await checkHostCommands(
      instance(
        {
          restart: ['no-such-supervisorctl-xyz', 'restart', 'gw-1'],
          stop: ['/nonexistent/stop-gw-1'],
          install: { type: 'global', npm: [process.execPath, '/no/such/npm-cli.js'] },
        },
        { cli: [process.execPath] },
      ),
    );
    expect(r.status).toBe('failed');
    expect(r.found).toContain('restart: "no-such-supervisorctl-xyz" is not on PATH');
    expect(r.found).toContain('stop: "/nonexistent/stop-gw-1" does not exist or is not executable');
    expect(r.found).toContain('install.npm: script /no/such/npm-cli.js does not exist');
    const ok = await checkHostCommands(instance({ restart: ['sh', '-c', 'true'] }, { cli: [process.execPath] }));
    expect(ok).toMatchObject({ check: 'host-commands', status: 'ok' });
  });
  it('room for the install under the prefix and for the backup next to the state dir', async () => {
    await mkdir(join(dir, 'gw-1', 'state'), { recursive: true });
    await writeFile(join(dir, 'gw-1', 'state', 'openclaw.sqlite'), Buffer.alloc(4096));
    const r = await checkDiskSpace(instance({ install: { type: 'global', prefix: join(dir, 'p2') } }), ctx);
    expect(r.status).toBe('ok');
    expect(r.found).toMatch(
      /the install \(700 MB under .*p2\) \+ the backup \(0 MB under .*state\.rollout-backups\): \d+ MB free/,
    );
  });
});

describe('instance-local-state (runbook rule 2) and the policy knob', () => {
  const inst = (id: string, host: string | undefined, stateDir: string) => ({
    id,
    host,
    gateway: { stateDir, configPath: `${stateDir}.json` },
  });
  it('two instances on one host sharing a state dir fail; the same path on two hosts is fine', () => {
    const r = instanceLocalState([
      inst('gw-1', 'a', '/srv/gw/state'),
      inst('gw-2', 'a', '/srv/gw/./state/'),
      inst('gw-3', 'b', '/srv/gw/state'),
    ]);
    expect(r.get('gw-1')).toMatchObject({ status: 'failed', rule: RUNBOOK_RULE.instanceLocal });
    expect(r.get('gw-1')!.found).toContain('state dir /srv/gw/state on a with gw-2');
    expect(r.get('gw-3')!.status).toBe('ok');
  });
  it('policy.preflight.warn turns a failed check into a warning; the inventory names the field for an unknown check', () => {
    expect(
      applyPolicy([{ check: 'sticky-routing', status: 'failed', found: 'x' }], ['sticky-routing'])[0]!.status,
    ).toBe('warning');
    const bad = Inventory.safeParse({
      cluster: 'c',
      loadBalancer: { type: 'none' },
      instances: [{ id: 'a', gateway: { stateDir: '/s' }, lbServer: 'a', install: { type: 'global' } }],
      policy: { preflight: { warn: ['host-worker'] } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toContain(
      'policy.preflight.warn: "host-worker" is not a check that may only warn',
    );
    expect(() =>
      parseInventory(
        'cluster: c\nloadBalancer: {type: haproxy, socket: /s, backend: b, config: haproxy.cfg}\ninstances: [{id: a, gateway: {stateDir: /s}, lbServer: a, install: {type: global}}]\n',
        'x.yaml',
      ),
    ).toThrow(/loadBalancer\.config must be the absolute path of haproxy\.cfg/);
  });
  it('the problems column counts failed checks instead of repeating them', () => {
    expect(
      problemsCell(
        ['gateway not healthy', 'target-exists: no'],
        [{ check: 'target-exists', status: 'failed', found: 'no' }],
      ),
    ).toBe('gateway not healthy; 1 failed check (below)');
  });
});

describe('sticky-routing (runbook rule 1) on a real HAProxy', () => {
  let hap: HaproxyProcess;
  let echo: EchoServer;
  beforeAll(async () => {
    echo = await startEchoServer('e1');
    hap = await startHaproxy({
      servers: [{ name: 'e1', port: echo.port }],
      extraConfig: [
        'backend spread',
        '  balance roundrobin',
        `  server e1 127.0.0.1:${echo.port}`,
        'backend stuck',
        '  balance roundrobin',
        '  stick-table type ip size 1k',
        '  stick on src',
        `  server e1 127.0.0.1:${echo.port}`,
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await hap?.stop();
    await echo?.stop();
  });
  it('a hashing backend passes; a round-robin one fails quoting the rule and cause 2; a stick table passes', async () => {
    expect(
      await checkStickyRouting({ type: 'haproxy', socket: hap.adminSocket, backend: 'gateways' }, ctx),
    ).toMatchObject({ status: 'ok' });
    const rr = await checkStickyRouting({ type: 'haproxy', socket: hap.adminSocket, backend: 'spread' }, ctx);
    expect(rr.status).toBe('failed');
    expect(rr.rule).toBe('Keep WebSocket routing sticky per client device when using multiple Gateway instances.');
    expect(rr.found).toContain('backend spread balances with "roundrobin", no stick table, no cookie persistence');
    expect(rr.found).toContain('device token mismatch');
    expect(rr.found).toContain(
      'The client was routed to a different Gateway instance with a different device pairing store.',
    );
    expect(await checkStickyRouting({ type: 'haproxy', socket: hap.adminSocket, backend: 'stuck' }, ctx)).toMatchObject(
      { status: 'ok' },
    );
    expect(await checkStickyRouting({ type: 'haproxy', socket: hap.adminSocket, backend: 'nope' }, ctx)).toMatchObject({
      status: 'failed',
      found: expect.stringContaining('no backend "nope"'),
    });
  });
  it("the config file adds hash-type (the bed's `balance hdr(X-Route)` + `hash-type consistent`)", () => {
    const cfg =
      'defaults\n  mode http\nbackend gateways\n  balance hdr(X-Route)\n  hash-type consistent\n  server a 1.2.3.4:1\nbackend other\n  balance leastconn\n';
    expect(haproxyBackendConfig(cfg, 'gateways')).toEqual({
      found: true,
      balance: 'hdr(X-Route)',
      hashType: 'consistent',
      stick: false,
      cookie: false,
    });
    expect(haproxyBackendConfig(cfg, 'other')).toMatchObject({ found: true, balance: 'leastconn', stick: false });
  });
  it('the command adapter: its stickyCheck decides; without one the check says it was not done', async () => {
    expect(
      await checkStickyRouting({ type: 'command', drain: ['x'], ready: ['x'], sessions: ['x'] }, ctx),
    ).toMatchObject({ status: 'skipped' });
    const bad = await checkStickyRouting(
      {
        type: 'command',
        drain: ['x'],
        ready: ['x'],
        sessions: ['x'],
        stickyCheck: ['sh', '-c', 'echo "pool uses round robin" >&2; exit 2'],
      },
      ctx,
    );
    expect(bad.status).toBe('failed');
    expect(bad.found).toContain('pool uses round robin');
  });
});
