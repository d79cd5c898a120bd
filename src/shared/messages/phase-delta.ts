/**
 * What an instance child tells its rollout (patched 'slim-progress-v1'): a small delta at the phase
 * changes the rollout acts on, not its whole progress at every phase. The rollout keeps its copy without
 * steps while the child runs (`status` and the child's own `progress` query give the steps), and the
 * child's result (all of it) when it ends. Workflow-safe: no I/O.
 */
import { defineSignal } from '@temporalio/workflow';
import type { InstancePhase, InstanceProgress, StepRecord } from './rollout.js';

export interface InstancePhaseDelta extends Omit<InstanceProgress, 'steps'> {
  /** When the instance left traffic, while it is out (the rollout's out-of-traffic notice). */
  outSince?: string;
  /** With notifications only, waiting for approval or a decision: the steps that passed (the notice lists them). */
  steps?: StepRecord[];
}

/** Messages the child ignored, and promotion samples (log lines), handed on: the latest ones. */
const KEPT = { ignored: 10, samples: 2 };

export const instancePhaseSignal = defineSignal<[InstancePhaseDelta]>('instancePhase');
export const INSTANCE_PHASE_DESCRIPTION =
  'Internal: an instance child reports a phase change to the rollout (a small delta). Operators do not send this.';

/**
 * Phases the rollout acts on: out of traffic (Draining), a human's turn (AwaitingApproval, Failed), back
 * in traffic (Rejoining, VerifyingAfterRejoin), the ways out (RollingBack, Rejected, Skipped, Aborted,
 * Cancelled). The working phases between them (Staging, Updating, Restarting, Verifying,
 * RotatingTokens, Soaking) and Done (the child's result says it) are not sent, except the one that
 * follows a human's turn (a retry), so the rollout stops taking decisions for it.
 */
const REPORTED: ReadonlySet<InstancePhase> = new Set<InstancePhase>([
  'Draining',
  'AwaitingApproval',
  'Failed',
  'Rejoining',
  'VerifyingAfterRejoin',
  'RollingBack',
  'Rejected',
  'Skipped',
  'Aborted',
  'Cancelled',
]);
const HUMAN_TURN: ReadonlySet<InstancePhase | undefined> = new Set<InstancePhase | undefined>([
  'AwaitingApproval',
  'Failed',
]);

/** Whether a change to `phase` is sent, given the phase the rollout heard last. */
export const phaseReported = (phase: InstancePhase, lastReported: InstancePhase | undefined) =>
  REPORTED.has(phase) || HUMAN_TURN.has(lastReported);

/**
 * The delta of `p`: no steps (unless `withSteps`: the passed ones), the latest ignored messages and
 * promotion samples. Its size does not grow with the steps an instance ran.
 */
export function phaseDelta(p: InstanceProgress, outSince: string | undefined, withSteps: boolean): InstancePhaseDelta {
  const { steps, ignored, promotion, ...rest } = p;
  const evidence = promotion?.evidence && {
    ...promotion.evidence,
    samples: promotion.evidence.samples.slice(0, KEPT.samples),
  };
  return {
    ...rest,
    ignored: ignored.slice(-KEPT.ignored),
    ...(promotion ? { promotion: { ...promotion, ...(evidence ? { evidence } : {}) } } : {}),
    ...(outSince ? { outSince } : {}),
    ...(withSteps ? { steps: steps.filter((s) => s.status === 'ok') } : {}),
  };
}

/** The rollout's copy of an instance from a delta (its steps as sent, else none: the child's query has them). */
export function fromDelta(d: InstancePhaseDelta): InstanceProgress {
  const { outSince: _outSince, steps, ...rest } = d;
  return { ...rest, steps: steps ?? [] };
}
