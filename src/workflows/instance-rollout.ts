/**
 * `instanceRollout`: the runbook's rolling-update steps 1-6 for one gateway, in order:
 * (an instance already healthy on the target and in traffic is verified and left alone, unless forced)
 * drain (and wait for sessions to reach 0 or the drain deadline) → a verified backup with the running
 * release → install the target → doctor →
 * restart (the new version must run) → verify (healthy, channels, version) → rotate the devices of this
 * instance → reconnect hooks → wait for a human's approval → rejoin → verify after rejoin (health,
 * channels, no `device token mismatch` over a window, rotated devices connected again).
 *
 * Deterministic orchestration only: every command is an activity. Waiting for a human is a condition
 * with its own timeout (policy.approvalTimeout) that counts against no step deadline; when it passes,
 * the instance stays drained and the operator is asked again. Nothing rejoins without an approval.
 *
 * When a step fails after its retries, the instance stays out of traffic and the workflow waits for an
 * operator decision (`decideFailure`): retry the step, roll back to the version it ran before (from the
 * backup when there is one: stop, restore the state from before, reinstall, check the databases, start,
 * rotate again), skip the instance (left drained, flagged) or abort. Every human decision goes through
 * the one approval gate (lib/approval-gate.ts). When the rollout is cancelled, cleanup runs in a
 * non-cancellable scope: an instance drained but not yet changed is put back in traffic; a changed one
 * stays drained and is reported as needing attention.
 */
import { isCancellation } from '@temporalio/workflow';
import { failureMessage } from './lib/step-recorder.js';
import { rollForward } from './instance/forward.js';
import { rollBack } from './instance/rollback.js';
import { InstanceRun } from './instance/run.js';
import { OperatorDecided, type InstanceRolloutInput, type InstanceRolloutResult } from './instance/types.js';
import { leaveByDecision, leaveSafeAfterCancel } from './instance/way-back.js';

export { failureMessage };
export type { InstanceRolloutInput, InstanceRolloutResult };

export async function instanceRollout(input: InstanceRolloutInput): Promise<InstanceRolloutResult> {
  const r = new InstanceRun(input);
  try {
    let run: (r: InstanceRun) => Promise<InstanceRolloutResult> = rollForward;
    for (;;) {
      try {
        return await run(r);
      } catch (err) {
        if (!(err instanceof OperatorDecided)) throw err;
        if (err.decision.decision === 'rollback') run = rollBack;
        else return await leaveByDecision(r, err.decision);
      }
    }
  } catch (err) {
    if (!isCancellation(err) || !r.askOnFailure) throw err;
    await leaveSafeAfterCancel(r);
    throw err;
  }
}
