/**
 * Section 4's figures for one instance, from the steps its rollout recorded: the time out of traffic
 * (the drain call to the end of the rejoin, the human's approval wait taken out) against its floor
 * (restart to /readyz + the rotations, what must happen while it is out), split by phase; and the whole
 * per-instance wall time (first step to last, approval wait out) against the unavoidable steps (install
 * + restart to /readyz + rotations). Pure: the numbers come from real-bed.ts.
 */
import type { StepRecord } from '../src/shared/messages/rollout.js';
import type { StepId } from '../src/shared/steps.js';

export interface OutOfTrafficFigures {
  /** Drain call → rejoin done, minus the approval wait. */
  outOfTrafficMs: number;
  /** Restart (or stop + start) to /readyz, plus one rotation per device: measured alone. */
  floorMs: number;
  /** outOfTrafficMs / floorMs (goal for `staged`: ≤ 2). */
  ratioToFloor: number;
  /** Inside the out-of-traffic period, by phase (what is left between the figure and its floor). */
  byPhase: { phase: string; durationMs: number }[];
  /** First step start → last step end of the instance, minus the approval wait. */
  instanceWallMs: number;
  /** install + restart to /readyz + rotations, measured alone. */
  unavoidableMs: number;
  /** instanceWallMs / unavoidableMs (goal: ≤ 1.5). */
  ratioToUnavoidable: number;
}

const PHASES: [string, StepId[]][] = [
  ['drain + wait for sessions', ['drain', 'wait-drain']],
  ['backup', ['backup']],
  ['doctor (read-only)', ['doctor']],
  ['stop', ['stop']],
  ['install or switch', ['install', 'switch']],
  ['doctor --fix (migrations)', ['doctor-fix']],
  ['start / restart to healthy', ['start', 'restart']],
  ['verify (status, channels)', ['verify-status', 'verify-channels']],
  ['rotate + reconnect hooks', ['rotate', 'reconnect-hook']],
  ['rejoin', ['rejoin']],
];

const span = (s: StepRecord) => Date.parse(s.endedAt ?? s.startedAt) - Date.parse(s.startedAt);

export function outOfTrafficFigures(
  steps: StepRecord[],
  approvalWaitMs: number,
  alone: { installMs: number; restartToReadyMs: number; rotationMs: number; devices: number },
): OutOfTrafficFigures {
  const drain = steps.find((s) => s.id === 'drain');
  const rejoin = steps.find((s) => s.id === 'rejoin');
  if (!drain || !rejoin?.endedAt) throw new Error('the instance has no drain or no finished rejoin step');
  const from = Date.parse(drain.startedAt);
  const to = Date.parse(rejoin.endedAt);
  const out = steps.filter((s) => Date.parse(s.startedAt) >= from && Date.parse(s.startedAt) <= to);
  const byPhase = PHASES.map(([phase, ids]) => ({
    phase,
    durationMs: out.filter((s) => s.id && ids.includes(s.id)).reduce((sum, s) => sum + span(s), 0),
  })).filter((p) => p.durationMs > 0);
  const inSteps = byPhase.reduce((sum, p) => sum + p.durationMs, 0);
  const outOfTrafficMs = to - from - approvalWaitMs;
  byPhase.push({ phase: 'engine (between steps)', durationMs: Math.max(0, outOfTrafficMs - inSteps) });
  const floorMs = alone.restartToReadyMs + alone.devices * alone.rotationMs;
  const first = Math.min(...steps.map((s) => Date.parse(s.startedAt)));
  const last = Math.max(...steps.map((s) => Date.parse(s.endedAt ?? s.startedAt)));
  const instanceWallMs = last - first - approvalWaitMs;
  const unavoidableMs = alone.installMs + floorMs;
  return {
    outOfTrafficMs,
    floorMs,
    ratioToFloor: outOfTrafficMs / floorMs,
    byPhase,
    instanceWallMs,
    unavoidableMs,
    ratioToUnavoidable: instanceWallMs / unavoidableMs,
  };
}
