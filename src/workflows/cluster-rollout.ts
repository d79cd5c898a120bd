/**
 * `clusterRollout`: the whole rolling update of one cluster. Preflight on every instance (runbook
 * "Before you start"), then the instances in batches (policy.batchSize, default 1; the canary first),
 * each as an `instanceRollout` child with the id `<rolloutId>/<instanceId>`, then the cluster
 * verification checklist, then a report. Approvals may be sent here or to the child: they are
 * forwarded to the child of that instance, which alone decides whether it is waiting.
 */
import { ContinueAsNew, executeChild, isCancellation, setCurrentDetails } from '@temporalio/workflow';
import { isPatched } from './patches.js';
import { clusterPreflight } from './preflight.js';
import { rollOutInBatches } from './rollout/batches.js';
import { finalCheck } from './rollout/final-check.js';
import { handedPreflight, handOver, handoverDueBeforeCheck, takeOver } from './rollout/handover.js';
import { checkChunks, preflightInChunks } from './rollout/preflight-chunks.js';
import { setRolloutHandlers } from './rollout/handlers.js';
import { rolloutNotices } from './rollout/notices.js';
import { RolloutRun } from './rollout/run.js';
import { failureMessage } from './lib/step-recorder.js';
import { rolloutOrder, type ClusterRolloutInput, type ClusterRolloutReport } from './rollout/types.js';
import type { PreflightReport } from './preflight.js';

export { rolloutOrder };
export type { ClusterRolloutInput, ClusterRolloutReport };

export async function clusterRollout(input: ClusterRolloutInput): Promise<ClusterRolloutReport> {
  const r = new RolloutRun(input);
  // A run after continue-as-new starts from the state its previous run handed over.
  if (input.handover) takeOver(r, input.handover);
  // Notifications (only with inventory `notifications`, patched): instance events, and the end's summary.
  r.notices = rolloutNotices(r);
  setRolloutHandlers(r);
  const notices = r.notices;
  if (!notices) return runRollout(r);
  try {
    const report = await runRollout(r);
    await notices.rolloutEnded(report);
    return report;
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // the next run goes on; it sends the summary at the end
    const outcome = isCancellation(err) ? 'cancelled' : `failed (${failureMessage(err)})`;
    await notices.rolloutEnded({ outcome, instances: r.progress.instances });
    throw err;
  }
}

async function runRollout(r: RolloutRun): Promise<ClusterRolloutReport> {
  const { inventory, targetVersion } = r;
  const { progress, rolloutId } = r;
  if (r.input.handover) return rollOn(r, handedPreflight(r, r.input.handover));

  // The runbook's "Before you start": read-only checks of every instance; nothing changes when they fail.
  r.showPhase();
  setCurrentDetails(
    `Preflight of **${inventory.cluster}** (${inventory.instances.length} instances) before rolling out **${targetVersion}**.`,
  );
  // In chunks of the fleet (patched: older histories ran one child for the whole fleet).
  const preflight = isPatched('preflight-chunks-v1')
    ? await preflightInChunks(r, 'preflight', targetVersion)
    : await executeChild(clusterPreflight, {
        workflowId: `${rolloutId}/preflight`,
        args: [{ inventory, targetVersion }],
      });
  if (!preflight.ok) {
    progress.phase = 'Failed';
    r.showPhase();
    const problems = preflight.instances.flatMap((i) => i.problems.map((p) => `${i.instance}: ${p}`));
    setCurrentDetails(`Preflight failed; nothing was changed.\n\n${problems.map((p) => `- ${p}`).join('\n')}`);
    return r.report(preflight, 'preflight-failed');
  }

  progress.phase = 'RollingOut';
  // Failure decisions, pause, budget and safe cancellation (patched: older histories replay unchanged).
  r.decisionsOn = isPatched('failure-decisions-v1');
  return rollOn(r, preflight);
}

/** The batches (from where a previous run handed over, if it did), then the final check. */
async function rollOn(r: RolloutRun, preflight: PreflightReport): Promise<ClusterRolloutReport> {
  const { progress } = r;
  try {
    const stoppedEarly = await rollOutInBatches(r, preflight);
    if (stoppedEarly) return stoppedEarly;
  } catch (err) {
    if (!r.decisionsOn || !isCancellation(err)) throw err;
    // Cancelled (starter abort): the instance workflows have cleaned up (an untouched instance is back in
    // traffic; a changed one stays drained). Report who needs attention; complete with that report.
    return r.stop(
      preflight,
      progress.abort ? `aborted by ${progress.abort.by}: ${progress.abort.reason}` : 'cancelled by an operator (abort)',
    );
  }
  // A run that rolled out batches may leave the final check's chunks to a new run (see rollout/handover.ts).
  if (r.decisionsOn && handoverDueBeforeCheck(r, checkChunks(r)))
    return handOver(r, preflight, r.inventory.instances.length);
  return finalCheck(r, preflight);
}
