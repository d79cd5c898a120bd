/**
 * How an instance ends when it does not finish: skipped or aborted by the operator, or cancelled with
 * the rollout. An instance the failed update did not change (checked, not assumed) goes back into
 * traffic as it was; a changed one stays out of traffic and is reported as needing attention.
 */
import { ActivityFailure, CancellationScope, setCurrentDetails } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import { serviceCommandLine } from '../../shared/service-commands.js';
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
    !isPatched('unchanged-back-in-traffic-v1')
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

/**
 * A gateway the update stopped and did not start again is started on the release installed now (the one
 * that can run its state: the new release once it migrated the state), still out of traffic. Returns
 * what the report says, or undefined when it was not left stopped. Never silent: when it cannot be
 * started, the report says "stopped" and the command to start it. Patched: older histories left it stopped.
 */
async function startIfLeftStopped(r: InstanceRun): Promise<string | undefined> {
  const { state } = r;
  if (!state.stopped || !isPatched('start-left-stopped-v1')) return undefined;
  const start = serviceCommandLine(r.instance, 'start') ?? 'the command that starts it';
  // Recorded for the report and for a rerun to read (shared/take-up.ts): no command, so no patch.
  const stays = (why: NonNullable<InstanceRolloutResult['leftStopped']>, text: string) => {
    r.progress.leftStopped = why;
    return text;
  };
  if (state.inFlight?.startsWith('install'))
    return stays(
      'install-cut-off',
      `stopped: its install was cut off and the installed tree may be half-swapped; check it (openclaw --version), then start it: ${start}`,
    );
  if (state.inFlight?.startsWith('restore'))
    return stays(
      'restore-cut-off',
      `stopped: the restore of its backup was cut off (its journal next to the archive says what was moved); finish or undo it, then start it: ${start}`,
    );
  try {
    const version = await r.quick.installedVersion(r.target);
    if (!version)
      return stays(
        'no-release',
        `stopped: no installed release was found to start; install one, then start it: ${start}`,
      );
    await r.restart.startGateway(r.target, version);
    state.stopped = false;
    r.recorder.note('start', 'start gateway (it was left stopped)', 'ok', `${version} runs, out of traffic`);
    return `started again on ${version} (the release installed now), out of traffic`;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return stays(
      'start-failed',
      `stopped: starting it again failed (${err.cause?.message ?? err.message}); start it by hand: ${start}`,
    );
  }
}

/** Ends the instance by the operator's skip or abort, flagged: out of traffic, or in it if it had rejoined. */
export async function leaveByDecision(r: InstanceRun, d: FailureDecision): Promise<InstanceRolloutResult> {
  const { progress, state } = r;
  const outcome = d.decision === 'skip' ? 'skipped' : 'aborted';
  const who = `${d.decision} by ${d.by}${d.comment ? ` (${d.comment})` : ''}`;
  const left = r.input.firstLeft;
  progress.needsAttention = !state.drained
    ? `${who}: ${left ? `still out of traffic as ${left.by} left it` : 'still in traffic'}, not updated (still ${progress.versionBefore ?? 'on its release'}; it failed before the drain, nothing changed)${gatewayNow(await startIfLeftStopped(r))}`
    : (await backAsBefore(r))
      ? `${who}: back in traffic, not updated (still ${progress.versionBefore}; the failed update changed nothing, checked)`
      : `${who}: left ${state.rejoined ? 'in traffic (it had rejoined)' : 'out of traffic'}${state.changed ? ` after changes (now ${progress.versionAfter ?? 'unknown version'})` : ', unchanged'}${gatewayNow(await startIfLeftStopped(r))}`;
  await r.setPhase(d.decision === 'skip' ? 'Skipped' : 'Aborted');
  setCurrentDetails(`**${r.instance.id}**: ${progress.needsAttention}.`);
  return { ...progress, outcome };
}

const gatewayNow = (said: string | undefined) => (said ? `; the gateway: ${said}` : '');

/** Cancelled (the rollout was aborted): leave the instance safe, whatever happens to the workflow. */
export async function leaveSafeAfterCancel(r: InstanceRun): Promise<void> {
  const { progress, state } = r;
  await CancellationScope.nonCancellable(async () => {
    if (state.drained && !state.changed) {
      await r.lb.lbReady(r.input.loadBalancer, r.instance.lbServer);
      const putBack = {
        id: 'put-back' as const,
        step: 'put back in traffic (cancelled before any change)',
        status: 'ok' as const,
        startedAt: r.now(),
        endedAt: r.now(),
      };
      progress.steps.push(putBack);
      r.stepEnded(putBack);
    } else if (state.changed && !state.rejoined && !(await backAsBefore(r).catch(() => false))) {
      const gateway = gatewayNow(await startIfLeftStopped(r));
      progress.needsAttention = `cancelled after changes (${progress.steps.at(-1)?.step ?? 'unknown step'}): left out of traffic on ${progress.versionAfter ?? 'a partly updated install'}${gateway}; check it, then return it with your load balancer`;
    }
    await r.setPhase('Cancelled');
  });
}
