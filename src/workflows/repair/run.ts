/**
 * One emergency repair's working context: its activities, progress, the approval gate with its signal,
 * Update and query handlers, and the recorded steps. The runbook's parts (emergency-repair.ts and
 * wait-for-request.ts) are functions of it.
 */
import { isCancellation, log, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import { workflowFailure, WorkflowFailureType } from '../../shared/errors.js';
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
} from '../../shared/messages/repair.js';
import { checkDecision, type DecisionReceipt, type RejoinDecision } from '../../shared/messages/rollout.js';
import type { StepId } from '../../shared/steps.js';
import { hostActivities, longHostActivities } from '../activity-options.js';
import { ApprovalGate } from '../lib/approval-gate.js';
import { StepRecorder } from '../lib/step-recorder.js';
import { recordApprovalWait, recordStepFailed } from '../lib/metrics.js';
import type { EmergencyRepairInput } from './types.js';

type RepairGate = ApprovalGate<RejoinDecision & { kind: 'approve' | 'reject' }, 'approve' | 'reject'>;

export class RepairRun {
  readonly instance;
  readonly device;
  readonly policy;
  readonly quick;
  readonly deviceWait;
  readonly target;
  /** The device's first 12 characters, and how the UI names it ("name (role) on instance"). */
  readonly short: string;
  readonly label: string;
  readonly progress: RepairProgress;
  /** The approval rules apply to repairs (patched: histories from before them replay as they ran). */
  readonly rulesApply: boolean;
  readonly gate: RepairGate;
  private readonly recorder: StepRecorder;
  readonly now = () => new Date().toISOString();

  constructor(readonly input: EmergencyRepairInput) {
    const { instance, device, policy } = input;
    this.instance = instance;
    this.device = device;
    this.policy = policy;
    const host = { baseQueue: input.taskQueue, instance };
    this.quick = hostActivities(policy, host);
    this.deviceWait = longHostActivities(policy, host, policy.reconnectDeadline + 60_000);
    this.target = { instance, policy };
    this.short = device.deviceId.slice(0, 12);
    this.label = `${device.name ?? this.short} (${device.role}) on ${instance.id}`;
    this.progress = {
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
    this.rulesApply = isPatched('repair-approval-gate-v1');
    this.gate = this.makeGate();
    this.setHandlers();
    this.recorder = new StepRecorder(this.progress.steps, this.now, (rec, err) => {
      if (rec.status === 'failed' && !isCancellation(err))
        recordStepFailed({ cluster: input.cluster, instance: instance.id }, rec.id ?? rec.step);
    });
  }

  private makeGate(): RepairGate {
    const { instance, policy, progress, short } = this;
    return new ApprovalGate({
      ignored: progress.ignored,
      now: this.now,
      waited: (ms) => recordApprovalWait({ cluster: this.input.cluster, instance: instance.id }, 'repair', ms),
      rules: this.rulesApply ? policy.approvals : { approvers: [], fourEyes: false },
      startedBy: this.input.startedBy,
      subject: workflowInfo().parent ? 'the rollout that started this repair' : 'this repair',
      parse: (raw, kind) => {
        const checked = checkDecision(raw);
        return checked.ok ? { ok: true, value: { ...checked.value, kind } } : checked;
      },
      misaddressed: (d) =>
        d.instance !== instance.id
          ? `this workflow repairs ${short}… on ${instance.id}, not on ${d.instance}`
          : undefined,
      notWaiting: () =>
        progress.phase !== 'AwaitingApproval'
          ? `the repair is not waiting for approval (phase ${progress.phase})`
          : undefined,
      who: (d) => ({ name: d.approver, kind: d.kind }),
    });
  }

  private setHandlers(): void {
    const { gate } = this;
    const workflowId = workflowInfo().workflowId;
    const onSignal = (kind: 'approve' | 'reject') => (raw: RejoinDecision) => {
      const refused = gate.offer(kind === 'approve' ? 'approveRepair' : 'rejectRepair', kind, raw);
      if (refused)
        log.warn('repair decision refused', {
          instance: this.instance.id,
          deviceId: this.device.deviceId,
          reason: refused,
        });
    };
    const onUpdate =
      (kind: 'approve' | 'reject') =>
      (raw: RejoinDecision): DecisionReceipt => {
        const d = gate.accept(kind, raw);
        return { instance: d.instance, kind, approver: d.approver, deliveredTo: workflowId };
      };
    setHandler(approveRepair, onSignal('approve'), { description: APPROVE_REPAIR_DESCRIPTION });
    setHandler(rejectRepair, onSignal('reject'), { description: REJECT_REPAIR_DESCRIPTION });
    setHandler(approveRepairUpdate, onUpdate('approve'), {
      validator: (raw: RejoinDecision) => gate.validate('approve', raw),
      description: APPROVE_REPAIR_UPDATE_DESCRIPTION,
    });
    setHandler(rejectRepairUpdate, onUpdate('reject'), {
      validator: (raw: RejoinDecision) => gate.validate('reject', raw),
      description: REJECT_REPAIR_UPDATE_DESCRIPTION,
    });
    setHandler(repairProgressQuery, () => this.progress, {
      description: 'Phase, steps, pairing request and decision of this emergency repair.',
    });
  }

  setPhase(phase: RepairPhase, details?: string): void {
    this.progress.phase = phase;
    setCurrentDetails(
      `## Emergency repair of ${this.label}: ${phase}\n\nWhy: ${this.input.reason}\n\n${details ? `${details}\n\n` : ''}${this.recorder.text()}`,
    );
  }

  /** One recorded step; a failure fails the repair (phase Failed, with the message). */
  async step<T>(id: StepId, label: string, run: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    let message = '';
    try {
      return await this.recorder.run(id, label, run, detail, (err) => (message = (err as Error).message));
    } catch (err) {
      this.setPhase('Failed', `Failed at "${label}": ${message}`);
      throw err;
    }
  }

  /** Ends the repair as failed with `message` (no retry); the failure's details carry the progress. */
  fail(message: string): never {
    this.setPhase('Failed', message);
    throw workflowFailure(WorkflowFailureType.RepairFailed, message, this.progress);
  }

  async runHook(when: string): Promise<void> {
    const { device } = this;
    if (device.reconnectHook)
      await this.step(
        'reconnect-hook',
        `reconnect hook ${when}`,
        () => this.quick.runReconnectHook(this.target, device),
        (h) => `${h.command}`,
      );
  }
}
