/**
 * The runbook's "Emergency repair path" and the three causes of `device token mismatch`, on the real bed
 * with a real worker, real gateways and a real WebSocket client (its own Ed25519 identity):
 *  1. a client whose token was rotated but that was never updated keeps presenting the old token:
 *     `diagnose` names cause 1; `repair` revokes it, the re-provisioned client asks to pair again, a
 *     human approves with `approve-repair`, and the client is connected with its role and scopes;
 *  2. the same client's token presented to another instance (cause 2) and with a changed role or scopes
 *     (cause 3): `diagnose` names each;
 *  3. a repair whose client never sends a new pairing request ends at its deadline with a clear report,
 *     the instance still serving others;
 *  4. bad input (unknown instance, unknown device, wrong role, invalid signal payload) changes nothing.
 * Leaves the bed as it found it: it uses its own test client (not in the bed's inventory) and writes
 * its own inventory copy; node-1 and op-1 are not touched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayActivities } from '../../src/activities/index.js';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Diagnosis } from '../../src/cli/diagnose/verdict.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { loadInventory } from '../../src/inventory-file.js';
import { approveRepair, repairProgressQuery, type RepairPhase } from '../../src/shared/messages/repair.js';
import { repairWorkflowId } from '../../src/shared/ids.js';
import type { EmergencyRepairResult } from '../../src/workflows/emergency-repair.js';
import type { BedInfo } from '../bed/bed.js';
import type { BedGateway } from '../bed/bed-gateway.js';
import { sleep } from '../bed/probes.js';
import { gatewayAccess, OPERATOR_SCOPES, pairTestClient, routeUrl, sharedToken } from '../bed/clients.js';
import { bed, runActivity, startWorker } from '../bed/context.js';
import { saveHistories } from '../bed/histories.js';
import { HeldConnection, connectOnce, type DeviceIdentity } from '../bed/ws-client.js';
import { starterCli } from '../bed/starter.js';

let info: BedInfo;
let inventory: Inventory;
let inventoryPath: string;
let w: Awaited<ReturnType<typeof startWorker>>;
let client: DeviceIdentity;
let home: BedGateway;
let other: BedGateway;
const held: HeldConnection[] = [];
const CLIENT = 'op-repair-e2e';

const target = (id: string) => ({ instance: inventory.instances.find((i) => i.id === id)!, policy: inventory.policy });
const since = (t0: number) => `${Math.ceil((Date.now() - t0) / 1000) + 1}s`;

async function diagnoseJson(deviceId: string, t0: number): Promise<{ code: number; d: Diagnosis }> {
  const r = await starterCli(
    'diagnose',
    '--inventory',
    inventoryPath,
    '--device',
    deviceId,
    '--since',
    since(t0),
    '--json',
  );
  expect([0, 1], r.out).toContain(r.code);
  return { code: r.code, d: JSON.parse(r.out) as Diagnosis };
}

async function waitForRepairPhase(id: string, phase: RepairPhase, timeoutMs: number) {
  const handle = w.client.workflow.getHandle(id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.query(repairProgressQuery).catch(() => undefined);
    if (p?.phase === phase) return p;
    if (p?.phase === 'Failed')
      throw new Error(`repair failed while waiting for ${phase}: ${JSON.stringify(p.steps.at(-1))}`);
    if (Date.now() > deadline)
      throw new Error(`repair did not reach ${phase} within ${timeoutMs / 1000} s (now ${p?.phase})`);
    await sleep(1000);
  }
}

/** `status` (of one instance, when given); the repairs section is printed with or without a rollout. */
const statusOf = (instance?: string) =>
  starterCli('status', '--inventory', inventoryPath, ...(instance ? ['--instance', instance] : []));

/** The paired entry of the test client on `g`. */
async function pairedOn(g: BedGateway, deviceId: string) {
  return (await oc.devicesList(gatewayAccess(g), { timeoutMs: 60_000 })).paired.find((d) => d.deviceId === deviceId);
}

beforeAll(async () => {
  ({ info } = await bed());
  // Our own client, paired the runbook's way through HAProxy; its home is where its route hashes.
  ({ identity: client, home } = await pairTestClient(info, CLIENT));
  other = info.gateways.find((g) => g.id !== home.id)!;
  // The bed's inventory plus this client under its home, with short repair deadlines.
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    policy: Record<string, unknown>;
    instances: { id: string; devices: unknown[] }[];
  };
  // Approval rules as a real team sets them: a list of approvers, four-eyes (the default).
  raw.policy = {
    ...raw.policy,
    repairDeadline: '25s',
    mismatchWindow: '5s',
    reconnectDeadline: '60s',
    approvals: { approvers: ['alice', 'carol'] },
  };
  raw.instances
    .find((i) => i.id === home.id)!
    .devices.push({ deviceId: client.deviceId, name: CLIENT, role: 'operator', scopes: OPERATOR_SCOPES });
  inventoryPath = join(info.dir, 'cluster-repair.yaml');
  await writeFile(inventoryPath, toYaml(raw));
  inventory = await loadInventory(inventoryPath);
  w = await startWorker(info, inventory.temporal.taskQueue);
});
afterAll(async () => {
  for (const h of held) await h.stop();
  await w?.stop();
});

describe('bad input changes nothing', () => {
  it('names the flag and the fix for an unknown instance, an unknown device and a wrong role', async () => {
    const before = await pairedOn(home, client.deviceId);
    const a = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      'gw-9',
      '--device',
      client.deviceId,
    );
    expect(a.code).toBe(2);
    expect(a.out).toContain('--instance: unknown instance "gw-9"');
    const b = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      other.id,
      '--device',
      client.deviceId,
    );
    expect(b.code).toBe(2);
    expect(b.out).toContain(`use --instance ${home.id}`);
    const c = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--role',
      'node',
    );
    expect(c.code).toBe(2);
    expect(c.out).toContain('--role node does not match');
    const d = await starterCli('diagnose', '--inventory', inventoryPath, '--device', 'f'.repeat(64));
    expect(d.code).toBe(2);
    expect(d.out).toContain('--device: no instance of this cluster knows device');
    // Nothing changed: the device keeps its live operator token.
    const after = await pairedOn(home, client.deviceId);
    expect(after?.tokens).toEqual(before?.tokens);
  });
});

describe('cause 1: a client that kept its old token after rotation, repaired end to end', () => {
  it('is diagnosed, revoked, re-paired after approval and connected with its role and scopes', async () => {
    const url = routeUrl(info, CLIENT);
    // The client that was never updated: no shared auth, it keeps presenting its stored device token.
    const stale = new HeldConnection({
      url,
      identity: client,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      reconnectMaxMs: 3000,
    });
    held.push(stale);
    expect((await stale.start()).type).toBe('hello');
    const t0 = Date.now();
    const device = inventory.instances
      .find((i) => i.id === home.id)!
      .devices.find((d) => d.deviceId === client.deviceId)!;
    await runActivity(gatewayActivities.rotateDeviceToken, target(home.id), device);
    await stale.waitFor((e) => e.type === 'close' && e.errorCode === 'AUTH_DEVICE_TOKEN_MISMATCH', 30_000);

    const diag = await diagnoseJson(client.deviceId, t0);
    expect(diag.code).toBe(1);
    expect(diag.d.findings.map((f) => [f.cause, f.instance])).toEqual([[1, home.id]]);
    expect(diag.d.findings[0]!.fix).toContain(
      `repair --inventory ${inventoryPath} --instance ${home.id} --device ${client.deviceId} --role operator`,
    );
    expect(diag.d.attribution).toContain('correlation');
    expect(diag.d.rows.find((r) => r.instance === home.id)).toMatchObject({
      known: true,
      roles: ['operator'],
      connected: false,
    });
    expect(diag.d.rows.find((r) => r.instance === home.id)!.refusalsCorrelated).toBeGreaterThanOrEqual(1);
    const table = await starterCli(
      'diagnose',
      '--inventory',
      inventoryPath,
      '--device',
      client.deviceId,
      '--since',
      since(t0),
    );
    expect(table.out).toContain(`cause 1 (old token after rotation) on ${home.id}`);
    expect(table.out).toMatch(/verdict: cause 1/);

    const started = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--role',
      'operator',
      '--by',
      'carol',
    );
    expect(started.code, started.out).toBe(0);
    const id = repairWorkflowId({ cluster: inventory.cluster }, home.id, client.deviceId);
    expect(started.out).toContain(id);
    expect(started.out).toContain('reconnect its client');
    const again = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
    );
    expect(again.code).toBe(2);
    expect(again.out).toContain(`already running: ${id}`);

    // No hook: the UI tells the operator what to do on the client side.
    await waitForRepairPhase(id, 'WaitingForPairingRequest', 60_000);
    const handle = w.client.workflow.getHandle(id);
    const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(meta.currentDetails).toContain("with the gateway's shared auth");
    expect(
      (await pairedOn(home, client.deviceId))?.tokens.filter(
        (t) => t.role === 'operator' && t.revokedAtMs === undefined,
      ),
    ).toEqual([]);

    // The operator re-provisions the client with shared auth: it asks to pair again.
    await stale.stop();
    const fixed = new HeldConnection({
      url,
      identity: client,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      sharedToken: await sharedToken(info),
      reconnectMaxMs: 3000,
    });
    held.push(fixed);
    void fixed.start().catch(() => undefined);
    const waiting = await waitForRepairPhase(id, 'AwaitingApproval', 60_000);
    expect(waiting.request?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const pending = (await oc.devicesList(gatewayAccess(home), { timeoutMs: 60_000 })).pending.filter(
      (p) => p.deviceId === client.deviceId,
    );
    expect(pending.map((p) => p.requestId)).toContain(waiting.request!.requestId);

    // An invalid payload and an approval for another instance are recorded and ignored.
    await handle.signal(approveRepair, { instance: home.id, approver: '' });
    await handle.signal(approveRepair, { instance: other.id, approver: 'bob' });
    // The approval rules hold for repairs: an outsider and the repair's own starter are refused at once
    // (the starter's Update) or recorded and ignored (the Web UI's signal); the repair keeps waiting.
    const outsider = await starterCli(
      'approve-repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--approver',
      'mallory',
    );
    expect(outsider.code, outsider.out).toBe(1);
    expect(outsider.out).toContain(
      'mallory is not an allowed approver (policy.approvals.approvers: alice, carol). Nothing was changed.',
    );
    const self = await starterCli(
      'approve-repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--approver',
      'carol',
    );
    expect(self.code, self.out).toBe(1);
    expect(self.out).toContain('four-eyes: carol started this repair and cannot approve it');
    await handle.signal(approveRepair, { instance: home.id, approver: 'mallory' });
    const still = await handle.query(repairProgressQuery);
    expect(still.phase).toBe('AwaitingApproval');
    expect(still.startedBy).toBe('carol');
    // `status --instance` lists the instance's repairs from Temporal's visibility: this one waits.
    const repairRow = new RegExp(
      `^${home.id} +${client.deviceId.slice(0, 12)} +AwaitingApproval .* repair +request ${waiting.request!.requestId} waits for approve-repair$`,
      'm',
    );
    expect((await statusOf(home.id)).out).toMatch(repairRow);
    // Scripts get the same rows from --json.
    const json = await starterCli('status', '--inventory', inventoryPath, '--instance', home.id, '--json');
    const body = json.out.split('\nerror: ')[0]!; // with no rollout running, the error follows the repairs
    const rows = (JSON.parse(body.slice(body.indexOf('{'))) as { repairs: { rows: Record<string, unknown>[] } }).repairs
      .rows;
    expect(rows).toContainEqual(
      expect.objectContaining({
        instance: home.id,
        deviceId: client.deviceId,
        running: true,
        state: 'AwaitingApproval',
      }),
    );
    const stillPending = (await oc.devicesList(gatewayAccess(home), { timeoutMs: 60_000 })).pending.filter(
      (p) => p.deviceId === client.deviceId,
    );
    expect(stillPending.map((p) => p.requestId)).toContain(waiting.request!.requestId);
    const approved = await starterCli(
      'approve-repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--approver',
      'alice',
      '--comment',
      'client re-provisioned',
    );
    expect(approved.code, approved.out).toBe(0);
    const result = (await handle.result()) as EmergencyRepairResult;
    expect(result.outcome).toBe('repaired');
    expect(result.decision).toMatchObject({ kind: 'approve', approver: 'alice' });
    expect(result.ignored.map((x) => x.reason)).toEqual([
      expect.stringContaining('approver'),
      expect.stringContaining(`not on ${other.id}`),
      'mallory is not an allowed approver (policy.approvals.approvers: alice, carol)',
    ]);
    await saveHistories(info, 'repaired', [id]);
    // And once it ended, `status` shows how (visibility sees the close a moment later).
    const ended = new RegExp(
      `^${home.id} +${client.deviceId.slice(0, 12)} +repaired .* repair +approved by alice$`,
      'm',
    );
    await expect.poll(async () => (await statusOf()).out, { timeout: 30_000, interval: 1000 }).toMatch(ended);

    // What the operator checks: paired with its role and scopes, connected, the client up.
    const entry = await pairedOn(home, client.deviceId);
    expect(entry?.roles).toEqual(['operator']);
    expect(entry?.scopes).toEqual(OPERATOR_SCOPES);
    expect(entry?.connected).toBe(true);
    expect(fixed.connected).toBe(true);
    expect(JSON.stringify(result)).not.toContain(await sharedToken(info));
  });
});

describe('causes 2 and 3, produced for real', () => {
  it('names cause 2 when the device token reaches an instance that does not know the device', async () => {
    const t0 = Date.now();
    const token = client.getDeviceToken(routeUrl(info, CLIENT), 'operator')!.token;
    const out = await connectOnce({
      url: other.wsUrl,
      identity: client,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      auth: { deviceToken: token },
      storeDeviceToken: false,
    });
    expect(out.kind === 'closed' && out.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const { code, d } = await diagnoseJson(client.deviceId, t0);
    expect(code).toBe(1);
    expect(d.findings.map((f) => [f.cause, f.instance])).toEqual([[2, other.id]]);
    expect(d.findings[0]!.fix).toContain('sticky');
    expect(d.rows.find((r) => r.instance === other.id)).toMatchObject({ known: false, refusalsCorrelated: 1 });
  });

  it('names cause 3 when the client asks for another role or more scopes than its token', async () => {
    const t0 = Date.now();
    const token = client.getDeviceToken(routeUrl(info, CLIENT), 'operator')!.token;
    const asNode = await connectOnce({
      url: home.wsUrl,
      identity: client,
      role: 'node',
      scopes: [],
      auth: { deviceToken: token },
      storeDeviceToken: false,
    });
    expect(asNode.kind === 'closed' && asNode.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const more = await connectOnce({
      url: home.wsUrl,
      identity: client,
      role: 'operator',
      scopes: [...OPERATOR_SCOPES, 'operator.admin'],
      auth: { deviceToken: token },
      storeDeviceToken: false,
    });
    expect(more.kind === 'closed' && more.errorCode).toBe('AUTH_SCOPE_MISMATCH');
    const { code, d } = await diagnoseJson(client.deviceId, t0);
    expect(code).toBe(1);
    expect(d.findings.map((f) => [f.cause, f.instance])).toEqual([
      [3, home.id],
      [3, home.id],
    ]);
    expect(d.findings[0]!.evidence).toContain('ask for role node');
    expect(d.findings[1]!.evidence).toContain('scope mismatch');
    expect(d.verdict).toContain('cause 3: role or scopes changed');
  });
});

describe('a repair whose device never asks to pair again', () => {
  it('ends at its deadline with a clear report, the instance still serving others', async () => {
    for (const h of held) await h.stop();
    const id = repairWorkflowId({ cluster: inventory.cluster }, home.id, client.deviceId);
    const started = await starterCli(
      'repair',
      '--inventory',
      inventoryPath,
      '--instance',
      home.id,
      '--device',
      client.deviceId,
      '--wait',
    );
    expect(started.code, started.out).toBe(1);
    expect(started.out).toContain('sent no new pairing request within 25 s');
    expect(started.out).toContain(`${home.id} keeps serving its other clients`);
    const desc = await w.client.workflow.getHandle(id).describe();
    expect(desc.status.name).toBe('FAILED');

    // The instance serves: healthy, in traffic, and accepts a client.
    expect((await runActivity(gatewayActivities.gatewayStatus, target(home.id))).healthy).toBe(true);
    const rows = await showStat(info.haproxy.socket);
    expect(rows.find((r) => r.server === home.lbServer)?.status).toBe('UP');
    const backend = await connectOnce({
      url: home.wsUrl,
      identity: client,
      clientId: 'gateway-client',
      clientMode: 'backend',
      role: 'operator',
      scopes: ['operator.read'],
      auth: { token: await sharedToken(info) },
      sendDevice: false,
      storeDeviceToken: false,
    });
    expect(backend.kind).toBe('hello');
    if (backend.kind === 'hello') await backend.socket.close();
  });
});
