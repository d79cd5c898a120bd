/**
 * Real client devices for the bed, paired the runbook's way (first connect → pending request →
 * `devices approve <requestId>`), all through HAProxy:
 *   - `node-1`: the real node host (`openclaw node run`) under supervisor, role node, holding the
 *     cluster's shared token (so it recovers from a rotation by reconnecting);
 *   - `op-1`: the bed's WebSocket test client (own Ed25519 identity), role operator.
 * Each lands on the gateway its route key hashes to; that gateway's pairing store is its home.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oc from '../../src/activities/openclaw/index.js';
import type { BedInfo } from './bed.js';
import type { BedGateway } from './bed-gateway.js';
import { writeInventory, type BedDevice } from './bed-inventory.js';
import { sleep } from './probes.js';
import { Supervisor } from './supervisor.js';
import { DeviceIdentity, connectOnce } from './ws-client.js';

export const OPERATOR_SCOPES = ['operator.read', 'operator.write'];

export function gatewayAccess(g: BedGateway) {
  return { cli: g.cli, stateDir: g.stateDir, configPath: g.configPath, env: g.env };
}

export async function sharedToken(info: BedInfo): Promise<string> {
  return (await readFile(info.sharedTokenFile, 'utf8')).trim();
}

/** The LB URL of a client's route (HAProxy hashes the path to pick its home gateway). */
export const routeUrl = (info: BedInfo, route: string) => `${info.haproxy.wsUrl}/${route}`;

/**
 * A new test client paired straight to gateway `gw` (not through HAProxy): its first connect with the
 * shared token asks to pair, `devices approve` accepts it, and a second connect is let in (then closed).
 * On a release that pairs loopback clients silently (gw.pairing `silent-local`) the first connect is let in.
 */
export async function pairStraightTo(
  info: BedInfo,
  gw: BedGateway,
  name: string,
  platform: string = process.platform,
  protocols?: ClientProtocols,
): Promise<DeviceIdentity> {
  const identity = DeviceIdentity.generate(join(info.dir, 'clients', `${name}.identity.json`));
  await identity.save();
  const auth = { token: await sharedToken(info) };
  const connect = () =>
    connectOnce({
      url: gw.wsUrl,
      identity,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      platform,
      auth,
      ...(protocols ? { protocols } : {}),
    });
  const first = await connect();
  if (first.kind === 'hello' && gw.pairing === 'silent-local') {
    // A release without `autoApproveLocal` (2026.7.35, 2026.4.1) pairs a loopback client by itself.
    await first.socket.close();
    return identity;
  }
  if (first.kind !== 'closed' || !first.requestId)
    throw new Error(`expected ${name}'s first connect to ask for pairing, got ${first.kind}`);
  await oc.devicesApprove(gatewayAccess(gw), first.requestId, { timeoutMs: 60_000 });
  const hello = await connect();
  if (hello.kind !== 'hello') throw new Error(`${name} was not let in after approval (${hello.kind})`);
  await hello.socket.close();
  return identity;
}

export type ClientProtocols = { min: number; max: number };

/**
 * The protocol range a client of gateway `gw` offers, asked of the gateway: a connect offering only 4 is
 * refused by 2026.4.1 with "protocol mismatch" and `expectedProtocol: 3`; then the client offers 3-4
 * (which 2026.9 still takes, at 4), so it keeps working across a jump. Undefined: the default (4) is fine.
 */
export async function clientProtocolsFor(info: BedInfo, gw: BedGateway): Promise<ClientProtocols | undefined> {
  const identity = DeviceIdentity.generate();
  const r = await connectOnce({ url: gw.wsUrl, identity, auth: { token: await sharedToken(info) }, sendDevice: false });
  if (r.kind === 'hello') await r.socket.close();
  const expected = r.kind === 'closed' ? r.details?.expectedProtocol : undefined;
  return typeof expected === 'number' && expected < 4 ? { min: expected, max: 4 } : undefined;
}

/** Finds the gateway holding pending request(s) matching `match`, polling all gateways. */
export async function findPending(
  info: BedInfo,
  match: (p: { requestId: string; deviceId: string; clientId?: string }) => boolean,
  timeoutMs = 90_000,
): Promise<{ gateway: BedGateway; requestId: string; deviceId: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lists = await Promise.all(
      info.gateways.map((g) =>
        oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 }).catch(() => ({ pending: [], paired: [] })),
      ),
    );
    for (const [i, list] of lists.entries()) {
      const p = list.pending.find(match);
      if (p) return { gateway: info.gateways[i]!, requestId: p.requestId, deviceId: p.deviceId };
    }
    await sleep(1000);
  }
  throw new Error('bed: no pending pairing request appeared');
}

/** Pairs the test client `name` through HAProxy; returns its identity and home gateway. */
export async function pairTestClient(
  info: BedInfo,
  name: string,
  scopes = OPERATOR_SCOPES,
): Promise<{ identity: DeviceIdentity; home: BedGateway }> {
  const identity = DeviceIdentity.generate(join(info.dir, 'clients', `${name}.identity.json`));
  await identity.save();
  const url = routeUrl(info, name);
  const token = await sharedToken(info);
  const first = await connectOnce({ url, identity, role: 'operator', scopes, auth: { token } });
  if (first.kind !== 'closed' || first.errorCode !== 'PAIRING_REQUIRED' || !first.requestId) {
    throw new Error(
      `bed: expected ${name}'s first connect to ask for pairing, got ${JSON.stringify({ kind: first.kind, code: (first as { code?: number }).code })}`,
    );
  }
  const found = await findPending(info, (p) => p.requestId === first.requestId, 30_000);
  await oc.devicesApprove(gatewayAccess(found.gateway), found.requestId, { timeoutMs: 60_000 });
  const hello = await connectOnce({ url, identity, role: 'operator', scopes, auth: { token } });
  if (hello.kind !== 'hello' || !hello.deviceToken)
    throw new Error(`bed: ${name} got no device token after approval (${hello.kind})`);
  await hello.socket.close();
  return { identity, home: found.gateway };
}

/** Starts the real node host `node-1` under supervisor and approves its pairing request. */
export async function pairNodeHost(info: BedInfo, name = 'node-1'): Promise<{ deviceId: string; home: BedGateway }> {
  const sup = new Supervisor(info.dir);
  await sup.ctl('start', name);
  const found = await findPending(info, (p) => p.clientId === 'node-host');
  await oc.devicesApprove(gatewayAccess(found.gateway), found.requestId, { timeoutMs: 60_000 });
  // The node host pauses after "pairing required" ("waiting for operator action"): restart it.
  await sup.ctl('restart', name);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const list = await oc.devicesList(gatewayAccess(found.gateway), { timeoutMs: 60_000 });
    if (list.paired.find((d) => d.deviceId === found.deviceId)?.connected)
      return { deviceId: found.deviceId, home: found.gateway };
    await sleep(2000);
  }
  throw new Error(`bed: node host ${name} did not connect after approval`);
}

/** Pairs the bed's clients and writes them into the bed's inventory. */
export async function pairBedClients(info: BedInfo): Promise<BedDevice[]> {
  const sup = new Supervisor(info.dir);
  const [node, op] = await Promise.all([pairNodeHost(info), pairTestClient(info, 'op-1')]);
  const devices: BedDevice[] = [
    {
      instance: node.home.id,
      deviceId: node.deviceId,
      role: 'node',
      scopes: [],
      name: 'node-1',
      reconnectHook: sup.ctlArgv('restart', 'node-1'),
    },
    { instance: op.home.id, deviceId: op.identity.deviceId, role: 'operator', scopes: OPERATOR_SCOPES, name: 'op-1' },
  ];
  await writeInventory(info, devices);
  return devices;
}
