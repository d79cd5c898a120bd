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
import { ApplicationFailure, log, patched, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Device, Instance, Policy } from '../shared/inventory.js';
import { instanceQueue } from '../shared/task-queues.js';
import { longActivities, quickActivities } from './activity-options.js';
import { checkDecision, type DecisionReceipt, type RejoinDecision } from '../shared/messages/rollout.js';
import { ApprovalGate } from './lib/approval-gate.js';
import { StepRecorder } from './lib/step-recorder.js';
import {
  APPROVE_REPAIR_DESCRIPTION,
  APPROVE_REPAIR_UPDATE_DESCRIPTION,
  REJECT_REPAIR_DESCRIPTION,
  REJECT_REPAIR_UPDATE_DESCRIPTION,
  approveRepair,
  approveRepairUpdate,
  rejectRepair,
  rejectRepairUpdate,
  repairProgressQuery,
  type RepairPhase,
  type RepairProgress,
} from '../shared/messages/repair.js';

export interface EmergencyRepairInput {
  cluster: string;
  instance: Instance;
  device: Device;
  policy: Policy;
  /** The central task queue; the instance's commands go to its host's queue. */
  taskQueue: string;
  /** Why the repair runs (shown in the UI and the report). */
  reason: string;
  /** Who started it: `repair --by`, or the rollout's starter for a repair a rollout started (four-eyes). */
  startedBy?: string;
}

export interface EmergencyRepairResult extends RepairProgress {
  outcome: 'repaired' | 'rejected';
}

/** A repair that cannot finish: the workflow fails with this plain-words message (no retry). */
const repairFailed = (message: string, progress: RepairProgress) => ApplicationFailure.nonRetryable(message, 'RepairFailedError', progress);

export async function emergencyRepair(input: EmergencyRepairInput): Promise<EmergencyRepairResult> {
  const { instance, device, policy } = input;
  const hostQueue = instanceQueue(input.taskQueue, instance);
  const quick = quickActivities(policy, hostQueue);
  const deviceWait = longActivities(policy, hostQueue, policy.reconnectDeadline + 60_000);
  const target = { instance, policy };
  const short = device.deviceId.slice(0, 12);
  const label = `${device.name ?? short} (${device.role}) on ${instance.id}`;
  const now = () => new Date().toISOString();
  const workflowId = workflowInfo().workflowId;

  const progress: RepairProgress = {
    instance: instance.id,
    deviceId: device.deviceId,
    role: device.role,
    reason: input.reason,
    ...(input.startedBy ? { startedBy: input.startedBy } : {}),
    phase: 'Revoking',
    steps: [],
    ignored: [],
    approvalTimeouts: 0,
  };
  // The approval rules apply to repairs (patched: histories from before them replay as they ran).
  const rulesApply = patched('repair-approval-gate-v1');
  const gate = new ApprovalGate<RejoinDecision & { kind: 'approve' | 'reject' }, 'approve' | 'reject'>({
    ignored: progress.ignored,
    now,
    rules: rulesApply ? policy.approvals : { approvers: [], fourEyes: false },
    startedBy: input.startedBy,
    subject: workflowInfo().parent ? 'the rollout that started this repair' : 'this repair',
    parse: (raw, kind) => {
      const checked = checkDecision(raw);
      return checked.ok ? { ok: true, value: { ...checked.value, kind } } : checked;
    },
    misaddressed: (d) => (d.instance !== instance.id ? `this workflow repairs ${short}… on ${instance.id}, not on ${d.instance}` : undefined),
    notWaiting: () => (progress.phase !== 'AwaitingApproval' ? `the repair is not waiting for approval (phase ${progress.phase})` : undefined),
    who: (d) => ({ name: d.approver, kind: d.kind }),
  });
  const onSignal = (kind: 'approve' | 'reject') => (raw: RejoinDecision) => {
    const refused = gate.offer(kind === 'approve' ? 'approveRepair' : 'rejectRepair', kind, raw);
    if (refused) log.warn('repair decision refused', { instance: instance.id, deviceId: device.deviceId, reason: refused });
  };
  const onUpdate = (kind: 'approve' | 'reject') => (raw: RejoinDecision): DecisionReceipt => {
    const d = gate.accept(kind, raw);
    return { instance: d.instance, kind, approver: d.approver, deliveredTo: workflowId };
  };
  setHandler(approveRepair, onSignal('approve'), { description: APPROVE_REPAIR_DESCRIPTION });
  setHandler(rejectRepair, onSignal('reject'), { description: REJECT_REPAIR_DESCRIPTION });
  setHandler(approveRepairUpdate, onUpdate('approve'), { validator: (raw: RejoinDecision) => gate.validate('approve', raw), description: APPROVE_REPAIR_UPDATE_DESCRIPTION });
  setHandler(rejectRepairUpdate, onUpdate('reject'), { validator: (raw: RejoinDecision) => gate.validate('reject', raw), description: REJECT_REPAIR_UPDATE_DESCRIPTION });
  setHandler(repairProgressQuery, () => progress, { description: 'Phase, steps, pairing request and decision of this emergency repair.' });

  const recorder = new StepRecorder(progress.steps, now);
  const setPhase = (phase: RepairPhase, details?: string) => {
    progress.phase = phase;
    setCurrentDetails(`## Emergency repair of ${label}: ${phase}\n\nWhy: ${input.reason}\n\n${details ? `${details}\n\n` : ''}${recorder.text()}`);
  };
  async function step<T>(name: string, run: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    let message = '';
    try {
      return await recorder.run(name, run, detail, (err) => (message = (err as Error).message));
    } catch (err) {
      setPhase('Failed', `Failed at "${name}": ${message}`);
      throw err;
    }
  }
  const fail = (message: string): never => {
    setPhase('Failed', message);
    throw repairFailed(message, progress);
  };
  const runHook = async (when: string) => {
    if (device.reconnectHook) await step(`reconnect hook ${when}`, () => quick.runReconnectHook(target, device), (h) => `${h.command}`);
  };

  // 1. Revoke the role, and confirm with `devices list` that its token is gone.
  setPhase('Revoking');
  const revoked = await step(`revoke ${device.role} of ${short}`, () => quick.revokeDeviceRole(target, device.deviceId, device.role), (r) => `revoked at ${new Date(r.revokedAtMs).toISOString()}`);
  progress.revokedAtMs = revoked.revokedAtMs;
  await step('confirm with devices list', async () => {
    const r = await quick.confirmRoleRevoked(target, device.deviceId, device.role);
    if (!r.revoked) fail(`after \`openclaw devices revoke\` ${instance.id} still lists a live ${device.role} token for ${device.deviceId}; check it with \`openclaw devices list\`.`);
    return r;
  }, () => `no live ${device.role} token`);

  // 2. Make the client reconnect, then wait for its new pairing request.
  await runHook('after revoke');
  const clientSide = device.reconnectHook
    ? `Its reconnect hook ran (\`${device.reconnectHook.join(' ')}\`); the client should now reconnect with the gateway's shared auth and ask to pair again.`
    : `**On the client side:** this device has no reconnect hook. Reconnect its client to ${instance.id} **with the gateway's shared auth** (gateway token or password, not the old device token), ` +
      `e.g. restart it after configuring \`OPENCLAW_GATEWAY_TOKEN\`. Its connect is refused with "pairing required" and creates the request this repair approves.`;
  const deadlineAt = Date.now() + policy.repairDeadline;
  let waitMs = 2000;
  let request: { requestId: string; scopes: string[] } | undefined;
  let polls = 0;
  let others: string[] = [];
  await step('wait for a new pairing request', async () => {
    for (;;) {
      const found = await quick.pairingRequestsSince(target, device, revoked.revokedAtMs);
      polls++;
      others = found.other.map((o) => `${o.requestId}: ${o.why}`);
      if (found.matching[0]) {
        request = { requestId: found.matching[0].requestId, scopes: found.matching[0].scopes };
        return request;
      }
      const left = deadlineAt - Date.now();
      if (left <= 0) {
        fail(
          `${label} sent no new pairing request within ${policy.repairDeadline / 1000} s after its ${device.role} role was revoked (${polls} checks of \`openclaw devices list\`). ` +
            `The device is revoked on ${instance.id} and cannot connect until it pairs again: reconnect its client with the gateway's shared auth, then approve its request ` +
            `(\`openclaw devices approve <requestId>\`), or start the repair again (\`npm run starter -- repair --instance ${instance.id} --device ${device.deviceId} --role ${device.role}\`).` +
            (others.length ? ` Pending requests of this device that do not qualify: ${others.join('; ')}.` : '') +
            ` ${instance.id} keeps serving its other clients.`,
        );
      }
      setPhase(
        'WaitingForPairingRequest',
        `${clientSide}\n\nWaiting for the device's new pairing request: check ${polls}, next in ${Math.round(Math.min(waitMs, left) / 1000)} s, ` +
          `gives up at ${new Date(deadlineAt).toISOString()}.${others.length ? `\n\nNot approving: ${others.join('; ')}` : ''}`,
      );
      await sleep(Math.min(waitMs, left));
      waitMs = Math.min(waitMs * 2, 30_000);
    }
  }, (r) => `request ${r.requestId} (${r.scopes.join(', ') || 'no scopes'}) after ${polls} checks`);
  const req = request!;
  progress.request = req;

  // 3. Approval: a human (signal), or the inventory's repair.autoApprove for this device.
  let approver: string;
  if (device.repair?.autoApprove) {
    approver = 'inventory (repair.autoApprove)';
    progress.decision = { instance: instance.id, approver, kind: 'auto', at: now() };
  } else {
    const decision = await gate.wait(
      policy.approvalTimeout,
      () =>
        setPhase(
          'AwaitingApproval',
          `**${label} asks to pair again:** request \`${req.requestId}\`, role ${device.role}, scopes ${req.scopes.join(', ') || 'none'}.\n\n` +
            `**Approve:** Send a Signal \`approveRepair\` with \`{"instance": "${instance.id}", "approver": "<you>", "comment": "..."}\`, or ` +
            `\`npm run starter -- approve-repair --instance ${instance.id} --device ${device.deviceId} --approver <you>\`. Reject with \`rejectRepair\` (same payload).` +
            (input.startedBy && rulesApply && policy.approvals?.fourEyes !== false ? ` Four-eyes: not ${input.startedBy}, who started it.` : '') +
            (progress.approvalTimeouts ? `\n\n_Asked ${progress.approvalTimeouts + 1} times: no decision within ${policy.approvalTimeout / 60_000} min._` : ''),
        ),
      () => {
        progress.approvalTimeouts++;
        log.warn('repair approval timed out; asking again', { instance: instance.id, deviceId: device.deviceId, times: progress.approvalTimeouts });
      },
    );
    progress.decision = { ...decision, at: now() };
    if (decision.kind === 'reject') {
      setPhase('Rejected', `Rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}. The device stays revoked on ${instance.id}; request ${req.requestId} stays pending.`);
      return { ...progress, outcome: 'rejected' };
    }
    approver = decision.approver;
  }

  // 4. Approve, make the client reconnect, verify.
  setPhase('Approving');
  await step(`approve request ${req.requestId}`, () => quick.approvePairingRequest(target, req.requestId), () => `approved by ${approver}`);
  const approvedAt = Date.now();
  setPhase('Verifying');
  await runHook('after approval');
  await step(`${short} connected again`, async () => {
    const b = await deviceWait.waitForDeviceBack(target, device, approvedAt);
    if (!b.back) fail(`${label} was approved but did not connect with a new ${device.role} token within ${policy.reconnectDeadline / 1000} s; reconnect its client with the gateway's shared auth.`);
    return b;
  }, (b) => `back after ${Math.round(b.waitedMs / 1000)} s`);
  const windowStart = Date.now();
  await sleep(policy.mismatchWindow);
  await step('verify role, scopes and no mismatch', async () => {
    const c = await quick.checkDeviceRepaired(target, device, windowStart);
    if (c.problems.length) fail(`${label} after the repair: ${c.problems.join('; ')}${c.samples.length ? ` (${c.samples.join(' | ')})` : ''}`);
    return c;
  }, (c) => `role ${device.role}, scopes ${c.scopes.join(', ') || 'none'}, connected, 0 correlated refusals over ${policy.mismatchWindow / 1000} s`);
  setPhase('Repaired', `${label} is paired again (request ${req.requestId}, approved by ${approver}) and connected.`);
  log.info('device repaired', { instance: instance.id, deviceId: device.deviceId, requestId: req.requestId });
  return { ...progress, outcome: 'repaired' };
}
