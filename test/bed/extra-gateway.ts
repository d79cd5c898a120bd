/**
 * One extra gateway on a chosen release (e.g. the jump path's 2026.8.2) next to a running bed, for a
 * test that rolls out a single instance of its own instead of a second full cluster:
 *   - under the bed's supervisord (program `<id>`: restart/stop/start with the bed's supervisorctl),
 *   - with its own npm prefix (a hard-linked copy of the release's template, as bed.ts does), state dir,
 *     config (the bed's shared token), log file and ports,
 *   - in HAProxy's `extra` backend, added with the runtime API (`add server`), so clients reach it
 *     through the frontend at `/extra-<route>` and the cluster's backend (and its hashing) is untouched,
 *   - with an inventory of its own (cluster `bed-<id>`), so a rollout of it is not a rollout of the bed.
 * removeExtraGateway undoes all of it.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { runtimeCommand } from '../../src/activities/load-balancer/haproxy.js';
import type { InventoryInput } from '../../src/shared/inventory.js';
import type { BedInfo } from './bed.js';
import { bedGateway, gatewayProgram, type BedGateway } from './bed-gateway.js';
import { bedInstanceEntry, bedInventory, type BedDevice } from './bed-inventory.js';
import { EXTRA_BACKEND, EXTRA_ROUTE_PREFIX, lbServerUp, removeRuntimeServer } from './haproxy-config.js';
import { httpOk, waitFor } from './probes.js';
import { freePortRange } from './ports.js';
import { Supervisor } from './supervisor.js';
import { openclawTemplate, versions } from './tools.js';

export interface ExtraGatewayOptions {
  /** Instance id and supervisor program name (default `gw-jump`). */
  id?: string;
  /** The release it starts on (default OPENCLAW_JUMP_FROM_VERSION, 2026.8.2). */
  version?: string;
  /** Its server name in HAProxy's `extra` backend (default: the id without dashes). */
  lbServer?: string;
  /** Add it to HAProxy (default true). */
  inLoadBalancer?: boolean;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ExtraGateway {
  gateway: BedGateway;
  version: string;
  /** Its inventory entry (restart through the bed's supervisorctl; stop/start derived from it). */
  instance: InventoryInput['instances'][number];
  /** HAProxy backend holding it (`extra`), when in the load balancer. */
  backend?: string;
  /** The frontend URL prefix that reaches it: `<haproxy ws url>/extra-<route>`. */
  routeUrl: (route: string) => string;
  /** From `supervisorctl add` to /readyz 200. */
  readyMs: number;
  /** From /readyz 200 to HAProxy saying UP (0 when not in the load balancer). */
  lbUpMs: number;
}

const descriptionFile = (info: BedInfo, id: string) => join(info.dir, id, 'extra-gateway.json');

/** Starts the extra gateway and waits until it is ready (and UP in HAProxy). */
export async function startExtraGateway(info: BedInfo, opts: ExtraGatewayOptions = {}): Promise<ExtraGateway> {
  const id = opts.id ?? 'gw-jump';
  const version = opts.version ?? versions.OPENCLAW_JUMP_FROM_VERSION;
  const lbServer = opts.lbServer ?? id.replace(/[^A-Za-z0-9_]/g, '');
  const inLb = opts.inLoadBalancer ?? true;
  const log = opts.log ?? ((l: string) => console.log(`[bed] ${l}`));
  if (info.gateways.some((g) => g.id === id || g.lbServer === lbServer))
    throw new Error(`bed: ${id}/${lbServer} is already one of the bed's gateways`);
  const template = openclawTemplate(version);
  const sup = new Supervisor(info.dir);
  await removeExtraGateway(info, id).catch(() => undefined); // a leftover of an earlier run

  const port = await freePortRange(
    120,
    info.gateways.map((g) => g.port),
  );
  const sharedToken = (await readFile(info.sharedTokenFile, 'utf8')).trim();
  const gateway = await bedGateway({ bedDir: info.dir, id, lbServer, port, template, sharedToken });
  await writeFile(descriptionFile(info, id), JSON.stringify({ gateway, version, inLoadBalancer: inLb }, null, 2));

  log(`starting extra gateway ${id} on openclaw ${version} (:${port})`);
  const started = Date.now();
  await sup.addProgram(gatewayProgram(gateway));
  await waitFor(`${id} /readyz`, () => httpOk(`${gateway.httpUrl}/readyz`), opts.readyTimeoutMs ?? 180_000);
  const readyMs = Date.now() - started;

  let lbUpMs = 0;
  if (inLb) {
    const upFrom = Date.now();
    const srv = `${EXTRA_BACKEND}/${lbServer}`;
    // A server added at runtime starts in maintenance with its health check off: enable both.
    await expectEmpty(info, `add server ${srv} 127.0.0.1:${port} check inter 1s fall 2 rise 2`);
    await expectEmpty(info, `enable health ${srv}`);
    await expectEmpty(info, `enable server ${srv}`);
    await waitFor(`HAProxy to see ${srv} UP`, () => lbServerUp(info.haproxy.socket, lbServer, EXTRA_BACKEND), 60_000);
    lbUpMs = Date.now() - upFrom;
  }
  log(
    `extra gateway ${id} ready in ${(readyMs / 1000).toFixed(1)} s${inLb ? `, UP in HAProxy ${(lbUpMs / 1000).toFixed(1)} s later` : ''}`,
  );
  return {
    gateway,
    version,
    instance: bedInstanceEntry(sup, gateway, []),
    ...(inLb ? { backend: EXTRA_BACKEND } : {}),
    routeUrl: (route: string) => `${info.haproxy.wsUrl}/${EXTRA_ROUTE_PREFIX}${route}`,
    readyMs,
    lbUpMs,
  };
}

/**
 * Writes an inventory holding only the extra gateway (cluster `bed-<id>`, HAProxy backend `extra`),
 * with `devices` paired on it; returns its path (`<bed>/<id>/cluster.yaml` unless given).
 */
export async function writeExtraInventory(
  info: BedInfo,
  extra: ExtraGateway,
  devices: BedDevice[] = [],
  path = join(extra.gateway.dir, 'cluster.yaml'),
): Promise<string> {
  const inventory = bedInventory(info, {
    cluster: `bed-${extra.gateway.id}`,
    backend: extra.backend ?? EXTRA_BACKEND,
    gateways: [extra.gateway],
    devices,
  });
  await writeFile(
    path,
    `# Generated by the test bed (test/bed/extra-gateway.ts): one extra gateway on its own.\n${toYaml(inventory)}`,
  );
  return path;
}

/** Stops and removes the extra gateway `id`: out of HAProxy, out of supervisord, its directory deleted. Idempotent. */
export async function removeExtraGateway(info: BedInfo, id = 'gw-jump'): Promise<void> {
  const described = existsSync(descriptionFile(info, id))
    ? (JSON.parse(await readFile(descriptionFile(info, id), 'utf8')) as {
        gateway: BedGateway;
        inLoadBalancer: boolean;
      })
    : undefined;
  if (described?.inLoadBalancer && existsSync(info.haproxy.socket)) {
    const srv = `${EXTRA_BACKEND}/${described.gateway.lbServer}`;
    await removeRuntimeServer(info.haproxy.socket, srv);
  }
  if (existsSync(join(info.dir, 'supervisor.sock'))) await new Supervisor(info.dir).removeProgram(id);
  await rm(join(info.dir, id), { recursive: true, force: true });
}

async function expectEmpty(info: BedInfo, command: string): Promise<void> {
  const reply = (await runtimeCommand(info.haproxy.socket, command)).trim();
  // `add server` answers "New server registered."; enable/disable answer nothing.
  if (reply !== '' && !/New server registered/i.test(reply))
    throw new Error(`bed: HAProxy refused \`${command}\`: ${reply}`);
}
