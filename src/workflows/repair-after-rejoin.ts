/**
 * The instance rollout's verification after rejoin, with emergency repairs (behind
 * `patched('emergency-repair')` in instance-rollout.ts): rotated devices must reconnect, and the log
 * must show no refused connect over policy.mismatchWindow. A rotated device that is still failing (not
 * back, or refused connects correlating with its client and no other paired device's) gets an `emergencyRepair` child with id
 * `<instance workflow id>/repair/<deviceId>` and parent close policy ABANDON (a repair in progress
 * finishes even if the rollout is cancelled); the instance waits for them and fails if one fails.
 * Refusals that correlate with no rotated device still fail the check, as before.
 */
import { ApplicationFailure, ParentClosePolicy, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import type { Device, Instance, Policy } from '../shared/inventory.js';
import type { longActivities, quickActivities } from './activity-options.js';
import { emergencyRepair, type EmergencyRepairResult } from './emergency-repair.js';
import { repairWorkflowId } from '../shared/ids.js';

type Step = <T>(name: string, run: () => Promise<T>, detail?: (r: T) => string) => Promise<T>;

export interface RepairAfterRejoinContext {
  cluster: string;
  instance: Instance;
  policy: Policy;
  taskQueue: string;
  rotations: { deviceId: string; role: 'operator' | 'node'; rotatedAtMs: number }[];
  step: Step;
  /** The rollout's starter: under four-eyes, not the approver of the repairs it leads to. */
  startedBy?: string;
  quick: ReturnType<typeof quickActivities>;
  deviceWait: ReturnType<typeof longActivities>;
}

const checkFailed = (message: string) => ApplicationFailure.nonRetryable(message, 'CheckFailedError');

export async function verifyAfterRejoinWithRepairs(ctx: RepairAfterRejoinContext): Promise<EmergencyRepairResult[]> {
  const { instance, policy, rotations, step, quick, deviceWait } = ctx;
  const target = { instance, policy };
  const failing = new Map<string, string>();
  for (const r of rotations) {
    const b = await step(`device ${r.deviceId.slice(0, 12)} connected again`, () => deviceWait.waitForDeviceBack(target, r, r.rotatedAtMs), (x) =>
      x.back ? `back after ${Math.round(x.waitedMs / 1000)} s` : `NOT back within ${policy.reconnectDeadline / 1000} s: emergency repair`,
    );
    if (!b.back) failing.set(r.deviceId, `did not reconnect within ${policy.reconnectDeadline / 1000} s after its rotation`);
  }
  // Judged over a window that starts once the rotated clients are back (see instance-rollout.ts).
  const windowStart = Date.now();
  await sleep(policy.mismatchWindow);
  const refusals = await step('verify after rejoin', async () => {
    const [status, channels, byDevice] = await Promise.all([
      quick.gatewayStatus(target),
      quick.probeChannels(target),
      quick.refusalsByDevice(target, rotations.map((r) => r.deviceId), windowStart),
    ]);
    const problems = [
      ...(status.healthy ? [] : ['gateway not healthy']),
      ...(channels.healthy ? [] : ['channels probe not healthy']),
      ...(byDevice.unattributed ? [`${byDevice.unattributed} refused connects (token or scope mismatch) after rejoin from clients of no rotated device: ${byDevice.samples.join(' | ')}`] : []),
      // Never revoke on evidence another paired device could have produced: ask the operator instead.
      ...(byDevice.ambiguous
        ? [`${byDevice.ambiguous} refused connects after rejoin from a client that a rotated device shares with other paired devices (same client and platform), so no automatic repair: find out which device it is with \`npm run starter -- diagnose --inventory <file> --device <id>\`, then repair it with \`npm run starter -- repair --inventory <file> --instance ${instance.id} --device <id>\`: ${byDevice.samples.join(' | ')}`]
        : []),
    ];
    if (problems.length) throw checkFailed(problems.join('; '));
    return byDevice;
  }, (r) => `healthy, channels ok, ${r.total} refused connects over ${policy.mismatchWindow / 1000} s${r.total ? ' (each attributed to the one rotated device whose client it matches)' : ''}`);
  for (const [deviceId, n] of Object.entries(refusals.perDevice)) {
    if (n && !failing.has(deviceId)) failing.set(deviceId, `${n} refused connects correlating with its client after rejoin`);
  }
  if (!failing.size) return [];

  const instanceWorkflowId = workflowInfo().workflowId;
  return Promise.all(
    [...failing].map(async ([deviceId, why]) => {
      const device = instance.devices.find((d) => d.deviceId === deviceId) as Device;
      const id = repairWorkflowId({ instanceWorkflowId }, instance.id, deviceId);
      const child = await step(`start emergency repair of ${deviceId.slice(0, 12)}`, () =>
        startChild(emergencyRepair, {
          workflowId: id,
          taskQueue: ctx.taskQueue,
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ cluster: ctx.cluster, instance, device, policy, taskQueue: ctx.taskQueue, reason: `rollout ${instanceWorkflowId}: ${why}`, ...(ctx.startedBy ? { startedBy: ctx.startedBy } : {}) }],
        }), () => `${id}: ${why}`);
      return step(`emergency repair of ${deviceId.slice(0, 12)}`, async () => {
        const r = await child.result();
        if (r.outcome !== 'repaired') throw checkFailed(`emergency repair ${id} ended ${r.outcome}${r.decision ? ` by ${r.decision.approver}` : ''}: the device stays revoked on ${instance.id}`);
        return r;
      }, (r) => `repaired (request ${r.request?.requestId}, approved by ${r.decision?.approver})`);
    }),
  );
}
