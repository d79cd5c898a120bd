/**
 * The instances in batches (policy.batchSize, a number or a share of the fleet; the canary first), each instance an `instanceRollout`
 * child. Between batches: a pause holds, a rejection or an abort stops the rollout, and so does a
 * failure budget (policy.maxFailedInstances) that is exceeded.
 */
import {
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import { workflowFailure, WorkflowFailureType } from '../../shared/errors.js';
import { countOf, countText } from '../../shared/counts.js';
import { instanceWorkflowId } from '../../shared/ids.js';
import { cliLine } from '../../shared/operator-command.js';
import type { TakeUp } from '../../shared/take-up.js';
import {
  failureMessage,
  instanceRollout,
  type InstanceRolloutInput,
  type InstanceRolloutResult,
} from '../instance-rollout.js';
import type { PreflightReport } from '../preflight.js';
import type { RolloutRun } from './run.js';
import { endBatchStanding } from './standing.js';
import { handOver, handoverDue } from './handover.js';
import { approvalRules } from '../../shared/messages/rollout.js';
import { rolloutOrder, type ClusterRolloutReport } from './types.js';

/** The report when the rollout stopped early, or undefined when every batch went through. */
export async function rollOutInBatches(
  r: RolloutRun,
  preflight: PreflightReport,
): Promise<ClusterRolloutReport | undefined> {
  const { progress } = r;
  const order = rolloutOrder(r.inventory);
  // A percentage becomes a count of this fleet; a number stays as it is (older histories had only numbers).
  const size = countOf(r.inventory.policy.batchSize, order.length, 1);
  const budget = countOf(r.inventory.policy.maxFailedInstances ?? 1, order.length, 0);
  const first = r.input.handover?.next ?? 0;
  for (let start = first; start < order.length; start += size) {
    // Between batches, no child running: a new run when the history grows (older histories: never).
    const batch = order.slice(start, start + size);
    if (r.decisionsOn && handoverDue(r, (start - first) / size, batch.length)) return handOver(r, preflight, start);
    r.atFirstBatch ??= { events: workflowInfo().historyLength, bytes: workflowInfo().historySize };
    if (r.decisionsOn && progress.paused) await holdWhilePaused(r, batch);
    progress.current = batch;
    r.showPhase();
    setCurrentDetails(
      `Rolling out **${batch.join(', ')}** (${start + batch.length}/${order.length}, batch size ${countText(r.inventory.policy.batchSize, order.length, 1)}). Query \`progress\`, or open the child workflow(s) ${batch.map((id) => `\`${instanceWorkflowId(r.rolloutId, id)}\``).join(', ')}.`,
    );
    const results = await Promise.all(batch.map((id) => rollOutInstance(r, id, preflight).then(finished(r))));
    endBatchStanding(r);
    r.instancesThisRun += batch.length;
    if (start === 0) r.canaryApproved = canaryApprovedByHuman(r, results);
    // Rejected at the rejoin gate, whatever the operator decided after (reject-decides-v1: rollback, retry, skip, abort).
    const rejected = results.filter((x) => x.outcome === 'rejected' || x.rejection);
    if (rejected.length) return stopRejected(r, preflight, rejected);
    const aborted = results.filter((x) => x.outcome === 'aborted');
    if (aborted.length) return r.stop(preflight, aborted.map((x) => `${x.instance}: ${x.needsAttention}`).join('; '));
    const failed = progress.instances.filter(
      (i) => i.phase === 'Skipped' || i.decisions?.some((d) => d.decision === 'rollback'),
    ).length;
    if (r.decisionsOn && failed > budget && start + size < order.length) {
      return r.stop(
        preflight,
        `failure budget exceeded: ${failed} instances failed (policy.maxFailedInstances ${countText(r.inventory.policy.maxFailedInstances ?? 1, order.length, 0)})`,
      );
    }
  }
  return undefined;
}

/** A child's result in the rollout's progress as soon as it ends (its last phase is not signalled: slim-progress-v1). */
const finished =
  (r: RolloutRun) =>
  (x: InstanceRolloutResult): InstanceRolloutResult => {
    r.progress.instances[r.progress.instances.findIndex((p) => p.instance === x.instance)] = x;
    r.outSince.delete(x.instance);
    return x;
  };

async function holdWhilePaused(r: RolloutRun, batch: string[]): Promise<void> {
  const { progress } = r;
  progress.phase = 'Paused';
  r.showPhase();
  const paused = progress.paused!;
  setCurrentDetails(
    `Paused by ${paused.by}${paused.comment ? ` (${paused.comment})` : ''} before **${batch.join(', ')}**. Resume with the \`resumeRollout\` signal or \`${cliLine(r.input.operatorCommand, 'resume')}\`.`,
  );
  await condition(() => !progress.paused);
  progress.phase = 'RollingOut';
}

/** One instance's child workflow; its failure (histories from before decisions) fails the rollout. */
function rollOutInstance(r: RolloutRun, id: string, preflight: PreflightReport): Promise<InstanceRolloutResult> {
  const { inventory, input, progress } = r;
  return executeChild(instanceRollout, {
    workflowId: instanceWorkflowId(r.rolloutId, id),
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    args: [
      {
        rolloutId: r.rolloutId,
        cluster: inventory.cluster,
        targetVersion: r.targetVersion,
        instance: inventory.instances.find((i) => i.id === id)!,
        policy: inventory.policy,
        loadBalancer: inventory.loadBalancer,
        taskQueue: inventory.temporal.taskQueue,
        ...(r.upsert ? { searchAttributes: true } : {}),
        startedBy: input.startedBy,
        ...(input.force ? { force: true } : {}),
        ...(r.canaryApproved ? { autoPromote: { baseline: baselineOf(preflight, id) } } : {}),
        ...(inventory.notifications ? { notifications: inventory.notifications, uiUrl: inventory.temporal.uiUrl } : {}),
        ...(input.operatorCommand ? { operatorCommand: input.operatorCommand } : {}),
        ...firstLeft(input.takeUp, id),
      },
    ],
  }).catch((err: unknown) => {
    if (r.decisionsOn && isCancellation(err)) throw err;
    const slot = progress.instances.find((p) => p.instance === id)!;
    slot.phase = 'Failed';
    progress.phase = 'Failed';
    r.showPhase();
    throw workflowFailure(
      WorkflowFailureType.InstanceFailed,
      `instance ${id} failed; it stays out of traffic: ${r.decisionsOn ? failureMessage(err) : (err as Error).message}`,
    );
  });
}

/** When the last rollout left this instance out of traffic, and which rollout that was. */
function firstLeft(takeUp: TakeUp[] | undefined, id: string): Pick<InstanceRolloutInput, 'firstLeft'> {
  const t = takeUp?.find((x) => x.instance === id && !x.restoreCutOff);
  return t ? { firstLeft: { at: t.outSince, by: t.by, ...(t.before ? { before: t.before } : {}) } } : {};
}

/** canary mode: the first batch went through on target, every instance of it approved by a person. */
function canaryApprovedByHuman(r: RolloutRun, results: InstanceRolloutResult[]): boolean {
  if (approvalRules(r.inventory.policy.approvals).mode !== 'canary') return false;
  return results.every((x) => x.outcome === 'done' && x.decision?.kind === 'approve' && x.decision.via !== 'policy');
}

/** The refused connects preflight counted on the instance before anything changed, or null. */
const baselineOf = (preflight: PreflightReport, id: string) =>
  preflight.instances.find((i) => i.instance === id)?.baseline ?? null;

/** Where a rejected instance ended. */
function afterRejection(x: InstanceRolloutResult): string {
  if (x.outcome === 'rolled-back') return `rolled back to ${x.versionAfter} and back in traffic`;
  if (x.outcome === 'done') return `checked again, approved and back in traffic on ${x.versionAfter}`;
  return `${x.outcome === 'rejected' ? 'left' : x.outcome}: out of traffic (drained) on ${x.versionAfter}`;
}

function stopRejected(
  r: RolloutRun,
  preflight: PreflightReport,
  rejected: InstanceRolloutResult[],
): ClusterRolloutReport {
  const { progress } = r;
  progress.phase = 'Rejected';
  progress.current = [];
  r.showPhase();
  const text = rejected
    .map((x) => {
      const by = x.rejection ?? x.decision;
      return `${x.instance} rejected by ${by?.approver}${by?.comment ? ` (${by.comment})` : ''}, ${afterRejection(x)}`;
    })
    .join('; ');
  setCurrentDetails(`Rollout stopped: ${text}. The instances not yet rolled out were not touched.`);
  return r.report(preflight, 'rejected');
}
