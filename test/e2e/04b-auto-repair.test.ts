/**
 * The rollout starts an emergency repair by itself: a one-instance rollout (the release the gateway
 * already runs, so the bed does not move) of a gateway with a paired test client that is NOT running
 * when its token is rotated, so it is not back after rejoin. The instance workflow then starts the
 * `emergencyRepair` child `<instance workflow>/repair/<deviceId>`, which revokes the role and waits for
 * the client's new pairing request; the test plays the operator on the client side (reconnects the
 * client with the gateway's shared auth) and approves with `approve-repair`; the device ends paired
 * with its role and scopes, connected, and the rollout completes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceStateActivities, gatewayActivities } from '../../src/activities/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Device, Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { progressQuery } from '../../src/shared/messages/rollout.js';
import { repairProgressQuery, type RepairProgress } from '../../src/shared/messages/repair.js';
import type { BedInfo } from '../bed/bed.js';
import { pollUntil } from '../bed/wait.js';
import { saveHistories } from '../bed/histories.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { OPERATOR_SCOPES, pairStraightTo, sharedToken } from '../bed/clients.js';
import { bed, runActivity, startWorker } from '../bed/context.js';
import { HeldConnection, connectOnce } from '../bed/ws-client.js';
import { starterCli } from '../bed/starter.js';

const CLUSTER = 'bed-auto-repair';
let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;
let held: HeldConnection | undefined;

beforeAll(async () => {
  ({ info, inventory } = await bed());
  w = await startWorker(info, inventory.temporal.taskQueue);
});
afterAll(async () => {
  await held?.stop();
  await w?.stop();
});

// The evidence the rollout revokes on: a refused connect counts for a rotated device only while no
// other paired device has the same client software and platform (src/shared/refusal-attribution.ts).
it(
  'counts a refused connect for a rotated device only while no other paired device shares its client',
  async () => {
    const instance = inventory.instances.find((i) => i.devices.length === 0)!;
    const gw = info.gateways.find((g) => g.id === instance.id)!;
    const platform = 'freebsd'; // no other client of the bed says it runs there
    const x = await pairStraightTo(info, gw, 'attribution-x', platform);
    const device: Device = { deviceId: x.deviceId, name: 'attribution-x', role: 'operator', scopes: OPERATOR_SCOPES };
    const target = { instance: { ...instance, devices: [device] }, policy: inventory.policy };
    const t0 = Date.now();
    await runActivity(gatewayActivities.rotateDeviceToken, target, device);
    // The client that was never updated presents its old token and is refused.
    const stale = await connectOnce({
      url: gw.wsUrl,
      identity: x,
      role: 'operator',
      scopes: OPERATOR_SCOPES,
      platform,
      auth: 'stored',
    });
    expect(stale.kind === 'closed' && stale.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
    const alone = await pollUntil(
      'the refusal in the gateway log',
      async () => {
        const r = await runActivity(deviceStateActivities.refusalsByDevice, target, [x.deviceId], t0);
        return r.total ? r : undefined;
      },
      60_000,
    );
    expect(alone).toMatchObject({ perDevice: { [x.deviceId]: alone.total }, unattributed: 0, ambiguous: 0 });

    // A second device of the same client software on the same platform: the same lines are nobody's now.
    await pairStraightTo(info, gw, 'attribution-y', platform);
    const shared = await runActivity(deviceStateActivities.refusalsByDevice, target, [x.deviceId], t0);
    expect(shared).toMatchObject({ perDevice: {}, unattributed: 0, ambiguous: alone.total, total: alone.total });
  },
  5 * 60_000,
);

it(
  'repairs a rotated device that did not come back, by itself, after a human approves its new pairing',
  async () => {
    // A gateway no bed client calls home (restarting it moves nobody), and a client paired straight to it.
    const instance = inventory.instances.find((i) => i.devices.length === 0);
    if (!instance) throw new Error('every bed gateway is home to a paired client; this test needs one that is not');
    const gw = info.gateways.find((g) => g.id === instance.id)!;
    const token = await sharedToken(info);
    const identity = await pairStraightTo(info, gw, 'auto-repair'); // the client then stays away: it will miss its rotation
    const connect = () =>
      connectOnce({ url: gw.wsUrl, identity, role: 'operator', scopes: OPERATOR_SCOPES, auth: { token } });

    const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
      instances: { id: string; devices: unknown[] }[];
      policy: Record<string, unknown>;
    };
    raw.cluster = CLUSTER;
    raw.instances = raw.instances.filter((i) => i.id === instance.id);
    raw.instances[0]!.devices = [
      { deviceId: identity.deviceId, name: 'auto-repair', role: 'operator', scopes: OPERATOR_SCOPES },
    ];
    raw.policy = {
      ...raw.policy,
      drainDeadline: '5s',
      mismatchWindow: '3s',
      reconnectDeadline: '30s',
      repairDeadline: '3m',
    };
    const file = join(info.dir, 'cluster-auto-repair.yaml');
    await writeFile(file, toYaml(raw));
    const running = (await oc.gatewayStatus(instance.gateway, { timeoutMs: 60_000 })).version!;

    const id = rolloutWorkflowId(CLUSTER);
    const repairId = `${id}/${instance.id}/repair/${identity.deviceId}`;
    // The version it runs: --force, or the finished instance would be left alone.
    const started = await starterCli(
      'start',
      '--inventory',
      file,
      '--target',
      running,
      '--by',
      'auto-repair-test',
      '--force',
    );
    expect(started.code, started.out).toBe(0);
    try {
      await pollUntil(
        'the instance to wait for approval',
        async () =>
          (await w.client.workflow.getHandle(id).query(progressQuery)).instances[0]?.phase === 'AwaitingApproval'
            ? true
            : undefined,
        8 * 60_000,
      );
      expect(
        (await starterCli('approve', '--inventory', file, '--instance', instance.id, '--approver', 'alice')).code,
      ).toBe(0);

      // Not back within reconnectDeadline → the rollout starts the repair, which revokes and waits for the client.
      const waiting = await pollUntil<RepairProgress>(
        'the automatic repair to wait for a new pairing request',
        async () => {
          const p = await w.client.workflow.getHandle(repairId).query(repairProgressQuery);
          return p.phase === 'WaitingForPairingRequest' ? p : undefined;
        },
        5 * 60_000,
      );
      expect(waiting.reason).toContain('did not reconnect');
      const desc = await w.client.workflow.getHandle(repairId).describe();
      expect(desc.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(`${id}/${instance.id}`);
      const list = await oc.devicesList(instance.gateway, { timeoutMs: 60_000 });
      expect(
        list.paired
          .find((d) => d.deviceId === identity.deviceId)
          ?.tokens.filter((t) => t.role === 'operator' && !t.revokedAtMs) ?? [],
      ).toEqual([]);

      // The operator reconnects the client with the gateway's shared auth: it asks to pair again.
      const again = await connect();
      expect(again.kind === 'closed' && again.errorCode).toBe('PAIRING_REQUIRED');
      await pollUntil(
        'the repair to ask for approval',
        async () =>
          (await w.client.workflow.getHandle(repairId).query(repairProgressQuery)).phase === 'AwaitingApproval'
            ? true
            : undefined,
        3 * 60_000,
      );
      const approved = await starterCli(
        'approve-repair',
        '--inventory',
        file,
        '--instance',
        instance.id,
        '--device',
        identity.deviceId,
        '--approver',
        'alice',
        '--comment',
        'reconnected it',
      );
      expect(approved.code, approved.out).toBe(0);
      // The client comes back for good once approved.
      await pollUntil(
        'the repair to approve the request',
        async () =>
          ['Verifying', 'Repaired'].includes(
            (await w.client.workflow.getHandle(repairId).query(repairProgressQuery)).phase,
          )
            ? true
            : undefined,
        3 * 60_000,
      );
      identity.clearDeviceToken(gw.wsUrl, 'operator'); // its old token is revoked: reconnect with shared auth only
      held = new HeldConnection({
        url: gw.wsUrl,
        identity,
        role: 'operator',
        scopes: OPERATOR_SCOPES,
        sharedToken: token,
      });
      expect((await held.start()).type).toBe('hello');

      const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const steps = report.instances[0]!.steps.map((s) => `${s.step}: ${s.status}`);
      expect(steps).toContain(`start emergency repair of ${identity.deviceId.slice(0, 12)}: ok`);
      expect(steps).toContain(`emergency repair of ${identity.deviceId.slice(0, 12)}: ok`);
      const repaired = (await oc.devicesList(instance.gateway, { timeoutMs: 60_000 })).paired.find(
        (d) => d.deviceId === identity.deviceId,
      );
      expect(repaired).toMatchObject({ connected: true });
      expect(repaired?.scopes.sort()).toEqual([...OPERATOR_SCOPES].sort());

      // The histories (kept as replay fixtures of this path) hold no token: neither the shared token the
      // client re-paired with nor the device tokens it held before and after.
      const files = await saveHistories(info, 'auto-repaired', [id, `${id}/${instance.id}`, repairId]);
      const secrets = [
        ...(await heldSecrets(info)),
        ...identity
          .listDeviceTokens()
          .map((t) => ({ label: `auto-repair client token for ${t.gateway}`, value: t.token })),
      ];
      expect(secrets.some((s) => s.label.includes(identity.deviceId.slice(0, 12)))).toBe(true); // its new token is in the pairing store
      const sources = await Promise.all(
        files.map(async (f) => ({ source: f.split('/').at(-1)!, text: await readHistoryText(f) })),
      );
      expect(findSecrets(sources, secrets)).toEqual([]);
    } finally {
      await w.client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
      await w.client.workflow
        .getHandle(repairId)
        .terminate('test cleanup')
        .catch(() => undefined);
      await held?.stop();
      held = undefined;
      const { createLoadBalancer } = await import('../../src/activities/load-balancer/index.js');
      await createLoadBalancer(inventory.loadBalancer).ready(instance.lbServer);
    }
  },
  20 * 60_000,
);
