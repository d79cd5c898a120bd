/** Section 5 of docs/benchmarks.md: ours and the runbook's playbook side by side, each figure beside its goal. */
import type { PeerBedResult } from './peer-bed.js';
import type { PeerRun } from './measured-run.js';

export interface PeerGoals {
  /** Per instance: ours out of traffic below the playbook's. */
  perInstance: { instance: string; oursMs: number; playbookMs: number; met: boolean }[];
  /** Our wall time over the playbook's (goal ≤ 1.2). */
  wallRatio: number;
  wallMet: boolean;
  oursPendingLeft: number;
  playbookPendingLeft: number;
  /** Our rollout left no pending pairing request. */
  pendingMet: boolean;
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function peerGoals(p: PeerBedResult): PeerGoals {
  const perInstance = p.ours.outOfTraffic.map((o) => {
    const theirs = p.playbook.outOfTraffic.find((x) => x.instance === o.instance);
    const playbookMs = theirs?.ms ?? Number.NaN;
    return { instance: o.instance, oursMs: o.ms, playbookMs, met: o.ms < playbookMs };
  });
  const wallRatio = p.ours.wallMs / p.playbook.wallMs;
  const oursPendingLeft = total(p.ours.pendingLeft);
  return {
    perInstance,
    wallRatio,
    wallMet: wallRatio <= 1.2,
    oursPendingLeft,
    playbookPendingLeft: total(p.playbook.pendingLeft),
    pendingMet: oursPendingLeft === 0,
  };
}

const sec = (v: number) => (Number.isNaN(v) ? '–' : `${(v / 1000).toFixed(1)} s`);
const met = (ok: boolean) => (ok ? 'met' : '**missed**');
/** "1 (gw-2: 1)": the total and where they are. */
const where = (r: PeerRun['pendingLeft']) => {
  const at = Object.entries(r).filter(([, n]) => n > 0);
  return `${total(r)}${at.length ? ` (${at.map(([id, n]) => `${id}: ${n}`).join(', ')})` : ''}`;
};

export function peerMarkdown(p: PeerBedResult, measuredAt?: string): string[] {
  const g = peerGoals(p);
  const devices = (id: string) => p.instances.find((i) => i.id === id)?.devices.join(', ') || 'no devices';
  return [
    `## 5. A peer on the same bed: the runbook as an Ansible playbook (${p.instances.length} gateways, ${p.fromVersion} → ${p.targetVersion}, 1 run each${measuredAt ? `; measured ${measuredAt} with \`--only-peer\`` : ''})`,
    '',
    `One bed, its clients held through HAProxy (the node host, and op-1 reconnecting like a real client). First our rollout (real workflows and activities, staged install, approvals sent automatically as soon as an instance waits; policy drain deadline ${sec(p.drainDeadlineMs)}, mismatch window ${sec(p.mismatchWindowMs)}). Then every gateway is put back on ${p.fromVersion} with its state and config from before (so the same pairings), and \`ansible-playbook\` runs bench/ansible/cluster-update.yml, written from the runbook: \`serial: 1\`; drain through HAProxy's runtime socket (socat) and wait up to ${sec(p.drainDeadlineMs)} for 0 sessions; \`npm i -g openclaw@${p.targetVersion}\` into the gateway's prefix; \`openclaw doctor\` with the gateway stopped (it refuses to migrate the state of a running gateway); \`supervisorctl start\` and wait for \`/readyz\`; \`gateway status\` and \`channels status --probe\`; \`devices rotate\` per paired device and the client's reconnect; back to ready. Its inventory is generated from ours (bench/ansible-inventory.ts). The playbook runs second, with npm's cache warm from our staging.`,
    '',
    `Out of traffic is HAProxy's view, sampled every ${p.samplerIntervalMs} ms: from the first sample showing the server not UP (drained, stopped, failing its check) to the first showing it UP again; ours includes the automatic approval wait. Pending pairing requests: those on any gateway ${sec(p.settleMs)} after the run that were not there before it.`,
    '',
    "| instance (devices) | out of traffic: ours | playbook | goal: ours below the playbook's |",
    '|---|---|---|---|',
    ...g.perInstance.map(
      (i) => `| ${i.instance} (${devices(i.instance)}) | ${sec(i.oursMs)} | ${sec(i.playbookMs)} | ${met(i.met)} |`,
    ),
    '',
    '| whole rollout | ours | playbook | goal |',
    '|---|---|---|---|',
    `| wall time (start to end; ours: start to report, approvals automatic; playbook: \`ansible-playbook\` start-up included) | ${sec(p.ours.wallMs)} | ${sec(p.playbook.wallMs)} | ours ≤ 1.2 × playbook's: ${g.wallRatio.toFixed(2)}× ${met(g.wallMet)} |`,
    `| pending pairing requests left | ${where(p.ours.pendingLeft)} | ${where(p.playbook.pendingLeft)} | ours 0: ${met(g.pendingMet)} |`,
    '',
  ];
}
