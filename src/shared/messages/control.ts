/**
 * The operator's controls of a running rollout besides approvals: the decision after a failed step,
 * pause and resume between instances, and the reason of an abort. Workflow-safe: no I/O.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

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
