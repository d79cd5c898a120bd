/**
 * How an instance ends when it does not finish: skipped or aborted by the operator, or cancelled with
 * the rollout. An instance the failed update did not change (checked, not assumed) goes back into
 * traffic as it was; a changed one stays out of traffic and is reported as needing attention.
 */
import { CancellationScope, patched, setCurrentDetails } from '@temporalio/workflow';
import type { FailureDecision } from '../../shared/messages/rollout.js';
import type { InstanceRun } from './run.js';
import type { InstanceRolloutResult } from './types.js';

/**
 * After a failed update, skipped or aborted: when nothing ran (no release started, no migration) and
 * the installed version is still the one from before, the instance is put back as it was: started again
 * if the update had stopped it, and returned to traffic. Returns whether it did; otherwise the instance
 * stays out of traffic for a human. Patched: older histories left it out.
 */
async function backAsBefore(r: InstanceRun): Promise<boolean> {
  const { state, progress } = r;
  // An install cut off by a cancellation may have left a half-swapped tree: never trust it.
  const cutOff = state.inFlight?.startsWith('install') === true;
  if (
    !state.drained ||
    state.rejoined ||
    state.ran ||
    cutOff ||
    !progress.versionBefore ||
    !patched('unchanged-back-in-traffic-v1')
  )
    return false;
  if (state.changed && (await r.quick.installedVersion(r.target)) !== progress.versionBefore) return false;
  if (state.stopped) await r.restart.startGateway(r.target, progress.versionBefore);
  await r.lb.lbReady(r.input.loadBalancer, r.instance.lbServer);
  state.stopped = false;
  r.recorder.note(
    'put-back',
    'put back in traffic',
    'ok',
    `unchanged: ${progress.versionBefore} still installed and running`,
  );
  return true;
}

/** Ends the instance by the operator's skip or abort, flagged: out of traffic, or in it if it had rejoined. */
export async function leaveByDecision(r: InstanceRun, d: FailureDecision): Promise<InstanceRolloutResult> {
  const { progress, state } = r;
  const outcome = d.decision === 'skip' ? 'skipped' : 'aborted';
  const who = `${d.decision} by ${d.by}${d.comment ? ` (${d.comment})` : ''}`;
  progress.needsAttention = !state.drained
    ? `${who}: still in traffic, not updated (still ${progress.versionBefore ?? 'on its release'}; it failed before the drain, nothing changed)`
    : (await backAsBefore(r))
      ? `${who}: back in traffic, not updated (still ${progress.versionBefore}; the failed update changed nothing, checked)`
      : `${who}: left ${state.rejoined ? 'in traffic (it had rejoined)' : 'out of traffic'}${state.changed ? ` after changes (now ${progress.versionAfter ?? 'unknown version'})` : ', unchanged'}`;
  await r.setPhase(d.decision === 'skip' ? 'Skipped' : 'Aborted');
  setCurrentDetails(`**${r.instance.id}**: ${progress.needsAttention}.`);
  return { ...progress, outcome };
}

/** Cancelled (the rollout was aborted): leave the instance safe, whatever happens to the workflow. */
export async function leaveSafeAfterCancel(r: InstanceRun): Promise<void> {
  const { progress, state } = r;
  await CancellationScope.nonCancellable(async () => {
    if (state.drained && !state.changed) {
      await r.lb.lbReady(r.input.loadBalancer, r.instance.lbServer);
      progress.steps.push({
        id: 'put-back',
        step: 'put back in traffic (cancelled before any change)',
        status: 'ok',
        startedAt: r.now(),
        endedAt: r.now(),
      });
    } else if (state.changed && !state.rejoined && !(await backAsBefore(r).catch(() => false))) {
      progress.needsAttention = `cancelled after changes (${progress.steps.at(-1)?.step ?? 'unknown step'}): left out of traffic on ${progress.versionAfter ?? 'a partly updated install'}; check it, then return it with your load balancer`;
    }
    await r.setPhase('Cancelled');
  });
}
