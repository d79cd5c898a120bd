/**
 * The real test bed, on loopback with free ports, under one supervisord:
 *   - the Temporal CLI dev server (SQLite file, Web UI),
 *   - N OpenClaw gateways, each with its own npm prefix (copied from a pinned template, so updating one
 *     does not change another), state dir, config, log file and port,
 *   - HAProxy in front of them (admin socket; routing sticky per client by the request path's hash),
 *   - client devices, paired through the runbook's pending request → `devices approve` flow.
 * Its description (ports, paths) is written to <dir>/bed.json and an inventory to <dir>/cluster.yaml.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import type { InventoryInput } from '../../src/shared/inventory.js';
import { bedCodecServer } from './codec.js';
import { freePort, freePortRange } from './ports.js';
import { Supervisor, type Program } from './supervisor.js';
import { node24Bin, npmCliScript, openclawTemplate, projectRoot, temporalBin, versions } from './tools.js';

export interface BedGateway {
  id: string;
  lbServer: string;
  port: number;
  httpUrl: string;
  wsUrl: string;
  dir: string;
  stateDir: string;
  configPath: string;
  prefix: string;
  logFile: string;
  /** argv of this gateway's openclaw CLI (Node 24 + the instance's own install). */
  cli: string[];
  env: Record<string, string>;
}

export interface BedInfo {
  dir: string;
  supervisorConf: string;
  sharedTokenFile: string;
  temporal: { address: string; namespace: string; uiUrl: string; dbFile: string; codecEndpoint?: string; codecKeyFile?: string };
  haproxy: { socket: string; backend: string; frontendPort: number; wsUrl: string };
  gateways: BedGateway[];
  fromVersion: string;
  targetVersion: string;
  inventoryPath: string;
}

/** The HAProxy backend (and the frontend's path prefix) of gateways added by extra-gateway.ts. */
export const EXTRA_BACKEND = 'extra';
export const EXTRA_ROUTE_PREFIX = 'extra-';

export const SEARCH_ATTRIBUTES = ['OpenclawCluster=Keyword', 'OpenclawPhase=Keyword', 'OpenclawInstance=Keyword'];

export function defaultBedDir(): string {
  return process.env.OPENCLAW_ROLLOUT_BED_DIR ?? join(projectRoot, '.bed', 'current');
}

export async function readBedInfo(dir = defaultBedDir()): Promise<BedInfo> {
  return JSON.parse(await readFile(join(dir, 'bed.json'), 'utf8')) as BedInfo;
}

/** Shuts down a bed left over in `dir` (its supervisord and every program under it). */
export async function stopBed(dir = defaultBedDir()): Promise<void> {
  const sup = new Supervisor(dir);
  if (existsSync(sup.confPath)) await sup.shutdown();
  // supervisorctl shutdown returns before the children are gone: wait for the pid file to vanish.
  const pidFile = join(dir, 'supervisord.pid');
  for (let i = 0; i < 120 && existsSync(pidFile); i++) await sleep(500);
}

export interface StartOptions {
  dir?: string;
  gateways?: number;
  version?: string;
  log?: (line: string) => void;
}

export async function startBed(opts: StartOptions = {}): Promise<BedInfo> {
  const dir = opts.dir ?? defaultBedDir();
  const count = opts.gateways ?? 3;
  const version = opts.version ?? versions.OPENCLAW_FROM_VERSION;
  const log = opts.log ?? ((l: string) => console.log(`[bed] ${l}`));
  await stopBed(dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  const node24 = node24Bin();
  const basePath = `${dirname(node24)}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`;
  const sup = new Supervisor(dir);
  const sharedToken = randomBytes(24).toString('hex');
  const sharedTokenFile = join(dir, 'gateway-token');
  await writeFile(sharedTokenFile, sharedToken + '\n', { mode: 0o600 });

  // Ports: each gateway uses base..base+110, so give each a free range of 120.
  const temporalPort = await freePort();
  const uiPort = await freePort();
  const frontendPort = await freePort();
  const gateways: BedGateway[] = [];
  const template = openclawTemplate(version);
  log(`copying openclaw ${version} into ${count} per-instance prefixes`);
  for (let i = 1; i <= count; i++) {
    const id = `gw-${i}`;
    const gdir = join(dir, id);
    const port = await freePortRange(120, gateways.map((g) => g.port));
    const prefix = join(gdir, 'npm-prefix');
    const stateDir = join(gdir, 'state');
    const configPath = join(gdir, 'openclaw.json');
    const logFile = join(gdir, 'gateway.log');
    await mkdir(stateDir, { recursive: true });
    await mkdir(join(gdir, 'home'), { recursive: true });
    // Hard links: instant and ~0 bytes. Safe because npm never edits an installed file in place (an
    // update extracts new files and swaps directories), so updating one prefix leaves the others alone.
    await execa('cp', ['-al', template, prefix]);
    await writeGatewayConfig(configPath, port, sharedToken, logFile);
    gateways.push({
      id,
      lbServer: `gw${i}`,
      port,
      httpUrl: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      dir: gdir,
      stateDir,
      configPath,
      prefix,
      logFile,
      cli: [node24, join(prefix, 'lib/node_modules/openclaw/openclaw.mjs')],
      env: { PATH: basePath, HOME: join(gdir, 'home'), TMPDIR: join(gdir, 'home') },
    });
  }

  const haproxySocket = join(dir, 'haproxy.sock');
  const haproxyCfg = join(dir, 'haproxy.cfg');
  await writeFile(haproxyCfg, haproxyConfig(haproxySocket, frontendPort, gateways));
  const dbFile = join(dir, 'temporal.db');
  const codec = await bedCodecServer({ dir, uiUrl: `http://127.0.0.1:${uiPort}`, node: node24, path: basePath });
  const programs: Program[] = [
    {
      name: 'temporal',
      command: [
        temporalBin(), 'server', 'start-dev',
        '--db-filename', dbFile,
        '--ip', '127.0.0.1', '--port', String(temporalPort),
        '--ui-ip', '127.0.0.1', '--ui-port', String(uiPort),
        '--http-port', String(await freePort()), '--metrics-port', String(await freePort()),
        '--log-level', 'warn', '--ui-disable-news-fetch',
        ...(codec ? ['--ui-codec-endpoint', codec.endpoint] : []),
        ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
      ],
      directory: dir,
      environment: { PATH: basePath },
      logFile: join(dir, 'temporal.log'),
      startSecs: 3,
    },
    {
      name: 'haproxy',
      command: ['haproxy', '-W', '-db', '-f', haproxyCfg],
      directory: dir,
      environment: { PATH: basePath },
      logFile: join(dir, 'haproxy.log'),
      stopSignal: 'TERM',
    },
    ...gateways.map(gatewayProgram),
    // The real node host: a client device that connects through HAProxy (route /node-1) with the
    // cluster's shared token. Started once the gateways are up (clients.ts pairs it).
    {
      name: 'node-1',
      command: [node24, join(template, 'lib/node_modules/openclaw/openclaw.mjs'), 'node', 'run', '--host', '127.0.0.1', '--port', String(frontendPort), '--context-path', '/node-1', '--no-tls', '--display-name', 'node-1'],
      directory: join(dir, 'clients'),
      environment: {
        PATH: basePath,
        HOME: join(dir, 'clients', 'node-1'),
        OPENCLAW_STATE_DIR: join(dir, 'clients', 'node-1', 'state'),
        OPENCLAW_CONFIG_PATH: join(dir, 'clients', 'node-1', 'openclaw.json'),
        OPENCLAW_GATEWAY_TOKEN: sharedToken,
        NO_COLOR: '1',
      },
      logFile: join(dir, 'clients', 'node-1.log'),
      autostart: false,
    },
  ];
  if (codec) programs.push(codec.program);
  await mkdir(join(dir, 'clients', 'node-1', 'state'), { recursive: true });
  await sup.writeConfig(programs);
  log(`starting supervisord (temporal :${temporalPort}, ui :${uiPort}, haproxy :${frontendPort}, gateways ${gateways.map((g) => `:${g.port}`).join(' ')})`);
  await sup.start();

  const started = Date.now();
  await Promise.all([
    waitFor('Temporal dev server', () => tcpOpen(temporalPort), 120_000),
    ...(codec ? [waitFor('codec server', () => tcpOpen(codec.port), 60_000)] : []),
    waitFor('HAProxy admin socket', () => existsSync(haproxySocket), 30_000),
    ...gateways.map((g) => waitFor(`${g.id} /readyz`, () => httpOk(`${g.httpUrl}/readyz`), 180_000)),
  ]);
  await waitFor('HAProxy to see every gateway UP', async () => {
    const rows = await showStat(haproxySocket).catch(() => []);
    return gateways.every((g) => rows.some((r) => r.server === g.lbServer && r.status === 'UP'));
  }, 60_000);
  log(`all up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const info: BedInfo = {
    dir,
    supervisorConf: sup.confPath,
    sharedTokenFile,
    temporal: {
      address: `127.0.0.1:${temporalPort}`,
      namespace: 'default',
      uiUrl: `http://127.0.0.1:${uiPort}`,
      dbFile,
      ...(codec ? { codecEndpoint: codec.endpoint, codecKeyFile: codec.keyFile } : {}),
    },
    haproxy: { socket: haproxySocket, backend: 'gateways', frontendPort, wsUrl: `ws://127.0.0.1:${frontendPort}` },
    gateways,
    fromVersion: version,
    targetVersion: versions.OPENCLAW_TARGET_VERSION,
    inventoryPath: join(dir, 'cluster.yaml'),
  };
  await writeFile(join(dir, 'bed.json'), JSON.stringify(info, null, 2));
  await writeInventory(info, []);
  return info;
}

/** A device paired on one bed gateway, for the inventory. */
export interface BedDevice {
  instance: string;
  deviceId: string;
  role: 'operator' | 'node';
  scopes: string[];
  name: string;
  reconnectHook?: string[];
}

/** Writes the bed's inventory (what an operator would write for this cluster). */
export async function writeInventory(info: BedInfo, devices: BedDevice[]): Promise<void> {
  const sup = new Supervisor(info.dir);
  const inventory: InventoryInput = {
    cluster: 'bed',
    targetVersion: info.targetVersion,
    temporal: { address: info.temporal.address, namespace: info.temporal.namespace, taskQueue: 'openclaw-rollout', uiUrl: info.temporal.uiUrl },
    loadBalancer: { type: 'haproxy', socket: info.haproxy.socket, backend: info.haproxy.backend },
    instances: info.gateways.map((g) => bedInstanceEntry(sup, g, devices)),
    policy: { drainDeadline: '20s', mismatchWindow: '10s', reconnectDeadline: '60s' },
  };
  await writeFile(info.inventoryPath, `# Generated by the test bed (test/bed/bed.ts).\n${toYaml(inventory)}`);
}

/** The inventory entry of one bed gateway (restart/stop/start through the bed's supervisorctl). */
export function bedInstanceEntry(sup: Supervisor, g: BedGateway, devices: BedDevice[]): InventoryInput['instances'][number] {
  return {
    id: g.id,
    gateway: { cli: g.cli, stateDir: g.stateDir, configPath: g.configPath, env: g.env, httpUrl: g.httpUrl },
    lbServer: g.lbServer,
    install: { type: 'global' as const, npm: [node24Bin(), npmCliScript()], prefix: g.prefix },
    restart: sup.ctlArgv('restart', g.id),
    devices: devices
      .filter((d) => d.instance === g.id)
      .map((d) => ({ deviceId: d.deviceId, name: d.name, role: d.role, scopes: d.scopes, ...(d.reconnectHook ? { reconnectHook: d.reconnectHook } : {}) })),
  };
}

/** A bed gateway's config: loopback, the shared token, no silent local pairing, its own log file. */
export async function writeGatewayConfig(configPath: string, port: number, sharedToken: string, logFile: string): Promise<void> {
  const config = {
    gateway: {
      mode: 'local',
      port,
      bind: 'loopback',
      auth: { mode: 'token', token: sharedToken },
      nodes: { pairing: { autoApproveLocal: false } },
    },
    logging: { file: logFile },
  };
  await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  await chmod(configPath, 0o600);
}

/** The supervisor program that runs one bed gateway (`openclaw gateway run` from its own prefix). */
export function gatewayProgram(g: BedGateway): Program {
  return {
    name: g.id,
    command: [...g.cli, 'gateway', 'run'],
    directory: g.dir,
    environment: { ...g.env, OPENCLAW_STATE_DIR: g.stateDir, OPENCLAW_CONFIG_PATH: g.configPath, NO_COLOR: '1' },
    logFile: join(g.dir, 'stdout.log'),
    startSecs: 5,
  };
}

function haproxyConfig(socket: string, frontendPort: number, gateways: BedGateway[]): string {
  return `global
  stats socket ${socket} mode 600 level admin
  stats timeout 30s

defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  timeout http-request 10s

frontend gateways_in
  bind 127.0.0.1:${frontendPort}
  # Clients of an extra gateway (extra-gateway.ts: an instance with its own inventory) connect to
  # /${EXTRA_ROUTE_PREFIX}<route>; every other path goes to the cluster's backend as before.
  use_backend ${EXTRA_BACKEND} if { path_beg /${EXTRA_ROUTE_PREFIX} }
  default_backend gateways

# Sticky per client device: a client connects to /<its route key> and is hashed on it, so the same
# device always lands on the same gateway while that gateway takes traffic (a drained server gets no
# new connections: hashing, unlike cookies or stick tables, does not override drain).
backend gateways
  http-request set-header X-Route %[path]
  http-request set-path /
  balance hdr(X-Route)
  hash-type consistent
  option httpchk GET /readyz
  default-server check inter 1s fall 2 rise 2
${gateways.map((g) => `  server ${g.lbServer} 127.0.0.1:${g.port}`).join('\n')}

# Empty until extra-gateway.ts adds a server with the runtime API (\`add server\`); routed like the
# cluster's backend (sticky per client by the path's hash, consistent hashing: dynamic servers allowed).
backend ${EXTRA_BACKEND}
  http-request set-header X-Route %[path]
  http-request set-path /
  balance hdr(X-Route)
  hash-type consistent
  option httpchk GET /readyz
`;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(500);
  }
  throw new Error(`bed: ${what} not ready after ${timeoutMs / 1000} s`);
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Puts one gateway back on `version` with a fresh state dir (same config, port and token). A downgrade
 * in place is refused by OpenClaw once a newer release migrated the state databases ("schema(s) are
 * newer than this build"), so the state goes too: use it only for a gateway without paired clients.
 */
export async function resetGateway(info: BedInfo, id: string, version = info.fromVersion): Promise<void> {
  const g = info.gateways.find((x) => x.id === id);
  if (!g) throw new Error(`bed has no gateway ${id}`);
  const sup = new Supervisor(info.dir);
  await sup.ctl('stop', id);
  await rm(g.prefix, { recursive: true, force: true });
  await execa('cp', ['-al', openclawTemplate(version), g.prefix]);
  await rm(g.stateDir, { recursive: true, force: true });
  await mkdir(g.stateDir, { recursive: true });
  await sup.ctl('start', id);
  await waitFor(`${id} /readyz`, () => httpOk(`${g.httpUrl}/readyz`), 180_000);
  await waitFor(`HAProxy to see ${g.lbServer} UP`, async () => (await showStat(info.haproxy.socket).catch(() => [])).some((r) => r.server === g.lbServer && r.status === 'UP'), 60_000);
}
