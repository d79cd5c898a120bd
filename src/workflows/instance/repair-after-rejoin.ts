/**
 * The instance rollout's verification after rejoin, with emergency repairs (behind
 * `patched('emergency-repair')` in rejoin.ts): rotated devices must reconnect, and the log
 * must show no refused connect over policy.mismatchWindow. A rotated device that is still failing (not
 * back, or refused connects correlating with its client and no other paired device's) gets an `emergencyRepair` child with id
 * `<instance workflow id>/repair/<deviceId>` and parent close policy ABANDON (a repair in progress
 * finishes even if the rollout is cancelled); the instance waits for them and fails if one fails.
 * Refusals that correlate with no rotated device still fail the check, as before.
 */
import { ParentClosePolicy, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import { repairWorkflowId } from '../../shared/ids.js';
import type { Device } from '../../shared/inventory.js';
import { cliLine } from '../../shared/operator-command.js';
import { emergencyRepair, type EmergencyRepairResult } from '../emergency-repair.js';
import { checkFailed, type InstanceRun } from './run.js';
import { recordMismatchRefusals } from '../lib/metrics.js';

/** Rotated devices back, then no refused connect over the window; repairs for the devices still failing. */
export async function verifyAfterRejoinWithRepairs(r: InstanceRun): Promise<EmergencyRepairResult[]> {
  const failing = await devicesNotBack(r);
  // Judged over a window that starts once the rotated clients are back (see rejoin.ts).
  const windowStart = Date.now();
  await sleep(r.policy.mismatchWindow);
  const refusals = await refusalsAfterRejoin(r, windowStart);
  for (const [deviceId, n] of Object.entries(refusals.perDevice)) {
    if (n && !failing.has(deviceId))
      failing.set(deviceId, `${n} refused connects correlating with its client after rejoin`);
  }
  return Promise.all([...failing].map(([deviceId, why]) => repairDevice(r, deviceId, why)));
}

/** Each rotated device must connect again within policy.reconnectDeadline: the ones that did not, and why. */
async function devicesNotBack(r: InstanceRun): Promise<Map<string, string>> {
  const { policy } = r;
  const failing = new Map<string, string>();
  for (const rot of r.rotations) {
    const b = await r.step(
      'device-back',
      `device ${rot.deviceId.slice(0, 12)} connected again`,
      () => r.deviceWait.waitForDeviceBack(r.target, rot, rot.rotatedAtMs),
      (x) =>
        x.back
          ? `back after ${Math.round(x.waitedMs / 1000)} s`
          : `NOT back within ${policy.reconnectDeadline / 1000} s: emergency repair`,
    );
    if (!b.back)
      failing.set(rot.deviceId, `did not reconnect within ${policy.reconnectDeadline / 1000} s after its rotation`);
  }
  return failing;
}

/** Healthy, channels ok, and every refused connect since `windowStart` attributed to one rotated device. */
function refusalsAfterRejoin(r: InstanceRun, windowStart: number) {
  const { instance, policy, target } = r;
  return r.step(
    'verify-after-rejoin',
    'verify after rejoin',
    async () => {
      const [status, channels, byDevice] = await Promise.all([
        r.quick.gatewayStatus(target),
        r.quick.probeChannels(target),
        r.quick.refusalsByDevice(
          target,
          r.rotations.map((x) => x.deviceId),
          windowStart,
        ),
      ]);
      recordMismatchRefusals(r.place, 'verify-after-rejoin', byDevice.total, true);
      const problems = [
        ...(status.healthy ? [] : ['gateway not healthy']),
        ...(channels.healthy ? [] : ['channels probe not healthy']),
        ...(byDevice.unattributed
          ? [
              `${byDevice.unattributed} refused connects (token or scope mismatch) after rejoin from clients of no rotated device: ${byDevice.samples.join(' | ')}`,
            ]
          : []),
        // Never revoke on evidence another paired device could have produced: ask the operator instead.
        ...(byDevice.ambiguous
          ? [
              `${byDevice.ambiguous} refused connects after rejoin from a client that a rotated device shares with other paired devices (same client and platform), so no automatic repair: find out which device it is with \`${cliLine(r.input.operatorCommand, 'diagnose --inventory <file> --device <id>')}\`, then repair it with \`${cliLine(r.input.operatorCommand, `repair --inventory <file> --instance ${instance.id} --device <id>`)}\`: ${byDevice.samples.join(' | ')}`,
            ]
          : []),
      ];
      if (problems.length) throw checkFailed(problems.join('; '));
      return byDevice;
    },
    (x) =>
      `healthy, channels ok, ${x.total} refused connects over ${policy.mismatchWindow / 1000} s${x.total ? ' (each attributed to the one rotated device whose client it matches)' : ''}`,
  );
}

/** An emergencyRepair child for one device (ABANDON: it finishes even if the rollout is cancelled), awaited. */
async function repairDevice(r: InstanceRun, deviceId: string, why: string): Promise<EmergencyRepairResult> {
  const { instance, policy, input } = r;
  const instanceWorkflowId = workflowInfo().workflowId;
  const device = instance.devices.find((d) => d.deviceId === deviceId) as Device;
  const id = repairWorkflowId({ instanceWorkflowId }, instance.id, deviceId);
  const child = await r.step(
    'start-repair',
    `start emergency repair of ${deviceId.slice(0, 12)}`,
    () =>
      startChild(emergencyRepair, {
        workflowId: id,
        taskQueue: input.taskQueue,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [
          {
            cluster: input.cluster,
            instance,
            device,
            policy,
            taskQueue: input.taskQueue,
            reason: `rollout ${instanceWorkflowId}: ${why}`,
            ...(input.startedBy ? { startedBy: input.startedBy } : {}),
            ...(input.notifications ? { notifications: input.notifications, uiUrl: input.uiUrl } : {}),
            ...(input.operatorCommand ? { operatorCommand: input.operatorCommand } : {}),
          },
        ],
      }),
    () => `${id}: ${why}`,
  );
  return r.step(
    'repair',
    `emergency repair of ${deviceId.slice(0, 12)}`,
    async () => {
      const res = await child.result();
      if (res.outcome !== 'repaired')
        throw checkFailed(
          `emergency repair ${id} ended ${res.outcome}${res.decision ? ` by ${res.decision.approver}` : ''}: the device stays revoked on ${instance.id}`,
        );
      return res;
    },
    (res) => `repaired (request ${res.request?.requestId}, approved by ${res.decision?.approver})`,
  );
}
