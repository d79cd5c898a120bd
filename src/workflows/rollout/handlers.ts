/**
 * The cluster rollout's signals, Updates and query. Decisions (approve, reject, decide after a failure)
 * are checked here against the rollout (the instance is current, the approver is allowed) and forwarded
 * to that instance's child, which alone decides whether it waits for one. The Updates refuse at once
 * what the signals would record as ignored. Pause, resume and the abort reason act on the rollout itself.
 */
import { getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { instanceWorkflowId } from '../../shared/ids.js';
import {
  ABORT_REASON_DESCRIPTION,
  APPROVE_DESCRIPTION,
  APPROVE_UPDATE_DESCRIPTION,
  DECIDE_FAILURE_DESCRIPTION,
  INSTANCE_PROGRESS_DESCRIPTION,
  PAUSE_DESCRIPTION,
  REJECT_DESCRIPTION,
  REJECT_UPDATE_DESCRIPTION,
  RESUME_DESCRIPTION,
  abortReason,
  approvalRules,
  approveRejoin,
  approveRejoinUpdate,
  checkAbortRequest,
  checkApprover,
  checkDecision,
  checkFailureDecision,
  checkPauseRequest,
  decideFailure,
  decideFailureUpdate,
  instanceProgressSignal,
  pauseRollout,
  progressQuery,
  rejectRejoin,
  rejectRejoinUpdate,
  resumeRollout,
  type AbortRequest,
  type DecisionReceipt,
  type FailureDecision,
  type InstanceProgress,
  type PauseRequest,
  type RejoinDecision,
} from '../../shared/messages/rollout.js';
import { fromDelta, INSTANCE_PHASE_DESCRIPTION, instancePhaseSignal } from '../../shared/messages/phase-delta.js';
import type { RolloutRun } from './run.js';
import { applyStanding, setStandingHandlers, withdrawStanding } from './standing.js';

type Vetted<T> = { ok: true; value: T } | { ok: false; problem: string };

export function setRolloutHandlers(r: RolloutRun): void {
  setRejoinHandlers(r);
  setHandler(instanceProgressSignal, (p) => onInstanceReport(r, p), { description: INSTANCE_PROGRESS_DESCRIPTION });
  setHandler(
    instancePhaseSignal,
    (d) => {
      if (d.outSince) r.outSince.set(d.instance, d.outSince);
      else r.outSince.delete(d.instance);
      return onInstanceReport(r, fromDelta(d));
    },
    { description: INSTANCE_PHASE_DESCRIPTION },
  );
  setFailureDecisionHandlers(r);
  setControlHandlers(r);
  setStandingHandlers(r);
  setHandler(progressQuery, () => r.progress, {
    description: "Where the rollout stands: phase, current instances, each instance's steps.",
  });
}

/** An instance child reported its progress (all of it, or a delta made whole without steps): the rollout's copy and what follows from it. */
async function onInstanceReport(r: RolloutRun, p: InstanceProgress): Promise<void> {
  const i = r.progress.instances.findIndex((x) => x.instance === p.instance);
  const before = r.progress.instances[i];
  if (i >= 0) r.progress.instances[i] = p;
  r.showPhase();
  if (i >= 0) r.notices?.instanceProgress(before, p);
  if (p.phase === 'Rejected') withdrawStanding(r, p.decision?.approver ?? 'unknown', `${p.instance} was rejected`);
  if (p.phase === 'AwaitingApproval') await applyStanding(r, p.instance);
}

/** Why an approve or reject cannot be applied now, or the checked decision. Shared by the signals and the Updates. */
function vetDecision(r: RolloutRun, kind: 'approve' | 'reject', raw: RejoinDecision): Vetted<RejoinDecision> {
  const checked = checkDecision(raw);
  if (!checked.ok) return { ok: false, problem: `invalid payload: ${checked.problem}` };
  const { instance, approver } = checked.value;
  if (!r.progress.current.includes(instance)) {
    const known = r.inventory.instances.some((i) => i.id === instance);
    return {
      ok: false,
      problem: `${instance} ${known ? 'is not being rolled out now' : 'is not an instance of this cluster'} (current: ${r.progress.current.join(', ') || 'none'})`,
    };
  }
  const refused = checkApprover(kind, approver, approvalRules(r.inventory.policy.approvals), r.input.startedBy);
  return refused ? { ok: false, problem: refused } : checked;
}

function setRejoinHandlers(r: RolloutRun): void {
  const forward = (signalName: 'approveRejoin' | 'rejectRejoin') => async (raw: RejoinDecision) => {
    const vetted = vetDecision(r, signalName === 'approveRejoin' ? 'approve' : 'reject', raw);
    if (!vetted.ok) {
      r.progress.ignored.push({ signal: signalName, payload: raw, reason: vetted.problem, at: r.now() });
      return;
    }
    const child = getExternalWorkflowHandle(instanceWorkflowId(r.rolloutId, vetted.value.instance));
    await child.signal(signalName === 'approveRejoin' ? approveRejoin : rejectRejoin, vetted.value);
  };
  const decide =
    (kind: 'approve' | 'reject') =>
    async (decision: RejoinDecision): Promise<DecisionReceipt> => {
      const childId = instanceWorkflowId(r.rolloutId, decision.instance.trim());
      const value = (vetDecision(r, kind, decision) as { value: RejoinDecision }).value;
      await getExternalWorkflowHandle(childId).signal(kind === 'approve' ? approveRejoin : rejectRejoin, value);
      return { instance: value.instance, kind, approver: value.approver, deliveredTo: childId };
    };
  /** The Updates' validator: refuses (the caller sees the reason at once) what the signal would ignore. */
  const validate = (kind: 'approve' | 'reject') => (decision: RejoinDecision) => {
    const vetted = vetDecision(r, kind, decision);
    if (!vetted.ok) throw new Error(vetted.problem);
    const slot = r.progress.instances.find((i) => i.instance === vetted.value.instance);
    if (slot?.phase !== 'AwaitingApproval')
      throw new Error(`${vetted.value.instance} is not waiting for approval (phase ${slot?.phase ?? 'unknown'})`);
  };
  setHandler(approveRejoin, forward('approveRejoin'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, forward('rejectRejoin'), { description: REJECT_DESCRIPTION });
  setHandler(approveRejoinUpdate, decide('approve'), {
    validator: validate('approve'),
    description: APPROVE_UPDATE_DESCRIPTION,
  });
  setHandler(rejectRejoinUpdate, decide('reject'), {
    validator: validate('reject'),
    description: REJECT_UPDATE_DESCRIPTION,
  });
}

/** A decision after a failure: the same rule as the instance's gate (approver list, no four-eyes: it lets nothing into traffic by itself). */
function vetFailureDecision(r: RolloutRun, raw: FailureDecision): Vetted<FailureDecision> {
  const checked = checkFailureDecision(raw);
  if (!checked.ok) return { ok: false, problem: `invalid payload: ${checked.problem}` };
  if (!r.progress.current.includes(checked.value.instance))
    return {
      ok: false,
      problem: `${checked.value.instance} is not being rolled out now (current: ${r.progress.current.join(', ') || 'none'})`,
    };
  const refused = checkApprover(
    'reject',
    checked.value.by,
    approvalRules(r.inventory.policy.approvals),
    r.input.startedBy,
  );
  return refused ? { ok: false, problem: refused } : checked;
}

function setFailureDecisionHandlers(r: RolloutRun): void {
  const onSignal = async (raw: FailureDecision) => {
    const vetted = vetFailureDecision(r, raw);
    if (!vetted.ok) {
      r.progress.ignored.push({ signal: 'decideFailure', payload: raw, reason: vetted.problem, at: r.now() });
      return;
    }
    await getExternalWorkflowHandle(instanceWorkflowId(r.rolloutId, vetted.value.instance)).signal(
      decideFailure,
      vetted.value,
    );
  };
  const onUpdate = async (raw: FailureDecision) => {
    const value = (vetFailureDecision(r, raw) as { value: FailureDecision }).value;
    const childId = instanceWorkflowId(r.rolloutId, value.instance);
    await getExternalWorkflowHandle(childId).signal(decideFailure, value);
    return { instance: value.instance, decision: value.decision, deliveredTo: childId };
  };
  const validator = (raw: FailureDecision) => {
    const vetted = vetFailureDecision(r, raw);
    if (!vetted.ok) throw new Error(vetted.problem);
    const slot = r.progress.instances.find((i) => i.instance === vetted.value.instance);
    if (slot?.phase !== 'Failed')
      throw new Error(`${vetted.value.instance} is not waiting for a decision (phase ${slot?.phase ?? 'unknown'})`);
    if (vetted.value.decision === 'rollback' && !slot.versionBefore)
      throw new Error(`${vetted.value.instance} has no recorded version to roll back to: retry, skip or abort`);
  };
  setHandler(decideFailure, onSignal, { description: DECIDE_FAILURE_DESCRIPTION });
  setHandler(decideFailureUpdate, onUpdate, {
    validator,
    description: `Like the decideFailure signal, refused at once when the instance is not waiting for a decision. ${DECIDE_FAILURE_DESCRIPTION}`,
  });
}

/** Pause and resume between instances; the reason an abort (a cancellation) is recorded with. */
function setControlHandlers(r: RolloutRun): void {
  const { progress } = r;
  const onPause = (pause: boolean) => (raw: PauseRequest) => {
    const checked = checkPauseRequest(raw);
    if (!checked.ok) {
      progress.ignored.push({
        signal: pause ? 'pauseRollout' : 'resumeRollout',
        payload: raw,
        reason: `invalid payload: ${checked.problem}`,
        at: r.now(),
      });
      return;
    }
    progress.paused = pause ? { ...checked.value, at: r.now() } : undefined;
    if (pause) withdrawStanding(r, checked.value.by, 'the rollout was paused');
    log.info(pause ? 'rollout paused' : 'rollout resumed', { by: checked.value.by });
  };
  const onAbortReason = (raw: AbortRequest) => {
    const checked = checkAbortRequest(raw);
    if (!checked.ok)
      return void progress.ignored.push({
        signal: 'abortReason',
        payload: raw,
        reason: `invalid payload: ${checked.problem}`,
        at: r.now(),
      });
    progress.abort = { ...checked.value, at: r.now() };
    log.info('abort requested', { by: checked.value.by, reason: checked.value.reason });
  };
  setHandler(pauseRollout, onPause(true), { description: PAUSE_DESCRIPTION });
  setHandler(abortReason, onAbortReason, { description: ABORT_REASON_DESCRIPTION });
  setHandler(resumeRollout, onPause(false), { description: RESUME_DESCRIPTION });
}
