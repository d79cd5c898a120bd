/**
 * Signals and queries of the rollout workflows, shared with the starter. Workflow-safe: no I/O.
 * Payloads are one JSON object each, so the Temporal Web UI's "Send a Signal" dialog can send them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { APPROVALS_DEFAULT } from '../approval-modes.js';
import type { BackupRecord } from '../facts.js';
import type { ApprovalRules } from '../inventory.js';
import type { NotificationFailure } from '../notices.js';
import type { StepId } from '../steps.js';
import type { FailureDecision, PauseRequest, AbortRequest } from './control.js';
import type { StandingApproval } from './standing.js';

/**
 * What the policy saw before promoting an instance in canary mode: over the soak, refused connects
 * (and how many of them were `device token mismatch`) against the baseline taken in preflight, health
 * and channels. `promoted` false: it asked a human, `why` says what stopped it.
 */
export interface Promotion {
  promoted: boolean;
  why: string;
  soakMs: number;
  at: string;
  evidence?: {
    refused: number;
    mismatches: number;
    samples: string[];
    baseline: { refused: number; windowMs: number } | null;
    allowed: number;
    healthy: boolean;
    channelsOk: boolean;
  };
}

/** What an operator sends to approve or reject an instance's return to traffic. */
export interface RejoinDecision {
  instance: string;
  approver: string;
  comment?: string;
  /** Given for many at once (`approve --batch`, `approve --rest`), or by the policy (canary mode). */
  via?: 'batch' | 'rest' | 'policy';
}

export const approveRejoin = defineSignal<[RejoinDecision]>('approveRejoin');
export const rejectRejoin = defineSignal<[RejoinDecision]>('rejectRejoin');

export const APPROVE_DESCRIPTION =
  'Return a drained, updated and verified instance to traffic. Payload: {"instance": "gw-2", "approver": "alice", "comment": "checked the dashboards"}. Ignored (and recorded) unless that instance is waiting for approval.';
export const REJECT_DESCRIPTION =
  'Keep the instance out of traffic, waiting for a decision (decideFailure: rollback, retry, skip, abort), and stop the rollout after it. Payload: {"instance": "gw-2", "approver": "alice", "comment": "why"}.';

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

/** The part of policy.approvals that says who may take a decision. */
export type WhoMayDecide = Pick<ApprovalRules, 'approvers' | 'fourEyes'>;

/** Rules of the inventory's policy.approvals, with the defaults for histories from before they (or a field) existed. */
export function approvalRules(rules: Partial<ApprovalRules> | undefined): ApprovalRules {
  return { ...APPROVALS_DEFAULT, approvers: [], ...rules };
}

/**
 * Whether `approver` may take this decision: listed in policy.approvals.approvers (when the list is not
 * empty), and for an approval under four-eyes not the one who started `subject` (the rollout, or the
 * repair). Returns the reason when not.
 */
export function checkApprover(
  kind: 'approve' | 'reject',
  approver: string,
  rules: WhoMayDecide,
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

/** Every phase an instance goes through, in rollout order (the metrics' instances gauge reports each). */
export const INSTANCE_PHASES = [
  'Pending',
  'Staging',
  'Draining',
  'Updating',
  'Restarting',
  'Verifying',
  'RotatingTokens',
  'Soaking',
  'AwaitingApproval',
  'Rejoining',
  'VerifyingAfterRejoin',
  'Done',
  'Rejected',
  'Failed',
  'RollingBack',
  'Skipped',
  'Aborted',
  'Cancelled',
] as const;

export type InstancePhase = (typeof INSTANCE_PHASES)[number];

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
  /**
   * A rejection at the rejoin gate (reject-decides-v1), kept after the decision that followed it
   * (rollback, retry, skip, abort): the rollout stops after this instance.
   */
  rejection?: RejoinDecision & { kind: 'reject'; at: string };
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
  /** canary mode: the policy's promotion (or why it asked a human instead), with its evidence. */
  promotion?: Promotion;
  /** The verified backup taken before the update (path and checksum only, never its contents), or why none. */
  backup?: BackupRecord | { skipped: string };
  /**
   * The gateway was left stopped when the instance ended (start-left-stopped-v1), and why: its start
   * failed, no release was installed, or its install or restore was cut off. A rerun takes up the first
   * three (shared/take-up.ts), never a cut-off restore.
   */
  leftStopped?: 'start-failed' | 'no-release' | 'install-cut-off' | 'restore-cut-off';
  /** Finished in an earlier run of a continued rollout: what its steps said (they were not handed over). */
  handedOver?: { outOfTrafficMs?: number; lastCheck?: string };
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
  /** A standing approval (`approve --rest`, or `--batch` in mode batch) and who gave it. */
  standing?: StandingApproval;
  /** The last standing approval withdrawn, by whom and why. */
  withdrawn?: StandingApproval & { withdrawnBy: string; why: string; withdrawnAt: string };
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
  // `via` is set by the rollout when it hands on an approval given for many; a person's "policy" is refused.
  if (r.via !== undefined && r.via !== 'batch' && r.via !== 'rest')
    return { ok: false, problem: 'via: only "batch" or "rest" (set by the rollout for approve --batch / --rest)' };
  const extra = Object.keys(r).filter((k) => !['instance', 'approver', 'comment', 'via'].includes(k));
  if (extra.length)
    return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only instance, approver and comment` };
  return {
    ok: true,
    value: {
      instance: r.instance.trim(),
      approver: r.approver.trim(),
      ...(r.comment ? { comment: r.comment } : {}),
      ...(r.via ? { via: r.via } : {}),
    },
  };
}

// The decision after a failure, pause and abort: their own module, re-exported here for the callers.
export * from './control.js';
