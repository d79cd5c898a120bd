/**
 * What the Web UI's current details say while an instance waits for a human: the question, what was
 * verified, and the exact signal or command that answers it. Pure text, no workflow calls.
 */
import type { Policy } from '../../shared/inventory.js';
import { cliLine, type OperatorCommand } from '../../shared/operator-command.js';
import type { InstanceProgress } from '../../shared/messages/rollout.js';
import type { Rotation } from './types.js';

/** After a failed step: where it stands and how to decide. */
export function failureQuestion(p: {
  instance: string;
  stepName: string;
  message: string;
  rejoined: boolean;
  failedPhase: string;
  versionBefore: string | null;
  targetVersion: string;
  operatorCommand?: OperatorCommand;
}): string {
  const versions = `Versions: before ${p.versionBefore ?? '?'}, target ${p.targetVersion}.`;
  return [
    `## ${p.instance} failed at "${p.stepName}" and waits for your decision`,
    p.message,
    '',
    p.rejoined
      ? `It is back in traffic (it rejoined after approval; was in phase ${p.failedPhase}); a rollback drains it first. ${versions}`
      : `It stays out of traffic (was in phase ${p.failedPhase}). ${versions}`,
    '',
    `**Decide:** Send a Signal \`decideFailure\` with \`{"instance": "${p.instance}", "decision": "retry" | "rollback" | "skip" | "abort", "by": "<you>"}\``,
    `or \`${cliLine(p.operatorCommand, `decide --instance ${p.instance} --decision retry --by <you>`)}\`.`,
  ].join('\n');
}

/** Before rejoin: what was verified, what to check, and how to approve. */
export function approvalQuestion(p: {
  rolloutId: string;
  progress: InstanceProgress;
  version: string;
  targetVersion: string;
  outcome: 'done' | 'rolled-back';
  rotations: Rotation[];
  policy: Policy;
  operatorCommand?: OperatorCommand;
}): string {
  const { progress } = p;
  const id = progress.instance;
  return [
    `## ${id} waits for your approval to rejoin traffic`,
    p.outcome === 'rolled-back'
      ? `Rollout **${p.rolloutId}**: rolled back to **${p.version}** after a failure (target was ${p.targetVersion}).`
      : `Rollout **${p.rolloutId}**, target **${p.targetVersion}** (was ${progress.versionBefore}).`,
    '',
    '**Verified:**',
    '',
    ...progress.steps.filter((s) => s.status === 'ok').map((s) => `- ${s.step}${s.detail ? `: ${s.detail}` : ''}`),
    '',
    '**Check before approving:** your dashboards for this instance; clients of the rotated devices ' +
      `(${p.rotations.length ? p.rotations.map((r) => r.deviceId.slice(0, 12)).join(', ') : 'none'}) reconnect after rejoin.`,
    '',
    `**Approve:** Send a Signal \`approveRejoin\` with \`{"instance": "${id}", "approver": "<you>", "comment": "..."}\``,
    `or \`${cliLine(p.operatorCommand, `approve --instance ${id} --approver <you>`)}\`. Reject with \`rejectRejoin\` (same payload).`,
    progress.approvalTimeouts
      ? `\n_Asked ${progress.approvalTimeouts + 1} times: no decision within ${p.policy.approvalTimeout / 60_000} min; the instance stays drained._`
      : '',
  ].join('\n');
}
