/**
 * The preflight checks that need a host (issue 20), as plain functions (activities/index.ts wraps them):
 * the target release exists for the instance's install type and accepts its Node (target-exists,
 * node-engine), its commands and hooks exist and are executable (host-commands), there is disk room
 * for the install and the backup (disk-space), routing is sticky per client device (sticky-routing),
 * and which openclaw version is installed (installedVersion). Read-only: nothing here changes anything.
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, lstat, statfs } from 'node:fs/promises';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigurationError } from '../../shared/errors.js';
import type { Instance, LoadBalancerConfig } from '../../shared/inventory.js';
import { RUNBOOK_RULE, type CheckResult } from '../../shared/preflight-rules.js';
import { quote } from '../host/redact.js';
import { backupDirFor, serviceCommand } from '../openclaw/backup/index.js';
import { childEnvironment } from '../host/child-env.js';
import { byHand, execute } from '../host/exec.js';
import { runtimeCommand } from '../load-balancer/haproxy.js';
import { parseBackendBalance } from '../load-balancer/haproxy-stat.js';
import { satisfiesRange } from './node-range.js';
import { npmErrorSentence, outputTail } from '../host/npm-errors.js';
import type { CallContext } from '../call-context.js';
import { cliArgv, cliEnvironment, runCli } from '../openclaw/cli.js';
import * as parse from '../openclaw/parse/index.js';

/** What one openclaw install needs on disk (the 2026.9.x package is ~650 MB; npm extracts before it swaps). */
export const INSTALL_BYTES = 700 * 1024 * 1024;

interface Captured { exitCode: number; stdout: string; stderr: string; command: string }

/** Runs argv with the instance's environment and returns what it printed; throws ConfigurationError when it cannot run at all. */
async function capture(argv: string[], env: Record<string, string>, ctx: CallContext): Promise<Captured> {
  const r = await execute({ argv, env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
  const command = byHand(argv);
  if (r.cancelled) throw new ConfigurationError(`\`${command}\` was cancelled.`);
  if (r.timedOut) return { exitCode: -1, stdout: r.stdout, stderr: `${r.stderr}\n(killed after ${ctx.timeoutMs / 1000} s)`, command };
  if (r.exitCode === undefined) throw new ConfigurationError(`cannot run "${argv[0]}" on this host: ${quote(r.spawnError?.message ?? r.message, 300)}`);
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, command };
}

// ---------------------------------------------------------------------------------------------------
// The target release

/**
 * target-exists and node-engine for one instance: a global install asks the registry through the
 * instance's own npm and environment (`npm view openclaw@<v> version engines --json`, so its registry
 * and auth settings apply) and compares engines.node with the Node that runs its CLI; a source checkout
 * asks `openclaw update --dry-run --json --tag <v>`; a `command` install has nothing to ask up front.
 */
export async function checkTarget(instance: Instance, version: string, ctx: CallContext): Promise<CheckResult[]> {
  const install = instance.install;
  if (install.type === 'command') {
    return [
      { check: 'target-exists', status: 'skipped', found: `install.type command: \`${install.command.join(' ')}\` decides where ${version} comes from; there is nothing to ask before it runs.` },
      { check: 'node-engine', status: 'skipped', found: 'install.type command: the release it installs is not known up front.' },
    ];
  }
  if (install.type === 'source') {
    const r = await runCli(instance.gateway, { args: ['update', '--dry-run', '--json', '--yes', '--no-restart', '--tag', install.tag ?? version], ...ctx });
    const reasons = r.exitCode === 0 ? [] : parse.updateFailureReasons(r);
    return [
      r.exitCode === 0
        ? { check: 'target-exists', status: 'ok', found: `\`${r.byHand}\` accepts ${install.tag ?? version}` }
        : {
            check: 'target-exists',
            status: 'failed',
            found: `\`${r.byHand}\` exited with code ${r.exitCode}: ${reasons.length ? reasons.join('; ') : outputTail(r.stderr, r.stdout, 6, 600)}`,
            fix: `check that ${install.tag ?? version} is a tag or version the checkout can update to, and that its work tree is clean.`,
          },
      { check: 'node-engine', status: 'skipped', found: 'source checkout: `openclaw update` builds it with the checkout\'s own toolchain and checks its engines itself.' },
    ];
  }
  const npm = [...install.npm, 'view', `openclaw@${version}`, 'version', 'engines', '--json'];
  const r = await capture(npm, instance.gateway.env, ctx);
  const viewed = r.exitCode === 0 ? parse.parseNpmView(r) : { found: false as const };
  if (!viewed.found) {
    const sentence = r.exitCode === 0 ? `npm view printed nothing: the registry has no version ${version} of openclaw.` : (npmErrorSentence(r.stderr, r.stdout, { pkg: 'openclaw', version }) ?? `npm view exited with code ${r.exitCode}.`);
    return [
      {
        check: 'target-exists',
        status: 'failed',
        found: `openclaw ${version} is not available to ${instance.id}'s npm. \`${r.command}\` answered: ${sentence}\n${outputTail(r.stderr, '', 6, 600)}`,
        fix: `choose a published version (\`${install.npm.join(' ')} view openclaw versions\` lists them) or fix the registry settings of ${instance.id}'s npm (gateway.env, its .npmrc).`,
      },
      { check: 'node-engine', status: 'skipped', found: `no release ${version} to read engines.node from.` },
    ];
  }
  const results: CheckResult[] = [{ check: 'target-exists', status: 'ok', found: `the registry has openclaw ${viewed.version} (asked with ${instance.id}'s npm)` }];
  if (!viewed.enginesNode) {
    results.push({ check: 'node-engine', status: 'skipped', found: `openclaw ${viewed.version} declares no engines.node.` });
    return results;
  }
  const node = await cliNodeVersion(instance, ctx).catch((e: Error) => ({ error: e.message }));
  if ('error' in node) {
    results.push({ check: 'node-engine', status: 'failed', found: `could not tell which Node runs ${instance.id}'s CLI: ${node.error}`, fix: 'make gateway.cli start with the node binary that runs the gateway.' });
    return results;
  }
  const ok = satisfiesRange(node.version, viewed.enginesNode);
  results.push(
    ok === true
      ? { check: 'node-engine', status: 'ok', found: `Node ${node.version} (${node.node}) satisfies openclaw ${viewed.version}'s engines.node "${viewed.enginesNode}"` }
      : ok === false
        ? { check: 'node-engine', status: 'failed', found: `Node ${node.version} (${node.node}, which runs ${instance.id}'s CLI) does not satisfy openclaw ${viewed.version}'s engines.node "${viewed.enginesNode}": the new release would not start.`, fix: `run ${instance.id} on a Node that "${viewed.enginesNode}" accepts before rolling out ${viewed.version}.` }
        : { check: 'node-engine', status: 'skipped', found: `cannot read engines.node "${viewed.enginesNode}" (Node ${node.version}): check it by hand.` },
  );
  return results;
}

/** The Node that runs the instance's CLI and its version: gateway.cli[0] when it is node, else the CLI's shebang interpreter. */
export async function cliNodeVersion(instance: Instance, ctx: CallContext): Promise<{ node: string; version: string }> {
  const env = childEnvironment(cliEnvironment(instance.gateway).env);
  const first = instance.gateway.cli[0]!;
  let node = first;
  if (!/^node(js)?(\d+)?(\.exe)?$/.test(basename(first))) {
    const path = await which(first, env.PATH);
    if (!path) throw new ConfigurationError(`gateway.cli "${first}" is not found on this host`);
    const head = (await readFile(path, 'utf8').catch(() => '')).slice(0, 200).split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
    if (!m) throw new ConfigurationError(`${path} has no #! line naming its interpreter`);
    node = basename(m[1]!) === 'env' && m[2] ? m[2] : m[1]!;
  }
  const r = await capture([node, '--version'], cliEnvironment(instance.gateway).env, ctx);
  const v = /^v?(\d+\.\d+\.\d+)/.exec(r.stdout.trim())?.[1];
  if (r.exitCode !== 0 || !v) throw new ConfigurationError(`\`${node} --version\` said ${quote(r.stdout || r.stderr || '(nothing)', 200)}`);
  return { node, version: v };
}

// ---------------------------------------------------------------------------------------------------
// What is installed

/**
 * The version of the openclaw package installed for the instance, or null when none is there: the
 * package.json under install.prefix for a global install with a prefix (no process), else
 * `openclaw --version` (~0.2 s; `OpenClaw 2026.9.6 (eb377ac)`).
 */
export async function installedVersion(instance: Instance, ctx: CallContext): Promise<string | null> {
  const install = instance.install;
  if (install.type === 'global' && install.prefix) {
    const pkg = join(install.prefix, 'lib', 'node_modules', 'openclaw', 'package.json');
    const text = await readFile(pkg, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (text === null) return null;
    const version = (JSON.parse(text) as { version?: unknown }).version;
    if (typeof version !== 'string') throw new ConfigurationError(`${pkg} has no version`);
    return version;
  }
  const { argv } = await cliArgv(instance.gateway, { args: ['--version'] });
  let r: Captured;
  try {
    r = await capture(argv, cliEnvironment(instance.gateway).env, ctx);
  } catch (err) {
    if (err instanceof ConfigurationError && /ENOENT|not found/i.test(err.message)) return null;
    throw err;
  }
  return parse.parseCliVersion(r);
}

// ---------------------------------------------------------------------------------------------------
// The host

/** The file `cmd` resolves to on PATH (or itself when it has a slash), if it exists and is executable. */
export async function which(cmd: string, pathVar = process.env.PATH ?? ''): Promise<string | undefined> {
  const candidates = cmd.includes('/') ? [resolve(cmd)] : pathVar.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    if (await access(c, constants.X_OK).then(() => true, () => false)) {
      if ((await lstat(c).then((s) => s.isDirectory(), () => false)) === false) return c;
    }
  }
  return undefined;
}

/**
 * host-commands: every command the rollout will run for this instance on this host exists and is
 * executable (the CLI, npm or the install command, restart, stop, start, each device's reconnect hook).
 */
export async function checkHostCommands(instance: Instance): Promise<CheckResult> {
  const env = childEnvironment(cliEnvironment(instance.gateway).env);
  const commands: { field: string; argv: string[] }[] = [{ field: 'gateway.cli', argv: instance.gateway.cli }];
  if (instance.install.type === 'global') commands.push({ field: 'install.npm', argv: instance.install.npm });
  if (instance.install.type === 'command') commands.push({ field: 'install.command', argv: instance.install.command });
  if (instance.restart) commands.push({ field: 'restart', argv: instance.restart });
  for (const action of ['stop', 'start'] as const) {
    try {
      commands.push({ field: instance[action] ? action : `${action} (derived from restart)`, argv: serviceCommand(instance, action) });
    } catch {
      /* no stop/start: the backup rollback says so when it needs one; not a prerequisite of the update */
    }
  }
  for (const d of instance.devices) if (d.reconnectHook) commands.push({ field: `devices[${d.name ?? d.deviceId.slice(0, 12)}].reconnectHook`, argv: d.reconnectHook });
  const missing: string[] = [];
  for (const c of commands) {
    // A script run by an interpreter (node x.mjs, sh -c ...) also needs its script file.
    const file = c.argv[0]!;
    if (!(await which(file, env.PATH))) missing.push(`${c.field}: "${file}" ${file.includes('/') ? 'does not exist or is not executable' : `is not on PATH (${env.PATH ?? ''})`}`);
    const script = c.argv[1];
    if (script && /^node(js)?(\d+)?$/.test(basename(file)) && isAbsolute(script) && !(await access(script, constants.R_OK).then(() => true, () => false))) {
      missing.push(`${c.field}: script ${script} does not exist`);
    }
  }
  return missing.length
    ? { check: 'host-commands', status: 'failed', found: `on ${instance.host ?? 'the central worker\'s host'}: ${missing.join('; ')}.`, fix: 'install the program there or fix the named field of the instance in the inventory.' }
    : { check: 'host-commands', status: 'ok', found: `${commands.length} commands found and executable (${[...new Set(commands.map((c) => basename(c.argv[0]!)))].join(', ')})` };
}

/** Free bytes for an unprivileged writer on the filesystem of `path` (its nearest existing ancestor). */
export async function freeBytes(path: string): Promise<{ bytes: number; at: string }> {
  let at = resolve(path);
  while (!(await lstat(at).then(() => true, () => false)) && dirname(at) !== at) at = dirname(at);
  const s = await statfs(at);
  return { bytes: s.bavail * s.bsize, at };
}

/** Bytes under `dir` (files only, symlinks not followed; stops counting after `limit` entries). */
export async function dirBytes(dir: string, limit = 200_000): Promise<number> {
  let total = 0;
  let seen = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (++seen > limit) return;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/** disk-space: room for the install (global: under the prefix) and for the backup (as large as the state dir, at most). */
export async function checkDiskSpace(instance: Instance, ctx: CallContext): Promise<CheckResult> {
  const needs = new Map<string, { free: number; need: number; what: string[] }>();
  const add = async (path: string, need: number, what: string) => {
    const { bytes, at } = await freeBytes(path);
    const fsKey = String((await statfs(at)).type) + ':' + String(bytes); // same fs → same free count at this moment
    const e = needs.get(fsKey) ?? { free: bytes, need: 0, what: [] };
    e.need += need;
    e.what.push(`${what} (${mb(need)} under ${path})`);
    needs.set(fsKey, e);
  };
  const notes: string[] = [];
  if (instance.install.type === 'global') {
    let prefix = instance.install.prefix;
    if (!prefix) {
      const r = await capture([...instance.install.npm, 'prefix', '-g'], instance.gateway.env, ctx).catch(() => undefined);
      prefix = r?.exitCode === 0 ? r.stdout.trim() : undefined;
    }
    if (prefix) await add(prefix, INSTALL_BYTES, 'the install');
    else notes.push('npm\'s global prefix is unknown: install room not checked');
  } else notes.push(`install.type ${instance.install.type}: install room not knowable up front`);
  if (instance.gateway.stateDir) {
    const state = resolve(instance.gateway.stateDir);
    await add(backupDirFor(instance, state), await dirBytes(state), 'the backup');
  } else notes.push('no gateway.stateDir: backup room not checked');
  const short = [...needs.values()].filter((e) => e.free < e.need);
  const summary = [...needs.values()].map((e) => `${e.what.join(' + ')}: ${mb(e.free)} free`).join('; ');
  if (short.length) {
    return {
      check: 'disk-space',
      status: 'failed',
      found: `not enough room on ${instance.host ?? 'the central worker\'s host'}: ${short.map((e) => `${e.what.join(' + ')} need ${mb(e.need)}, ${mb(e.free)} free`).join('; ')}.`,
      fix: 'free space there (or move install.prefix / backup.dir to a filesystem with room) before rolling out; npm fails with ENOSPC half-way otherwise.',
    };
  }
  return { check: 'disk-space', status: needs.size ? 'ok' : 'skipped', found: [summary, ...notes].filter(Boolean).join('; ') };
}

// ---------------------------------------------------------------------------------------------------
// Routing

/** Balance algorithms that hash something of the request, so one client keeps its server. */
const HASHING = new Set(['source', 'uri', 'url_param', 'hdr', 'rdp-cookie', 'hash']);

const CAUSE2 =
  'During every drain (and, with this backend, on any reconnect) a client lands on another instance whose pairing store does not know its device token: `disconnected (1008): unauthorized: device token mismatch` (runbook cause: "The client was routed to a different Gateway instance with a different device pairing store.").';

/** What haproxy.cfg says about one backend: balance, hash-type, stick rules, cookie persistence. */
export function haproxyBackendConfig(cfg: string, backend: string): { found: boolean; balance?: string; hashType?: string; stick: boolean; cookie: boolean } {
  const lines = cfg.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  let inside = false;
  let found = false;
  const out: { balance?: string; hashType?: string; stick: boolean; cookie: boolean } = { stick: false, cookie: false };
  for (const l of lines) {
    const section = /^(backend|listen|frontend|defaults|global|peers|resolvers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/.exec(l);
    if (section) {
      inside = (section[1] === 'backend' || section[1] === 'listen') && section[2] === backend;
      found ||= inside;
      continue;
    }
    if (!inside) continue;
    const balance = /^balance\s+(.+)$/.exec(l);
    if (balance) out.balance = balance[1]!.trim();
    const hash = /^hash-type\s+(.+)$/.exec(l);
    if (hash) out.hashType = hash[1]!.trim();
    if (/^(stick-table|stick\s+(on|match|store-request))\b/.test(l)) out.stick = true;
    if (/^cookie\s+\S+/.test(l)) out.cookie = true;
  }
  return { found, ...out };
}

/**
 * sticky-routing (runbook rule 1): for HAProxy, the backend's balance algorithm (runtime API `show
 * stat`, field algo), its stick table (`show table`) and, when loadBalancer.config names haproxy.cfg,
 * hash-type and cookie persistence; for the command adapter, its optional stickyCheck command.
 */
export async function checkStickyRouting(lb: LoadBalancerConfig, ctx: CallContext): Promise<CheckResult> {
  if (lb.type === 'none') return { check: 'sticky-routing', status: 'skipped', found: 'loadBalancer.type none: no load balancer to check.' };
  if (lb.type === 'command') {
    if (!lb.stickyCheck) return { check: 'sticky-routing', status: 'skipped', found: 'loadBalancer.stickyCheck is not set: routing stickiness is not checked (add a command that exits 0 when routing is sticky per client device).', rule: RUNBOOK_RULE.sticky };
    const r = await capture(lb.stickyCheck, {}, ctx);
    return r.exitCode === 0
      ? { check: 'sticky-routing', status: 'ok', found: `\`${r.command}\` exited 0${r.stdout.trim() ? `: ${quote(r.stdout.trim(), 200)}` : ''}` }
      : { check: 'sticky-routing', status: 'failed', found: `\`${r.command}\` exited with code ${r.exitCode}: ${outputTail(r.stderr, r.stdout, 6, 600)} ${CAUSE2}`, fix: 'make the load balancer route each client device to one instance (a hash of a per-device key, or a stick table), then run the check again.', rule: RUNBOOK_RULE.sticky };
  }
  const opts = { signal: ctx.signal, timeoutMs: Math.min(ctx.timeoutMs, 10_000) };
  const row = parseBackendBalance(await runtimeCommand(lb.socket, 'show stat', opts), lb.backend);
  if (!row) return { check: 'sticky-routing', status: 'failed', found: `HAProxy at ${lb.socket} has no backend "${lb.backend}".`, fix: 'set loadBalancer.backend to the backend that serves the gateways.' };
  const algo = row.algo;
  const tables = await runtimeCommand(lb.socket, 'show table', opts).catch(() => '');
  const stickTable = new RegExp(`^# table: ${lb.backend.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},`, 'm').test(tables);
  const cfg = lb.config ? haproxyBackendConfig(await readFile(lb.config, 'utf8'), lb.backend) : undefined;
  const cookie = !!row.cookie || !!cfg?.cookie;
  const stick = stickTable || !!cfg?.stick;
  const what = `backend ${lb.backend} balances with "${cfg?.balance ?? algo}"${cfg?.hashType ? ` (hash-type ${cfg.hashType})` : ''}, ${stick ? 'with' : 'no'} stick table, ${cookie ? 'with' : 'no'} cookie persistence`;
  if (HASHING.has(algo) || stick || cookie) {
    const mapBased = cfg && HASHING.has(algo) && !cfg.stick && !cfg.cookie && !/consistent/.test(cfg.hashType ?? '');
    return { check: 'sticky-routing', status: 'ok', found: `${what}: sticky per client${mapBased ? ' (hash-type map-based: a drain may move clients of other instances too; `hash-type consistent` keeps them where they are)' : ''}${cfg ? '' : ' (runtime API)'}` };
  }
  return {
    check: 'sticky-routing',
    status: 'failed',
    found: `${what}: one client's connections are spread across instances. ${CAUSE2}`,
    fix: `in haproxy.cfg, backend ${lb.backend}: hash a per-device key (e.g. \`balance hdr(X-Device)\` or \`balance source\`) with \`hash-type consistent\`, or add a stick table; reload HAProxy, then run plan again.`,
    rule: RUNBOOK_RULE.sticky,
  };
}
