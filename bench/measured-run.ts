/**
 * One rollout on the peer bed, measured the same way whoever runs it: op-1 held through HAProxy (a client
 * that reconnects, like the node host), HAProxy sampled throughout, the pending pairing requests of every
 * gateway read before and a few seconds after (the clients' reconnects settle), and the wall time of
 * `run` alone.
 */
import { join } from 'node:path';
import * as oc from '../src/activities/openclaw/index.js';
import type { Inventory } from '../src/shared/inventory.js';
import type { BedInfo } from '../test/bed/bed.js';
import { OPERATOR_SCOPES, routeUrl, sharedToken } from '../test/bed/clients.js';
import { haproxySampler } from '../test/bed/haproxy-sampler.js';
import { sleep } from '../test/bed/probes.js';
import { pollUntil } from '../test/bed/wait.js';
import { DeviceIdentity, HeldConnection } from '../test/bed/ws-client.js';
import { newPending, pendingByInstance } from './pending-requests.js';
import { outOfTrafficByServer } from './traffic-periods.js';

export interface PeerRun {
  wallMs: number;
  /** Per instance, as HAProxy showed it (not UP: drained, stopped or failing its check). */
  outOfTraffic: { instance: string; server: string; ms: number; periods: number }[];
  /** Pending pairing requests per instance before the run, and the new ones after it. */
  pendingBefore: Record<string, number>;
  pendingLeft: Record<string, number>;
}

/** After the run, before reading the pending requests: the clients' reconnect backoff. */
export const SETTLE_MS = 5000;

export async function measuredRun(
  info: BedInfo,
  inventory: Inventory,
  intervalMs: number,
  run: () => Promise<void>,
): Promise<PeerRun> {
  const op = await holdOperator(info);
  const before = await pendingByInstance(inventory.instances);
  const sampler = haproxySampler(info, intervalMs);
  let wallMs: number;
  try {
    const started = Date.now();
    await run();
    wallMs = Date.now() - started;
    await sleep(SETTLE_MS);
  } finally {
    await sampler.stop();
    await op.stop();
  }
  const after = await pendingByInstance(inventory.instances);
  const servers = inventory.instances.map((i) => i.lbServer);
  const periods = outOfTrafficByServer(sampler.samples, servers);
  return {
    wallMs,
    outOfTraffic: inventory.instances.map((i, n) => ({
      instance: i.id,
      server: i.lbServer,
      ms: periods[n]!.totalMs,
      periods: periods[n]!.periods,
    })),
    pendingBefore: Object.fromEntries(Object.entries(before).map(([id, ids]) => [id, ids.length])),
    pendingLeft: newPending(before, after),
  };
}

/** op-1, connected through HAProxy on its route and reconnecting after every close. */
async function holdOperator(info: BedInfo): Promise<HeldConnection> {
  const op = new HeldConnection({
    url: routeUrl(info, 'op-1'),
    identity: await DeviceIdentity.loadOrCreate(join(info.dir, 'clients', 'op-1.identity.json')),
    role: 'operator',
    scopes: OPERATOR_SCOPES,
    sharedToken: await sharedToken(info),
  });
  await op.start();
  // A token the gateway no longer knows is refused first; the client then falls back to the shared token.
  await op
    .waitFor((e) => e.type === 'hello', 60_000)
    .catch(async (err: Error) => {
      await op.stop();
      throw new Error(`op-1 could not connect before the run: ${err.message}`);
    });
  return op;
}

/** Waits until every node device of the inventory is connected to its gateway (after restarts). */
export async function waitForClients(inventory: Inventory): Promise<void> {
  for (const i of inventory.instances)
    for (const d of i.devices.filter((x) => x.role === 'node'))
      await pollUntil(
        `${d.name ?? d.deviceId} connected to ${i.id}`,
        async () =>
          (await oc.devicesList(i.gateway, { timeoutMs: 60_000 })).paired.some(
            (p) => p.deviceId === d.deviceId && p.connected,
          ),
        120_000,
        2000,
      );
}
