/**
 * `emergencyRepair`: the runbook's "Emergency repair path" for one device on one instance, when
 * rotation did not bring its client back:
 *   revoke the device's role → confirm with `devices list` that it is gone → run the device's reconnect
 *   hook (a client that reconnects with the gateway's shared auth then asks to pair again, reason
 *   `role-upgrade`) → wait for that new pairing request (polling with backoff up to
 *   policy.repairDeadline; the Web UI's current details say what to do on the client side) → a human
 *   approves it (signal `approveRepair` or Update `approveRepairUpdate`, through the same approval gate
 *   as every human decision: allowed approvers, four-eyes against whoever started the repair), or the
 *   inventory says `repair.autoApprove` → `devices approve <requestId>` → hook again (a node host waits
 *   after "pairing required" until restarted) → verify: paired with the inventory's role and scopes,
 *   connected, no refused connect correlating with its client over policy.mismatchWindow.
 *
 * Started by instanceRollout for each rotated device still failing after rejoin (id
 * `<instance workflow id>/repair/<deviceId>`, parent close policy ABANDON), or by hand with the
 * starter's `repair` (id `repair-<cluster>/<instance>/<deviceId>`). Deterministic orchestration only.
 */
import { isCancellation, log, sleep } from '@temporalio/workflow';
import { recordMismatchRefusals, recordRepair } from './lib/metrics.js';
import { cliLine } from '../shared/operator-command.js';
import { notifyRepairWaiting } from './repair/notify.js';
import { RepairRun } from './repair/run.js';
import type { EmergencyRepairInput, EmergencyRepairResult } from './repair/types.js';
import { waitForPairingRequest, type PairingRequest } from './repair/wait-for-request.js';

export type { EmergencyRepairInput, EmergencyRepairResult };

export async function emergencyRepair(input: EmergencyRepairInput): Promise<EmergencyRepairResult> {
  const place = { cluster: input.cluster, instance: input.instance.id };
  try {
    const result = await repair(input);
    recordRepair(place, result.outcome);
    return result;
  } catch (err) {
    if (!isCancellation(err)) recordRepair(place, 'failed');
    throw err;
  }
}

/** Revoke → new pairing request → approval → approve → verify (see the top of this file). */
async function repair(input: EmergencyRepairInput): Promise<EmergencyRepairResult> {
  const r = new RepairRun(input);
  const { device, instance, progress } = r;

  // 1. Revoke the role, and confirm with `devices list` that its token is gone.
  r.setPhase('Revoking');
  const revoked = await r.step(
    'revoke',
    `revoke ${device.role} of ${r.short}`,
    () => r.quick.revokeDeviceRole(r.target, device.deviceId, device.role),
    (x) => `revoked at ${new Date(x.revokedAtMs).toISOString()}`,
  );
  progress.revokedAtMs = revoked.revokedAtMs;
  await r.step(
    'confirm-revoked',
    'confirm with devices list',
    async () => {
      const x = await r.quick.confirmRoleRevoked(r.target, device.deviceId, device.role);
      if (!x.revoked)
        r.fail(
          `after \`openclaw devices revoke\` ${instance.id} still lists a live ${device.role} token for ${device.deviceId}; check it with \`openclaw devices list\`.`,
        );
      return x;
    },
    () => `no live ${device.role} token`,
  );

  // 2. Make the client reconnect, then wait for its new pairing request.
  await r.runHook('after revoke');
  const req = await waitForPairingRequest(r, revoked.revokedAtMs);
  progress.request = req;

  // 3. Approval: a human (through the approval gate), or the inventory's repair.autoApprove for this device.
  const approver = await approval(r, req);
  if (!approver) return { ...progress, outcome: 'rejected' };

  // 4. Approve, make the client reconnect, verify.
  await approveAndVerify(r, req, approver);
  r.setPhase(
    'Repaired',
    `${r.label} is paired again (request ${req.requestId}, approved by ${approver}) and connected.`,
  );
  log.info('device repaired', { instance: instance.id, deviceId: device.deviceId, requestId: req.requestId });
  return { ...progress, outcome: 'repaired' };
}

/** Who approved the request, or undefined when a human rejected it (the device stays revoked). */
async function approval(r: RepairRun, req: PairingRequest): Promise<string | undefined> {
  const { device, instance, policy, progress, input } = r;
  if (device.repair?.autoApprove) {
    const approver = 'inventory (repair.autoApprove)';
    progress.decision = { instance: instance.id, approver, kind: 'auto', at: r.now() };
    return approver;
  }
  const fourEyes =
    input.startedBy && r.rulesApply && policy.approvals?.fourEyes !== false
      ? ` Four-eyes: not ${input.startedBy}, who started it.`
      : '';
  const ask = () =>
    r.setPhase(
      'AwaitingApproval',
      `**${r.label} asks to pair again:** request \`${req.requestId}\`, role ${device.role}, scopes ${req.scopes.join(', ') || 'none'}.\n\n` +
        `**Approve:** Send a Signal \`approveRepair\` with \`{"instance": "${instance.id}", "approver": "<you>", "comment": "..."}\`, or ` +
        `\`${cliLine(input.operatorCommand, `approve-repair --instance ${instance.id} --device ${device.deviceId} --approver <you>`)}\`. Reject with \`rejectRepair\` (same payload).` +
        fourEyes +
        (progress.approvalTimeouts
          ? `\n\n_Asked ${progress.approvalTimeouts + 1} times: no decision within ${policy.approvalTimeout / 60_000} min._`
          : ''),
    );
  notifyRepairWaiting(r, req);
  const decision = await r.gate.wait(policy.approvalTimeout, ask, () => {
    progress.approvalTimeouts++;
    log.warn('repair approval timed out; asking again', {
      instance: instance.id,
      deviceId: device.deviceId,
      times: progress.approvalTimeouts,
    });
  });
  progress.decision = { ...decision, at: r.now() };
  if (decision.kind === 'approve') return decision.approver;
  r.setPhase(
    'Rejected',
    `Rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}. The device stays revoked on ${instance.id}; request ${req.requestId} stays pending.`,
  );
  return undefined;
}

/** `devices approve`, the hook again, the device back with its role and scopes, no correlated refusal. */
async function approveAndVerify(r: RepairRun, req: PairingRequest, approver: string): Promise<void> {
  const { device, policy } = r;
  r.setPhase('Approving');
  await r.step(
    'approve-request',
    `approve request ${req.requestId}`,
    () => r.quick.approvePairingRequest(r.target, req.requestId),
    () => `approved by ${approver}`,
  );
  const approvedAt = Date.now();
  r.setPhase('Verifying');
  await r.runHook('after approval');
  await r.step(
    'device-back',
    `${r.short} connected again`,
    async () => {
      const b = await r.deviceWait.waitForDeviceBack(r.target, device, approvedAt);
      if (!b.back)
        r.fail(
          `${r.label} was approved but did not connect with a new ${device.role} token within ${policy.reconnectDeadline / 1000} s; reconnect its client with the gateway's shared auth.`,
        );
      return b;
    },
    (b) => `back after ${Math.round(b.waitedMs / 1000)} s`,
  );
  const windowStart = Date.now();
  await sleep(policy.mismatchWindow);
  await r.step(
    'verify-role-scopes',
    'verify role, scopes and no mismatch',
    async () => {
      const c = await r.quick.checkDeviceRepaired(r.target, device, windowStart);
      recordMismatchRefusals(
        { cluster: r.input.cluster, instance: r.instance.id },
        'repair-verify',
        c.refusalsCorrelated,
      );
      if (c.problems.length)
        r.fail(
          `${r.label} after the repair: ${c.problems.join('; ')}${c.samples.length ? ` (${c.samples.join(' | ')})` : ''}`,
        );
      return c;
    },
    (c) =>
      `role ${device.role}, scopes ${c.scopes.join(', ') || 'none'}, connected, 0 correlated refusals over ${policy.mismatchWindow / 1000} s`,
  );
}
