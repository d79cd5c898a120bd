/**
 * The instance rollout's two human gates (both through the one approval gate, lib/approval-gate.ts):
 * the approval to rejoin traffic, and the decision after a failed step. Also the signal and query
 * handlers that feed them.
 */
import { log, setHandler } from '@temporalio/workflow';
import type { ApprovalRules } from '../../shared/inventory.js';
import {
  APPROVE_DESCRIPTION,
  DECIDE_FAILURE_DESCRIPTION,
  REJECT_DESCRIPTION,
  approveRejoin,
  checkDecision,
  checkFailureDecision,
  decideFailure,
  instanceProgressQuery,
  rejectRejoin,
  type FailureDecision,
  type InstanceProgress,
  type RejoinDecision,
} from '../../shared/messages/rollout.js';
import { ApprovalGate } from '../lib/approval-gate.js';
import { recordApprovalWait } from '../lib/metrics.js';

export type RejoinGate = ApprovalGate<RejoinDecision & { kind: 'approve' | 'reject' }, 'approve' | 'reject'>;
export type FailureGate = ApprovalGate<FailureDecision, 'decide'>;

interface GateContext {
  cluster: string;
  instanceId: string;
  progress: InstanceProgress;
  rules: ApprovalRules | undefined;
  startedBy: string | undefined;
  now: () => string;
}

const misaddressed = (instanceId: string, named: string) =>
  named !== instanceId ? `this workflow rolls out ${instanceId}, not ${named}` : undefined;

export function rejoinGate(c: GateContext): RejoinGate {
  return new ApprovalGate({
    ignored: c.progress.ignored,
    now: c.now,
    waited: (ms) => recordApprovalWait({ cluster: c.cluster, instance: c.instanceId }, 'rejoin', ms),
    rules: c.rules,
    startedBy: c.startedBy,
    parse: (raw, kind) => {
      const checked = checkDecision(raw);
      return checked.ok ? { ok: true, value: { ...checked.value, kind } } : checked;
    },
    misaddressed: (d) => misaddressed(c.instanceId, d.instance),
    notWaiting: () =>
      c.progress.phase !== 'AwaitingApproval'
        ? `${c.instanceId} is not waiting for approval (phase ${c.progress.phase})`
        : undefined,
    who: (d) => ({ name: d.approver, kind: d.kind }),
  });
}

/**
 * Failed while the update was prepared (staging, the first doctor), before any drain: nothing changed.
 * Only progress with a `stage` step can say so (older histories had none, so their answers stay the same).
 */
const failedWhileServing = (p: GateContext['progress']) =>
  p.steps.some((s) => s.id === 'stage') && !p.steps.some((s) => s.id === 'drain');

export function failureGate(c: GateContext): FailureGate {
  return new ApprovalGate<FailureDecision, 'decide'>({
    ignored: c.progress.ignored,
    now: c.now,
    waited: (ms) => recordApprovalWait({ cluster: c.cluster, instance: c.instanceId }, 'failure', ms),
    rules: c.rules,
    startedBy: c.startedBy,
    parse: (raw) => checkFailureDecision(raw),
    misaddressed: (d) => misaddressed(c.instanceId, d.instance),
    notWaiting: (d) =>
      !c.progress.failure
        ? `${c.instanceId} is not waiting for a decision (phase ${c.progress.phase})`
        : d.decision === 'rollback' && !c.progress.versionBefore
          ? `${c.instanceId} has no recorded version to roll back to (it failed before reading it): retry, skip or abort`
          : d.decision === 'rollback' && failedWhileServing(c.progress)
            ? `${c.instanceId} has nothing to roll back: it failed while preparing the update, before the drain, and still serves its release unchanged: retry, skip or abort`
            : undefined,
    // A decision after a failure lets nothing into traffic by itself (a retry or rollback meets the rejoin
    // approval later): the approver list applies, four-eyes does not.
    who: (d) => ({ name: d.by, kind: 'reject' }),
  });
}

/** The signals (the Web UI's path) into the gates, and the instance's progress query. */
export function setGateHandlers(
  instanceId: string,
  progress: InstanceProgress,
  rejoin: RejoinGate,
  failure: FailureGate,
): void {
  const onDecision = (kind: 'approve' | 'reject') => (raw: RejoinDecision) => {
    const refused = rejoin.offer(kind === 'approve' ? 'approveRejoin' : 'rejectRejoin', kind, raw);
    if (refused) log.warn('decision refused', { instance: instanceId, reason: refused });
  };
  setHandler(approveRejoin, onDecision('approve'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, onDecision('reject'), { description: REJECT_DESCRIPTION });
  setHandler(instanceProgressQuery, () => progress, {
    description: 'Phase, steps, versions and decisions of this instance.',
  });
  setHandler(decideFailure, (raw: FailureDecision) => void failure.offer('decideFailure', 'decide', raw), {
    description: DECIDE_FAILURE_DESCRIPTION,
  });
}
