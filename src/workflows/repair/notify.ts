/**
 * An emergency repair waiting for a human tells the inventory's notification targets (when it has
 * any; patched: see lib/notify.ts). Failed sends are recorded in the repair's progress.
 */
import { workflowInfo } from '@temporalio/workflow';
import { notifierFor } from '../lib/notify.js';
import { repairWaitingNotice } from '../lib/notices.js';
import type { PairingRequest } from './wait-for-request.js';
import type { RepairRun } from './run.js';

export function notifyRepairWaiting(r: RepairRun, req: PairingRequest): void {
  const { input, progress } = r;
  const info = workflowInfo();
  const notifier = notifierFor(
    input.notifications,
    info.taskQueue,
    () => (progress.notificationFailures ??= []),
    r.now,
  );
  notifier?.post(
    repairWaitingNotice({
      cluster: input.cluster,
      workflowId: info.workflowId,
      namespace: info.namespace,
      uiUrl: input.uiUrl,
      instance: r.instance.id,
      label: r.label,
      deviceId: r.device.deviceId,
      requestId: req.requestId,
      reason: input.reason,
      operatorCommand: input.operatorCommand,
      now: r.now(),
    }),
  );
}
