/**
 * A gateway host in its own network namespace (netns.ts): one gateway that listens only inside the
 * namespace, and that host's `worker --host` started there too, the way a second machine would run them.
 *   - The gateway runs under the bed's supervisord as `ip netns exec <ns> openclaw gateway run` (program
 *     `<id>`), bound to every address of the namespace: its loopback (what its CLI and the inventory's
 *     httpUrl use) and the veth's namespace side. From the root namespace, 127.0.0.1:<port> is nobody.
 *   - HAProxy reaches it through the veth: a server added at runtime to the cluster's backend at
 *     `<ns address>:<port>`, weight 0 so the bed's clients keep hashing to their own gateways (its health
 *     checks alone make it UP).
 *   - Its inventory entry has `host: <host>`: every host-bound command runs on that host's task queue, which
 *     only the worker in the namespace serves (startNetnsHostWorker), reaching Temporal through the veth.
 * removeNetnsGateway undoes it (the namespace itself goes with removeNetns / `bed down`).
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeCommand } from '../../src/activities/load-balancer/haproxy.js';
import type { InventoryInput } from '../../src/shared/inventory.js';
import type { BedInfo } from './bed.js';
import { bedGateway, gatewayProgram, writeGatewayConfig, type BedGateway } from './bed-gateway.js';
import { bedInstanceEntry } from './bed-inventory.js';
import { lbServerUp, removeRuntimeServer } from './haproxy-config.js';
import { inNetns, type BedNetns } from './netns.js';
import { freePortRange } from './ports.js';
import { httpOk, waitFor } from './probes.js';
import { Supervisor } from './supervisor.js';
import { openclawTemplate, versions } from './tools.js';
import { WorkerProcess } from './worker-process.js';

export interface NetnsGateway {
  gateway: BedGateway;
  ns: BedNetns;
  /** The host name of its inventory entry (`worker --host <host>`). */
  host: string;
  /** Its inventory entry (host-bound; restart through the bed's supervisorctl). */
  instance: InventoryInput['instances'][number];
  /** Where HAProxy reaches it: the veth's namespace side. */
  lbUrl: string;
  readyMs: number;
}

const descriptionFile = (info: BedInfo, id: string) => join(info.dir, id, 'netns-gateway.json');

/** Starts gateway `id` inside `ns` on `version` (default: the bed's from-version) and waits until HAProxy sees it UP through the veth. */
export async function startNetnsGateway(
  info: BedInfo,
  ns: BedNetns,
  opts: { id?: string; host?: string; version?: string; log?: (line: string) => void } = {},
): Promise<NetnsGateway> {
  const id = opts.id ?? 'gw-ns';
  const host = opts.host ?? `${id}-host`;
  const lbServer = id.replace(/[^A-Za-z0-9_]/g, '');
  const log = opts.log ?? ((l: string) => console.log(`[bed] ${l}`));
  const sup = new Supervisor(info.dir);
  await removeNetnsGateway(info, id);
  const port = await freePortRange(
    120,
    info.gateways.map((g) => g.port),
  );
  const sharedToken = (await readFile(info.sharedTokenFile, 'utf8')).trim();
  const version = opts.version ?? versions.OPENCLAW_FROM_VERSION;
  const gateway = await bedGateway({
    bedDir: info.dir,
    id,
    lbServer,
    port,
    template: openclawTemplate(version),
    sharedToken,
  });
  await writeGatewayConfig({ ...gateway, version }, sharedToken, 'lan');
  await writeFile(descriptionFile(info, id), JSON.stringify({ gateway, ns }, null, 2));

  log(`starting ${id} in network namespace ${ns.name} (${ns.nsAddress}:${port})`);
  const started = Date.now();
  const program = gatewayProgram(gateway);
  await sup.addProgram({ ...program, command: inNetns(ns, program.command, ipBin()) });
  const lbUrl = `http://${ns.nsAddress}:${port}`;
  await waitFor(`${id} /readyz through the veth`, () => httpOk(`${lbUrl}/readyz`), 180_000);
  const srv = `${info.haproxy.backend}/${lbServer}`;
  await haproxy(info, `add server ${srv} ${ns.nsAddress}:${port} weight 0 check inter 1s fall 2 rise 2`);
  await haproxy(info, `enable health ${srv}`);
  await haproxy(info, `enable server ${srv}`);
  await waitFor(
    `HAProxy to see ${srv} UP`,
    () => lbServerUp(info.haproxy.socket, lbServer, info.haproxy.backend),
    60_000,
  );
  const readyMs = Date.now() - started;
  log(`${id} ready and UP in HAProxy through the veth in ${(readyMs / 1000).toFixed(1)} s`);
  return { gateway, ns, host, instance: { ...bedInstanceEntry(sup, gateway, []), host }, lbUrl, readyMs };
}

/**
 * That host's worker (`worker --inventory <file> --host <host>`) inside the namespace, reaching the
 * Temporal frontend at `temporalAddress` (the veth's root side: 127.0.0.1 is the namespace's own there).
 */
export function startNetnsHostWorker(
  g: NetnsGateway,
  inventoryPath: string,
  temporalAddress: string,
  logFile = join(g.gateway.dir, '..', `${g.gateway.id}-host-worker.log`),
): Promise<WorkerProcess> {
  return WorkerProcess.start(inventoryPath, '', logFile, {
    host: g.host,
    wrap: (argv) => inNetns(g.ns, argv, ipBin()),
    env: { TEMPORAL_ADDRESS: temporalAddress },
  });
}

/** Stops and removes gateway `id`: out of HAProxy, out of supervisord, its directory deleted. Idempotent. */
export async function removeNetnsGateway(info: BedInfo, id = 'gw-ns'): Promise<void> {
  const file = descriptionFile(info, id);
  const described = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as { gateway: BedGateway })
    : undefined;
  if (described && existsSync(info.haproxy.socket)) {
    const srv = `${info.haproxy.backend}/${described.gateway.lbServer}`;
    await removeRuntimeServer(info.haproxy.socket, srv);
  }
  if (existsSync(join(info.dir, 'supervisor.sock'))) await new Supervisor(info.dir).removeProgram(id);
  await rm(join(info.dir, id), { recursive: true, force: true });
}

/** iproute2's `ip` by its absolute path (supervisord does not search the program's PATH). */
function ipBin(): string {
  return ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
}

async function haproxy(info: BedInfo, command: string): Promise<void> {
  const reply = (await runtimeCommand(info.haproxy.socket, command)).trim();
  if (reply !== '' && !/New server registered/i.test(reply))
    throw new Error(`bed: HAProxy refused \`${command}\`: ${reply}`);
}
