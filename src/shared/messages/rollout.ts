/**
 * Signals and queries of the rollout workflows, shared with the starter. Workflow-safe: no I/O.
 * Payloads are one JSON object each, so the Temporal Web UI's "Send a Signal" dialog can send them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BackupRecord } from '../facts.js';
import type { ApprovalRules } from '../inventory.js';
import type { NotificationFailure } from '../notices.js';
import type { StepId } from '../steps.js';

/** What an operator sends to approve or reject an instance's return to traffic. */
export interface RejoinDecision {
  instance: string;
  approver: string;
  comment?: string;
}

export const approveRejoin = defineSignal<[RejoinDecision]>('approveRejoin');
export const rejectRejoin = defineSignal<[RejoinDecision]>('rejectRejoin');

export const APPROVE_DESCRIPTION =
  'Return a drained, updated and verified instance to traffic. Payload: {"instance": "gw-2", "approver": "alice", "comment": "checked the dashboards"}. Ignored (and recorded) unless that instance is waiting for approval.';
export const REJECT_DESCRIPTION =
  'Keep the instance out of traffic and stop the rollout with a report. Payload: {"instance": "gw-2", "approver": "alice", "comment": "why"}.';

/**
 * The same decisions as Updates, for the starter: the rollout validates them before accepting, so the
 * operator gets an immediate error (not waiting, not allowed, four-eyes) instead of a silently ignored
 * signal. The signals stay for the Web UI's "Send a Signal".
 */
export const approveRejoinUpdate = defineUpdate<DecisionReceipt, [RejoinDecision]>('approveRejoinUpdate');
export const rejectRejoinUpdate = defineUpdate<DecisionReceipt, [RejoinDecision]>('rejectRejoinUpdate');
export const APPROVE_UPDATE_DESCRIPTION =
  'Like the approveRejoin signal, but refused at once with the reason when the instance is not waiting or the approver is not allowed. Payload: {"instance": "gw-2", "approver": "alice", "comment": "..."}.';
export const REJECT_UPDATE_DESCRIPTION =
  'Like the rejectRejoin signal, but refused at once with the reason when the instance is not waiting or the approver is not allowed.';

/** What an accepted decision Update returns. */
export interface DecisionReceipt {
  instance: string;
  kind: 'approve' | 'reject';
  approver: string;
  /** The instance workflow the decision was handed to. */
  deliveredTo: string;
}

/** Rules of the inventory's policy.approvals, with the defaults for histories from before they existed. */
export function approvalRules(rules: ApprovalRules | undefined): ApprovalRules {
  return rules ?? { approvers: [], fourEyes: true };
}

/**
 * Whether `approver` may take this decision: listed in policy.approvals.approvers (when the list is not
 * empty), and for an approval under four-eyes not the one who started `subject` (the rollout, or the
 * repair). Returns the reason when not.
 */
export function checkApprover(
  kind: 'approve' | 'reject',
  approver: string,
  rules: ApprovalRules,
  startedBy: string | undefined,
  subject = 'this rollout',
): string | undefined {
  if (rules.approvers.length && !rules.approvers.includes(approver)) {
    return `${approver} is not an allowed approver (policy.approvals.approvers: ${rules.approvers.join(', ')})`;
  }
  if (kind === 'approve' && rules.fourEyes && startedBy !== undefined && approver === startedBy) {
    return `four-eyes: ${approver} started ${subject} and cannot approve it; someone else must (policy.approvals.fourEyes)`;
  }
  return undefined;
}

/** One step of an instance rollout, as shown in progress and the report. */
export interface StepRecord {
  /** What the step is, for code (absent in progress recorded before step ids). */
  id?: StepId;
  /** What the step did, for people (its parameters included). */
  step: string;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  startedAt: string;
  endedAt?: string;
  detail?: string;
}

/** A signal that was received and not applied, with why. */
export interface IgnoredMessage {
  signal: string;
  payload: unknown;
  reason: string;
  at: string;
}

export type InstancePhase =
  | 'Pending'
  | 'Draining'
  | 'Updating'
  | 'Restarting'
  | 'Verifying'
  | 'RotatingTokens'
  | 'AwaitingApproval'
  | 'Rejoining'
  | 'VerifyingAfterRejoin'
  | 'Done'
  | 'Rejected'
  | 'Failed'
  | 'RollingBack'
  | 'Skipped'
  | 'Aborted'
  | 'Cancelled';

export interface InstanceProgress {
  instance: string;
  phase: InstancePhase;
  versionBefore: string | null;
  versionAfter: string | null;
  steps: StepRecord[];
  /**
   * The human's answer at the rejoin gate (approve or reject). Not to be confused with `decisions`, the
   * operator's choices after failed steps; both names stay as they are because recorded histories,
   * reports and the Web UI's query results hold them.
   */
  decision?: RejoinDecision & { kind: 'approve' | 'reject'; at: string };
  ignored: IgnoredMessage[];
  approvalTimeouts: number;
  /** Sessions left on the server when the drain wait ended (0 = drained). */
  sessions?: number;
  /** The failure waiting for an operator decision (cleared when a retry starts). */
  failure?: { step: string; message: string; at: string };
  /** Every decision taken after a failed step (retry, rollback, skip, abort), with who sent it. Not the rejoin approval (`decision`). */
  decisions?: (FailureDecision & { at: string })[];
  /** Why this instance needs a human after the rollout (e.g. changed, then cancelled: left drained). */
  needsAttention?: string;
  /** It ran the target healthy and in traffic before anything ran: verified, and left alone. */
  alreadyOnTarget?: boolean;
  /** The verified backup taken before the update (path and checksum only, never its contents), or why none. */
  backup?: BackupRecord | { skipped: string };
}

export interface RolloutProgress {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  phase: 'Preflight' | 'RollingOut' | 'Paused' | 'Verifying' | 'Done' | 'Rejected' | 'Failed' | 'Aborted';
  /** Set while paused: who paused and why. */
  paused?: PauseRequest & { at: string };
  /** Who started it (`start --by`); absent in rollouts from before it was recorded. */
  startedBy?: string;
  /** Who aborted it and why (`abort --by --reason`), recorded before the cancellation. */
  abort?: AbortRequest & { at: string };
  current: string[];
  instances: InstanceProgress[];
  ignored: IgnoredMessage[];
  /** Notifications that could not be delivered after their retries (inventory `notifications`). */
  notificationFailures?: NotificationFailure[];
}

/**
 * The rollout's progress. The instance child's query has the same name `progress` (instanceProgressQuery):
 * in the Web UI each workflow answers its own; the name stays because scripts and the UI use it.
 */
export const progressQuery = defineQuery<RolloutProgress>('progress');

/** Sent by each instance child to its parent rollout whenever its phase changes (keeps `progress` live). */
export const instanceProgressSignal = defineSignal<[InstanceProgress]>('instanceProgress');
export const INSTANCE_PROGRESS_DESCRIPTION =
  'Internal: an instance child reports its progress to the rollout. Operators do not send this.';
export const instanceProgressQuery = defineQuery<InstanceProgress>('progress');

/**
 * Checks a decision payload by hand (no zod in the workflow bundle): one object with a non-empty
 * `instance` and `approver`, optional string `comment`. Returns the problem in plain words, or the value.
 */
export function checkDecision(raw: unknown): { ok: true; value: RejoinDecision } | { ok: false; problem: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      problem: 'expected one JSON object like {"instance": "gw-2", "approver": "alice", "comment": "..."}',
    };
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.instance !== 'string' || r.instance.trim() === '')
    return { ok: false, problem: 'instance: expected the instance id, e.g. "gw-2"' };
  if (typeof r.approver !== 'string' || r.approver.trim() === '')
    return { ok: false, problem: 'approver: expected who approves, e.g. "alice"' };
  if (r.comment !== undefined && typeof r.comment !== 'string')
    return { ok: false, problem: 'comment: expected a string' };
  const extra = Object.keys(r).filter((k) => !['instance', 'approver', 'comment'].includes(k));
  if (extra.length)
    return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only instance, approver and comment` };
  return {
    ok: true,
    value: { instance: r.instance.trim(), approver: r.approver.trim(), ...(r.comment ? { comment: r.comment } : {}) },
  };
}

// ---- After a failure: the operator's decision, and pausing between instances ----

/** What an operator decides for an instance whose step failed after its retries. */
export type FailureChoice = 'retry' | 'rollback' | 'skip' | 'abort';
export const FAILURE_CHOICES: readonly FailureChoice[] = ['retry', 'rollback', 'skip', 'abort'];

export interface FailureDecision {
  instance: string;
  decision: FailureChoice;
  /** Who decides (recorded). */
  by: string;
  comment?: string;
}

export const decideFailure = defineSignal<[FailureDecision]>('decideFailure');
export const DECIDE_FAILURE_DESCRIPTION =
  'Decide for an instance whose step failed after its retries (it stays out of traffic meanwhile). Payload: {"instance": "gw-2", "decision": "retry" | "rollback" | "skip" | "abort", "by": "alice", "comment": "..."}. retry: run the failed step again; rollback: reinstall the version it ran before, restart, verify, then ask for approval to rejoin; skip: leave it drained and flagged, go on with the next instance; abort: stop the rollout.';
/** The same as an Update for the starter: refused at once when the instance is not waiting for a decision. */
export const decideFailureUpdate = defineUpdate<
  { instance: string; decision: FailureChoice; deliveredTo: string },
  [FailureDecision]
>('decideFailureUpdate');

/** Checks a decision payload by hand (no zod in the workflow bundle). */
export function checkFailureDecision(
  raw: unknown,
): { ok: true; value: FailureDecision } | { ok: false; problem: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      problem: 'expected one JSON object like {"instance": "gw-2", "decision": "retry", "by": "alice"}',
    };
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.instance !== 'string' || r.instance.trim() === '')
    return { ok: false, problem: 'instance: expected the instance id, e.g. "gw-2"' };
  if (typeof r.decision !== 'string' || !FAILURE_CHOICES.includes(r.decision as FailureChoice)) {
    return { ok: false, problem: `decision: expected one of ${FAILURE_CHOICES.join(', ')}` };
  }
  if (typeof r.by !== 'string' || r.by.trim() === '')
    return { ok: false, problem: 'by: expected who decides, e.g. "alice"' };
  if (r.comment !== undefined && typeof r.comment !== 'string')
    return { ok: false, problem: 'comment: expected a string' };
  const extra = Object.keys(r).filter((k) => !['instance', 'decision', 'by', 'comment'].includes(k));
  if (extra.length)
    return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only instance, decision, by and comment` };
  return {
    ok: true,
    value: {
      instance: r.instance.trim(),
      decision: r.decision as FailureChoice,
      by: r.by.trim(),
      ...(r.comment ? { comment: r.comment } : {}),
    },
  };
}

/** Pause or resume a rollout between instances (a running instance finishes its turn first). */
export interface PauseRequest {
  by: string;
  comment?: string;
}
export const pauseRollout = defineSignal<[PauseRequest]>('pauseRollout');
export const resumeRollout = defineSignal<[PauseRequest]>('resumeRollout');
export const PAUSE_DESCRIPTION =
  'Pause before the next instance (the current one finishes its turn). Payload: {"by": "alice", "comment": "why"}.';
export const RESUME_DESCRIPTION = 'Resume a paused rollout. Payload: {"by": "alice"}.';

export function checkPauseRequest(raw: unknown): { ok: true; value: PauseRequest } | { ok: false; problem: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problem: 'expected one JSON object like {"by": "alice", "comment": "..."}' };
  const r = raw as Record<string, unknown>;
  if (typeof r.by !== 'string' || r.by.trim() === '')
    return { ok: false, problem: 'by: expected who pauses or resumes, e.g. "alice"' };
  if (r.comment !== undefined && typeof r.comment !== 'string')
    return { ok: false, problem: 'comment: expected a string' };
  const extra = Object.keys(r).filter((k) => !['by', 'comment'].includes(k));
  if (extra.length) return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only by and comment` };
  return { ok: true, value: { by: r.by.trim(), ...(r.comment ? { comment: r.comment } : {}) } };
}

/** Why a rollout is aborted, and by whom: sent by `abort` just before it cancels the rollout. */
export interface AbortRequest {
  by: string;
  reason: string;
}
export const abortReason = defineSignal<[AbortRequest]>('abortReason');
export const ABORT_REASON_DESCRIPTION =
  'Records who aborts the rollout and why (the starter sends it right before it cancels the rollout; sending it alone cancels nothing). Payload: {"by": "alice", "reason": "why"}.';

export function checkAbortRequest(raw: unknown): { ok: true; value: AbortRequest } | { ok: false; problem: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problem: 'expected one JSON object like {"by": "alice", "reason": "..."}' };
  const r = raw as Record<string, unknown>;
  if (typeof r.by !== 'string' || r.by.trim() === '')
    return { ok: false, problem: 'by: expected who aborts, e.g. "alice"' };
  if (typeof r.reason !== 'string' || r.reason.trim() === '')
    return { ok: false, problem: 'reason: expected why the rollout is aborted' };
  const extra = Object.keys(r).filter((k) => !['by', 'reason'].includes(k));
  if (extra.length) return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only by and reason` };
  return { ok: true, value: { by: r.by.trim(), reason: r.reason.trim() } };
}
