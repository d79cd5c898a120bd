/**
 * policy.approvals.mode canary on the real bed: a 3-instance rollout (the release the cluster already
 * runs, --force, so the bed does not move) where a person approves the canary, the second instance is
 * promoted by the policy on its soak's evidence (healthy, channels ok, no refused connect above the
 * baseline preflight took), and the third, whose paired client presents a wrong device token during its
 * soak (a real `device token mismatch` in the gateway log), is not promoted: it stays drained and a
 * person is asked, with the reason. The decisions and the evidence are in the progress, in the child
 * workflows' results (read back from the history) and in `status`. The inventory lists no devices, so
 * nothing is rotated: the bed's clients are not all running here, and the soak's evidence is the point.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { showStat } from '../../src/activities/load-balancer/haproxy.js';
import { createLoadBalancer } from '../../src/activities/load-balancer/index.js';
import * as oc from '../../src/activities/openclaw/index.js';
import type { Inventory } from '../../src/shared/inventory.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { InstanceRolloutResult } from '../../src/workflows/instance-rollout.js';
import type { BedInfo } from '../bed/bed.js';
import { saveHistories } from '../bed/histories.js';
import { findSecrets, heldSecrets, readHistoryText } from '../bed/secret-scan.js';
import { OPERATOR_SCOPES, pairStraightTo } from '../bed/clients.js';
import { bed, startWorker } from '../bed/context.js';
import { waitForInstancePhase } from '../bed/wait.js';
import { connectOnce } from '../bed/ws-client.js';
import { starterCli } from '../bed/starter.js';

const CLUSTER = 'bed-canary';
let info: BedInfo;
let inventory: Inventory;
let w: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  ({ info, inventory } = await bed());
  w = await startWorker(info, inventory.temporal.taskQueue);
});
afterAll(async () => {
  await w?.stop();
});

/** The bed's inventory in canary mode, `last` rolled out last (it gets the wrong token), no devices to rotate. */
async function canaryInventory(last: string): Promise<string> {
  const raw = parseYaml(await readFile(info.inventoryPath, 'utf8')) as Record<string, unknown> & {
    instances: { id: string; devices: unknown[] }[];
    policy: Record<string, unknown>;
  };
  raw.cluster = CLUSTER;
  raw.instances = [...raw.instances.filter((i) => i.id !== last), ...raw.instances.filter((i) => i.id === last)];
  // No rotations: the bed's clients are not all running here (05 runs them), and the soak's evidence is the point.
  for (const i of raw.instances) i.devices = [];
  raw.policy = {
    ...raw.policy,
    canary: raw.instances[0]!.id,
    approvals: { approvers: ['alice', 'bob'], mode: 'canary', soak: '15s' },
  };
  const file = join(info.dir, 'cluster-canary.yaml');
  await writeFile(file, toYaml(raw));
  return file;
}

it(
  'promotes on evidence after a person approved the canary, and asks a person when a client is refused during the soak',
  async () => {
    // The gateway no bed client calls home gets the test client that presents a wrong token.
    const third = inventory.instances.find((i) => i.devices.length === 0)!;
    const [canary, second] = inventory.instances.filter((i) => i !== third).map((i) => i.id);
    const gw3 = info.gateways.find((g) => g.id === third.id)!;
    const client = await pairStraightTo(info, gw3, 'canary-client');
    const file = await canaryInventory(third.id);
    const running = (await oc.gatewayStatus(third.gateway, { timeoutMs: 60_000 })).version!;
    const id = rolloutWorkflowId(CLUSTER);
    const started = await starterCli(
      'start',
      '--inventory',
      file,
      '--target',
      running,
      '--by',
      'canary-test',
      '--force',
    );
    expect(started.code, started.out).toBe(0);
    try {
      await waitForInstancePhase(w.client, id, canary!, 'AwaitingApproval', 8 * 60_000);
      const approved = await starterCli('approve', '--inventory', file, '--instance', canary!, '--approver', 'alice');
      expect(approved.code, approved.out).toBe(0);

      // The third instance soaks drained; its client presents a wrong device token: the gateway refuses it.
      await waitForInstancePhase(w.client, id, third.id, 'Soaking', 10 * 60_000);
      const refused = await connectOnce({
        url: gw3.wsUrl,
        identity: client,
        role: 'operator',
        scopes: OPERATOR_SCOPES,
        auth: { deviceToken: 'not-the-token-this-gateway-issued' },
      });
      expect(refused.kind === 'closed' && refused.errorCode).toBe('AUTH_DEVICE_TOKEN_MISMATCH');
      const asked = await waitForInstancePhase(w.client, id, third.id, 'AwaitingApproval', 3 * 60_000);

      const promoted = asked.instances.find((i) => i.instance === second)!;
      expect(promoted.phase).toBe('Done');
      expect(promoted.decision).toMatchObject({ kind: 'approve', approver: 'policy', via: 'policy' });
      expect(promoted.promotion).toMatchObject({
        promoted: true,
        soakMs: 15_000,
        evidence: { healthy: true, channelsOk: true },
      });
      expect(promoted.promotion?.evidence?.baseline).not.toBeNull();
      const stopped = asked.instances.find((i) => i.instance === third.id)!;
      expect(stopped.promotion?.promoted).toBe(false);
      expect(stopped.promotion?.why).toMatch(/\d+ refused connects \(\d+ device token mismatch\) during the soak/);
      expect(stopped.decision).toBeUndefined();
      const rows = await showStat(info.haproxy.socket);
      expect(rows.find((x) => x.server === third.lbServer)?.status).toMatch(/DRAIN/);

      const status = await starterCli('status', '--inventory', file);
      expect(status.out).toContain('approved by policy (canary mode, on evidence)');
      expect(status.out).toContain('not promoted automatically');

      expect((await starterCli('approve', '--inventory', file, '--instance', third.id, '--approver', 'bob')).code).toBe(
        0,
      );
      const report = (await w.client.workflow.getHandle(id).result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      // The policy's decision and its evidence are in the child's result, read back from its history.
      const child = (await w.client.workflow.getHandle(`${id}/${second}`).result()) as InstanceRolloutResult;
      expect(child.decision).toMatchObject({ approver: 'policy', via: 'policy' });
      expect(child.promotion?.evidence).toMatchObject({ refused: expect.any(Number), allowed: expect.any(Number) });
      expect(report.instances.find((i) => i.instance === canary)?.decision).toMatchObject({ approver: 'alice' });
      expect(report.instances.find((i) => i.instance === third.id)?.decision).toMatchObject({ approver: 'bob' });
      const after = await showStat(info.haproxy.socket);
      for (const g of info.gateways) expect(after.find((x) => x.server === g.lbServer)?.status).toBe('UP');
      // The histories (replay fixtures of this path) hold the evidence, and no token.
      const files = await saveHistories(info, 'canary-bed', [id, `${id}/${second}`, `${id}/${third.id}`]);
      const sources = await Promise.all(
        files.map(async (f) => ({ source: f.split('/').at(-1)!, text: await readHistoryText(f) })),
      );
      expect(findSecrets(sources, await heldSecrets(info))).toEqual([]);
    } finally {
      await w.client.workflow
        .getHandle(id)
        .terminate('test cleanup')
        .catch(() => undefined);
      for (const g of inventory.instances) await createLoadBalancer(inventory.loadBalancer).ready(g.lbServer);
    }
  },
  25 * 60_000,
);
