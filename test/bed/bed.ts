/**
 * The real test bed, on loopback with free ports, under one supervisord:
 *   - the Temporal CLI dev server (SQLite file, Web UI),
 *   - N OpenClaw gateways, each with its own npm prefix (copied from a pinned template, so updating one
 *     does not change another), state dir, config, log file and port,
 *   - HAProxy in front of them (admin socket; routing sticky per client by the request path's hash),
 *   - client devices, paired through the runbook's pending request → `devices approve` flow.
 * With `production: true` (`npm run bed -- up --production`, OPENCLAW_ROLLOUT_BED_TEMPORAL=production for
 * the e2e setup) the dev server is replaced by a production-shaped Temporal: PostgreSQL, the server with mTLS,
 * the Web UI server (production-temporal.ts); the inventory then carries temporal.tls.
 * Its description (ports, paths) is written to <dir>/bed.json and an inventory to <dir>/cluster.yaml.
 * One gateway's layout: bed-gateway.ts; HAProxy's config: haproxy-config.ts; the inventory: bed-inventory.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { bedGateway, bedPath, gatewayProgram, gatewayStdoutLog, type BedGateway } from './bed-gateway.js';
import { writeInventory } from './bed-inventory.js';
import { gatewayWords } from './gateway-log.js';
import { bedCodecServer } from './codec.js';
import { haproxyConfig, haproxyProgram } from './haproxy-config.js';
import { freePort, freePortRange } from './ports.js';
import { httpOk, sleep, tcpOpen, waitFor } from './probes.js';
import { removeNetns } from './netns.js';
import { startProductionTemporal, type ProductionTemporal } from './production-temporal.js';
import { Supervisor, type Program } from './supervisor.js';
import { node24Bin, openclawTemplate, projectRoot, temporalBin, versions } from './tools.js';

export interface BedInfo {
  dir: string;
  supervisorConf: string;
  sharedTokenFile: string;
  temporal: {
    address: string;
    namespace: string;
    uiUrl: string;
    dbFile: string;
    codecEndpoint?: string;
    codecKeyFile?: string;
    /** Production mode: mTLS files (the inventory's temporal.tls) and the PostgreSQL behind the server. */
    tls?: ProductionTemporal['tls'];
    postgres?: ProductionTemporal['postgres'];
  };
  haproxy: { socket: string; backend: string; frontendPort: number; wsUrl: string };
  gateways: BedGateway[];
  fromVersion: string;
  targetVersion: string;
  inventoryPath: string;
}

export const SEARCH_ATTRIBUTES = ['OpenclawCluster=Keyword', 'OpenclawPhase=Keyword', 'OpenclawInstance=Keyword'];

/**
 * The bed's directory: OPENCLAW_ROLLOUT_BED_DIR, else .bed/<fallback> of the checkout, always absolute
 * (supervisord and its programs run in other directories, so a relative path would point nowhere).
 */
export function bedDirFromEnv(
  fallback: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): string {
  const given = env.OPENCLAW_ROLLOUT_BED_DIR;
  return given ? resolve(cwd, given) : join(projectRoot, '.bed', fallback);
}

export function defaultBedDir(): string {
  return bedDirFromEnv('current');
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
  // The namespaced gateway host (netns.ts), once nothing runs in it any more.
  await removeNetns(dir);
}

export interface StartOptions {
  dir?: string;
  gateways?: number;
  version?: string;
  log?: (line: string) => void;
  /** PostgreSQL-backed Temporal server with mTLS and its own Web UI server instead of the dev server. */
  production?: boolean;
}

/** The e2e setup's choice: OPENCLAW_ROLLOUT_BED_TEMPORAL=production starts the production-shaped bed. */
export function productionBedRequested(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const mode = env.OPENCLAW_ROLLOUT_BED_TEMPORAL ?? 'dev';
  if (mode !== 'dev' && mode !== 'production')
    throw new Error(`OPENCLAW_ROLLOUT_BED_TEMPORAL must be dev or production, not "${mode}"`);
  return mode === 'production';
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
  const basePath = bedPath();
  const sup = new Supervisor(dir);
  const sharedToken = randomBytes(24).toString('hex');
  const sharedTokenFile = join(dir, 'gateway-token');
  await writeFile(sharedTokenFile, sharedToken + '\n', { mode: 0o600 });

  // Ports: each gateway uses base..base+110, so give each a free range of 120.
  const temporalPort = await freePort();
  const uiPort = await freePort();
  const frontendPort = await freePort();
  const template = openclawTemplate(version);
  log(`staging openclaw ${version} for ${count} gateways (hard links into <gw>/openclaw/versions)`);
  const gateways = await layOutGateways(dir, count, template, sharedToken);

  const haproxySocket = join(dir, 'haproxy.sock');
  const haproxyCfg = join(dir, 'haproxy.cfg');
  await writeFile(haproxyCfg, haproxyConfig(haproxySocket, frontendPort, gateways));
  const dbFile = join(dir, 'temporal.db');
  const codec = await bedCodecServer({ dir, uiUrl: `http://127.0.0.1:${uiPort}`, node: node24, path: basePath });
  const programs: Program[] = [
    ...(opts.production ? [] : [await temporalProgram(dir, dbFile, temporalPort, uiPort, codec?.endpoint)]),
    haproxyProgram(dir, haproxyCfg),
    ...gateways.map(gatewayProgram),
    nodeHostProgram(dir, template, frontendPort, sharedToken),
  ];
  if (codec) programs.push(codec.program);
  await mkdir(join(dir, 'clients', 'node-1', 'state'), { recursive: true });
  await sup.writeConfig(programs);
  log(
    `starting supervisord (temporal :${temporalPort}, ui :${uiPort}, haproxy :${frontendPort}, gateways ${gateways.map((g) => `:${g.port}`).join(' ')})`,
  );
  await sup.start();

  const started = Date.now();
  const production = opts.production
    ? startProductionTemporal({ dir, sup, codecEndpoint: codec?.endpoint, uiPort, log })
    : undefined;
  try {
    await Promise.all([
      production ?? waitFor('Temporal dev server', () => tcpOpen(temporalPort), 120_000),
      ...(codec ? [waitFor('codec server', () => tcpOpen(codec.port), 60_000)] : []),
      waitFor('HAProxy admin socket', () => existsSync(haproxySocket), 30_000),
      ...gateways.map((g) => waitFor(`${g.id} /readyz`, () => httpOk(`${g.httpUrl}/readyz`), 180_000)),
    ]);
    await waitFor(
      'HAProxy to see every gateway UP',
      async () => {
        const rows = await showStat(haproxySocket).catch(() => []);
        return gateways.every((g) => rows.some((r) => r.server === g.lbServer && r.status === 'UP'));
      },
      60_000,
    );
  } catch (err) {
    throw await failedStart(dir, gateways, err as Error);
  }
  log(`all up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const prod = await production;

  const info: BedInfo = {
    dir,
    supervisorConf: sup.confPath,
    sharedTokenFile,
    temporal: {
      address: prod?.address ?? `127.0.0.1:${temporalPort}`,
      namespace: 'default',
      uiUrl: prod?.uiUrl ?? `http://127.0.0.1:${uiPort}`,
      dbFile: prod ? '' : dbFile,
      ...(codec ? { codecEndpoint: codec.endpoint, codecKeyFile: codec.keyFile } : {}),
      ...(prod ? { tls: prod.tls, postgres: prod.postgres } : {}),
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

/**
 * A start that did not finish: stops the bed (its files stay for a look) and returns the error with the
 * words of each gateway that is not ready, from its own stdout log.
 */
async function failedStart(dir: string, gateways: BedGateway[], err: Error): Promise<Error> {
  const notReady = [];
  for (const g of gateways) if (!(await httpOk(`${g.httpUrl}/readyz`))) notReady.push(g);
  await stopBed(dir);
  const said = await Promise.all(notReady.map(gatewaySaid));
  return new Error([`${err.message}; the bed was stopped (its files stay in ${dir})`, ...said].join('\n'), {
    cause: err,
  });
}

async function gatewaySaid(g: BedGateway): Promise<string> {
  const log = gatewayStdoutLog(g);
  const words = gatewayWords(await readFile(log, 'utf8').catch(() => ''));
  if (!words.length) return `${g.id} is not ready and its log ${log} is empty`;
  return `${g.id} is not ready; its log ${log} ends with:\n${words.map((w) => `  ${w}`).join('\n')}`;
}

/** Lays out gateways gw-1..gw-<count> on the release `template`; each gets a free range of 120 ports. */
async function layOutGateways(
  dir: string,
  count: number,
  template: string,
  sharedToken: string,
): Promise<BedGateway[]> {
  const gateways: BedGateway[] = [];
  for (let i = 1; i <= count; i++) {
    // Ports: each gateway uses base..base+110, so give each a free range of 120.
    const port = await freePortRange(
      120,
      gateways.map((g) => g.port),
    );
    gateways.push(await bedGateway({ bedDir: dir, id: `gw-${i}`, lbServer: `gw${i}`, port, template, sharedToken }));
  }
  return gateways;
}

/** The Temporal CLI dev server: SQLite file, Web UI (with the codec server, if any), the search attributes. */
async function temporalProgram(
  dir: string,
  dbFile: string,
  port: number,
  uiPort: number,
  codecEndpoint: string | undefined,
): Promise<Program> {
  return {
    name: 'temporal',
    command: [
      temporalBin(),
      'server',
      'start-dev',
      '--db-filename',
      dbFile,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-ip',
      '127.0.0.1',
      '--ui-port',
      String(uiPort),
      '--http-port',
      String(await freePort()),
      '--metrics-port',
      String(await freePort()),
      '--log-level',
      'warn',
      '--ui-disable-news-fetch',
      ...(codecEndpoint ? ['--ui-codec-endpoint', codecEndpoint] : []),
      ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', a]),
    ],
    directory: dir,
    environment: { PATH: bedPath() },
    logFile: join(dir, 'temporal.log'),
    startSecs: 3,
  };
}

/**
 * The real node host: a client device that connects through HAProxy (route /node-1) with the
 * cluster's shared token. Started once the gateways are up (clients.ts pairs it).
 */
function nodeHostProgram(dir: string, template: string, frontendPort: number, sharedToken: string): Program {
  return {
    name: 'node-1',
    command: [
      node24Bin(),
      join(template, 'lib/node_modules/openclaw/openclaw.mjs'),
      'node',
      'run',
      '--host',
      '127.0.0.1',
      '--port',
      String(frontendPort),
      '--context-path',
      '/node-1',
      '--no-tls',
      '--display-name',
      'node-1',
    ],
    directory: join(dir, 'clients'),
    environment: {
      PATH: bedPath(),
      HOME: join(dir, 'clients', 'node-1'),
      OPENCLAW_STATE_DIR: join(dir, 'clients', 'node-1', 'state'),
      OPENCLAW_CONFIG_PATH: join(dir, 'clients', 'node-1', 'openclaw.json'),
      OPENCLAW_GATEWAY_TOKEN: sharedToken,
      NO_COLOR: '1',
    },
    logFile: join(dir, 'clients', 'node-1.log'),
    autostart: false,
  };
}
