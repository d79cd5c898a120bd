/**
 * One gateway of the bed: its layout on disk (a staged install: its releases under
 * <gw>/openclaw/versions/<version>, the one it runs at <gw>/openclaw/current; state dir, config with
 * the shared token, log file), the supervisor program that runs it, and putting it back on a release.
 */
import { execa } from 'execa';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  isStaged,
  prefixVersion,
  STAGED_MARKER,
  stagedPaths,
  switchRelease,
} from '../../src/activities/openclaw/staged.js';
import type { BedInfo } from './bed.js';
import { lbServerUp } from './haproxy-config.js';
import { httpOk, waitFor } from './probes.js';
import { gatewayConfigFor, releaseConfigSchema, type ReleaseConfig } from './release-config.js';
import { Supervisor, type Program } from './supervisor.js';

export type PairingMode = ReleaseConfig['pairing'];
import { node24Bin, openclawTemplate } from './tools.js';

export interface BedGateway {
  id: string;
  lbServer: string;
  port: number;
  httpUrl: string;
  wsUrl: string;
  dir: string;
  stateDir: string;
  configPath: string;
  /** The staged install's root (install.root): versions/<version> and the symlink current. */
  root: string;
  /** The npm prefix it runs from: <root>/current. */
  prefix: string;
  logFile: string;
  /** argv of this gateway's openclaw CLI (Node 24 + the instance's own install). */
  cli: string[];
  env: Record<string, string>;
  /** How its release pairs a new device (release-config.ts): approved explicitly, or loopback let in silently. */
  pairing?: PairingMode;
}

/** PATH of every program of the bed: the project's Node 24 first, then the system's. */
export function bedPath(): string {
  return `${dirname(node24Bin())}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`;
}

/**
 * Lays out one bed gateway in <bedDir>/<id>: state and home dirs, its staged install (the template's
 * release in versions/, current pointing to it) and its config with the shared token. Returns its
 * description; it is not started.
 */
export async function bedGateway(p: {
  bedDir: string;
  id: string;
  lbServer: string;
  port: number;
  template: string;
  sharedToken: string;
}): Promise<BedGateway> {
  const gdir = join(p.bedDir, p.id);
  const root = join(gdir, 'openclaw');
  const prefix = stagedPaths(root).current;
  const stateDir = join(gdir, 'state');
  const configPath = join(gdir, 'openclaw.json');
  const logFile = join(gdir, 'gateway.log');
  await mkdir(stateDir, { recursive: true });
  await mkdir(join(gdir, 'home'), { recursive: true });
  const version = await prefixVersion(p.template);
  if (!version) throw new Error(`bed: ${p.template} holds no openclaw package`);
  await putOnRelease(root, version);
  const pairing = await writeGatewayConfig({ configPath, port: p.port, logFile, version }, p.sharedToken);
  return {
    id: p.id,
    lbServer: p.lbServer,
    port: p.port,
    httpUrl: `http://127.0.0.1:${p.port}`,
    wsUrl: `ws://127.0.0.1:${p.port}`,
    dir: gdir,
    stateDir,
    configPath,
    root,
    prefix,
    logFile,
    cli: [node24Bin(), join(prefix, 'lib/node_modules/openclaw/openclaw.mjs')],
    env: { PATH: bedPath(), HOME: join(gdir, 'home'), TMPDIR: join(gdir, 'home') },
    pairing,
  };
}

/**
 * A bed gateway's config in the form its release accepts (release-config.ts asks the release's schema):
 * loopback (`lan`, every address, for a gateway alone in its network namespace, netns-gateway.ts), the
 * shared token, no silent local pairing where the release can switch it off, its own log file. Returns
 * how that release pairs a new device.
 */
export async function writeGatewayConfig(
  g: { configPath: string; port: number; logFile: string; version: string },
  sharedToken: string,
  bind: 'loopback' | 'lan' = 'loopback',
): Promise<PairingMode> {
  const schema = await releaseConfigSchema(openclawTemplate(g.version));
  const { config, pairing } = gatewayConfigFor(schema, g.version, {
    port: g.port,
    bind,
    sharedToken,
    logFile: g.logFile,
  });
  await writeFile(g.configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  await chmod(g.configPath, 0o600);
  return pairing;
}

/**
 * Points a staged install's current at `version`, first staging it from the template when it is not
 * there yet (the rollout stages with npm; the bed uses hard links: instant and ~0 bytes, and safe
 * because nothing edits an installed file in place).
 */
export async function putOnRelease(root: string, version: string, opts: { ownCopy?: boolean } = {}): Promise<void> {
  if (opts.ownCopy || !(await isStaged(root, version))) {
    const dir = stagedPaths(root).release(version);
    await rm(dir, { recursive: true, force: true });
    await mkdir(stagedPaths(root).versions, { recursive: true });
    // ownCopy: `openclaw update` fingerprints the package it replaces (link counts included), so a
    // hard-linked copy fails its swap check whenever another gateway is linked from the same template.
    await execa('cp', [opts.ownCopy ? '-a' : '-al', openclawTemplate(version), dir]);
    await writeFile(join(dir, STAGED_MARKER), JSON.stringify({ version, stagedAt: new Date().toISOString() }) + '\n');
  }
  await switchRelease(root, version);
}

/** Where supervisord keeps what the gateway printed (stdout and stderr). */
export const gatewayStdoutLog = (g: BedGateway) => join(g.dir, 'stdout.log');

/** The supervisor program that runs one bed gateway (`openclaw gateway run` from <root>/current). */
export function gatewayProgram(g: BedGateway): Program {
  return {
    name: g.id,
    command: [...g.cli, 'gateway', 'run'],
    directory: g.dir,
    environment: { ...g.env, OPENCLAW_STATE_DIR: g.stateDir, OPENCLAW_CONFIG_PATH: g.configPath, NO_COLOR: '1' },
    logFile: gatewayStdoutLog(g),
    startSecs: 5,
  };
}

/**
 * Puts one gateway back on `version` with a fresh state dir (same config, port and token). A downgrade
 * in place is refused by OpenClaw once a newer release migrated the state databases ("schema(s) are
 * newer than this build"), so the state goes too: use it only for a gateway without paired clients.
 * `ownCopy` copies the release's files instead of hard-linking them (for `openclaw update`, ~10-20 s).
 */
export async function resetGateway(
  info: BedInfo,
  id: string,
  version = info.fromVersion,
  opts: { ownCopy?: boolean } = {},
): Promise<void> {
  const g = info.gateways.find((x) => x.id === id);
  if (!g) throw new Error(`bed has no gateway ${id}`);
  const sup = new Supervisor(info.dir);
  await sup.ctl('stop', id);
  await putOnRelease(g.root, version, opts);
  await rm(g.stateDir, { recursive: true, force: true });
  await mkdir(g.stateDir, { recursive: true });
  // `openclaw update`'s doctor stamps the config with its release; the older one refuses to start on it.
  const token = (await readFile(info.sharedTokenFile, 'utf8')).trim();
  await writeGatewayConfig({ configPath: g.configPath, port: g.port, logFile: g.logFile, version }, token);
  await sup.ctl('start', id);
  await waitFor(`${id} /readyz`, () => httpOk(`${g.httpUrl}/readyz`), 180_000);
  await waitFor(`HAProxy to see ${g.lbServer} UP`, () => lbServerUp(info.haproxy.socket, g.lbServer), 60_000);
}
