/**
 * Section 5, a peer on the same bed: one bed of three gateways with its clients (the node host and op-1,
 * held through HAProxy as a real client would be), rolled from the pinned from-release to the target
 * twice: first by our rollout (real workflows and activities, approvals automatic), then, once the
 * gateways are back where it found them (bed-snapshot.ts), by the runbook's Ansible playbook
 * (ansible-peer.ts). For both, the same measures (measured-run.ts): each instance's time out of traffic
 * as HAProxy showed it, the whole rollout's wall time, and the pending pairing requests it left.
 */
import { join } from 'node:path';
import { loadInventory } from '../src/inventory-file.js';
import type { Inventory } from '../src/shared/inventory.js';
import { startBed, stopBed, type BedInfo } from '../test/bed/bed.js';
import { pairBedClients } from '../test/bed/clients.js';
import { Supervisor } from '../test/bed/supervisor.js';
import { projectRoot } from '../test/bed/tools.js';
import { runPeerPlaybook } from './ansible-peer.js';
import type { HostRecap } from './ansible-recap.js';
import { restoreGateways, snapshotGateways } from './bed-snapshot.js';
import { measuredRun, SETTLE_MS, waitForClients, type PeerRun } from './measured-run.js';
import { startOurRollout } from './our-bed-rollout.js';

/** The same drain wait for both (the node host keeps its socket, so both wait it out); section 4's values. */
const DRAIN_DEADLINE_MS = 5000;
const MISMATCH_WINDOW_MS = 5000;
const SAMPLER_INTERVAL_MS = 250;

export interface PeerBedResult {
  fromVersion: string;
  targetVersion: string;
  instances: { id: string; lbServer: string; devices: string[] }[];
  drainDeadlineMs: number;
  mismatchWindowMs: number;
  samplerIntervalMs: number;
  /** How long after a run the pending requests are read. */
  settleMs: number;
  ours: PeerRun;
  playbook: PeerRun & { recap: HostRecap[] };
}

export async function measurePeerBed(opts: { log: (s: string) => void }): Promise<PeerBedResult> {
  const dir = process.env.OPENCLAW_ROLLOUT_BED_DIR ?? join(projectRoot, '.bed', 'bench-peer');
  const log = (s: string) => opts.log(`[peer] ${s}`);
  const info = await startBed({ dir, gateways: 3, log: (l) => log(`[bed] ${l}`) });
  try {
    await pairBedClients(info);
    const inventory = await loadInventory(info.inventoryPath);
    inventory.policy.drainDeadline = DRAIN_DEADLINE_MS;
    inventory.policy.mismatchWindow = MISMATCH_WINDOW_MS;
    const snapshot = join(dir, 'snapshot');
    log('copying each gateway state before the rollouts');
    await snapshotGateways(info, snapshot);
    await waitForClients(inventory);

    const ours = await runOurs(info, inventory, log);
    log('putting the gateways back on the from-release with their state from before');
    await restoreGateways(info, snapshot);
    await new Supervisor(info.dir).ctl('restart', 'node-1');
    await waitForClients(inventory);
    const playbook = await runPlaybook(info, inventory, log);
    return {
      fromVersion: info.fromVersion,
      targetVersion: info.targetVersion,
      instances: inventory.instances.map((i) => ({
        id: i.id,
        lbServer: i.lbServer,
        devices: i.devices.map((d) => d.name ?? d.deviceId),
      })),
      drainDeadlineMs: DRAIN_DEADLINE_MS,
      mismatchWindowMs: MISMATCH_WINDOW_MS,
      samplerIntervalMs: SAMPLER_INTERVAL_MS,
      settleMs: SETTLE_MS,
      ours,
      playbook,
    };
  } finally {
    await stopBed(dir);
  }
}

async function runOurs(info: BedInfo, inventory: Inventory, log: (s: string) => void): Promise<PeerRun> {
  const rollout = await startOurRollout(info, inventory);
  try {
    log(`our rollout of ${inventory.instances.length} gateways, ${info.fromVersion} → ${info.targetVersion}`);
    return await measuredRun(info, inventory, SAMPLER_INTERVAL_MS, () => rollout.run());
  } finally {
    await rollout.close();
  }
}

async function runPlaybook(
  info: BedInfo,
  inventory: Inventory,
  log: (s: string) => void,
): Promise<PeerRun & { recap: HostRecap[] }> {
  log(`the runbook's playbook on the same ${inventory.instances.length} gateways`);
  let recap: HostRecap[] = [];
  const run = await measuredRun(info, inventory, SAMPLER_INTERVAL_MS, async () => {
    const r = await runPeerPlaybook(join(info.dir, 'peer-ansible'), inventory, {
      targetVersion: info.targetVersion,
      drainDeadlineMs: DRAIN_DEADLINE_MS,
    });
    recap = r.recap;
  });
  return { ...run, recap };
}
