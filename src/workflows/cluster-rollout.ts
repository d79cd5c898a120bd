/**
 * `clusterRollout`: the whole rolling update of one cluster. Preflight on every instance (runbook
 * "Before you start"), then the instances in batches (policy.batchSize, default 1; the canary first),
 * each as an `instanceRollout` child with the id `<rolloutId>/<instanceId>`, then the cluster
 * verification checklist, then a report. Approvals may be sent here or to the child: they are
 * forwarded to the child of that instance, which alone decides whether it is waiting.
 */
import {
  ApplicationFailure,
  executeChild,
  getExternalWorkflowHandle,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  ParentClosePolicy,
} from '@temporalio/workflow';
import type { Inventory } from '../inventory.js';
import { instanceRollout, type InstanceRolloutResult } from './instance-rollout.js';
import {
  APPROVE_DESCRIPTION,
  REJECT_DESCRIPTION,
  approveRejoin,
  checkDecision,
  INSTANCE_PROGRESS_DESCRIPTION,
  instanceProgressSignal,
  progressQuery,
  rejectRejoin,
  type InstanceProgress,
  type RejoinDecision,
  type RolloutProgress,
} from './messages.js';
import { clusterPreflight, type PreflightReport } from './preflight.js';

export interface ClusterRolloutInput {
  inventory: Inventory;
  targetVersion: string;
  /** Who started it (recorded in the report). */
  startedBy: string;
}

export interface ClusterRolloutReport {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  outcome: 'done' | 'rejected' | 'preflight-failed';
  preflight: PreflightReport;
  instances: InstanceProgress[];
  finalCheck?: PreflightReport;
  ignored: RolloutProgress['ignored'];
}

/** The child workflow id of an instance in a rollout. */
export const instanceWorkflowId = (rolloutId: string, instanceId: string) => `${rolloutId}/${instanceId}`;

/** Instances in rollout order: the canary first, then inventory order. */
export function rolloutOrder(inventory: Inventory): string[] {
  const ids = inventory.instances.map((i) => i.id);
  const canary = inventory.policy.canary;
  return canary ? [canary, ...ids.filter((id) => id !== canary)] : ids;
}

export async function clusterRollout(input: ClusterRolloutInput): Promise<ClusterRolloutReport> {
  const { inventory, targetVersion } = input;
  const rolloutId = workflowInfo().workflowId;
  const progress: RolloutProgress = {
    rolloutId,
    cluster: inventory.cluster,
    targetVersion,
    phase: 'Preflight',
    current: [],
    instances: inventory.instances.map((i) => ({ instance: i.id, phase: 'Pending', versionBefore: null, versionAfter: null, steps: [], ignored: [], approvalTimeouts: 0 })),
    ignored: [],
  };
  const now = () => new Date().toISOString();

  const forward = (signalName: 'approveRejoin' | 'rejectRejoin') => async (raw: RejoinDecision) => {
    const checked = checkDecision(raw);
    if (!checked.ok) {
      progress.ignored.push({ signal: signalName, payload: raw, reason: `invalid payload: ${checked.problem}`, at: now() });
      return;
    }
    if (!progress.current.includes(checked.value.instance)) {
      progress.ignored.push({ signal: signalName, payload: raw, reason: `${checked.value.instance} is not being rolled out now (current: ${progress.current.join(', ') || 'none'})`, at: now() });
      return;
    }
    const child = getExternalWorkflowHandle(instanceWorkflowId(rolloutId, checked.value.instance));
    await child.signal(signalName === 'approveRejoin' ? approveRejoin : rejectRejoin, checked.value);
  };
  setHandler(approveRejoin, forward('approveRejoin'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, forward('rejectRejoin'), { description: REJECT_DESCRIPTION });
  setHandler(
    instanceProgressSignal,
    (p) => {
      const i = progress.instances.findIndex((x) => x.instance === p.instance);
      if (i >= 0) progress.instances[i] = p;
    },
    { description: INSTANCE_PROGRESS_DESCRIPTION },
  );
  setHandler(progressQuery, () => progress, { description: 'Where the rollout stands: phase, current instances, each instance\'s steps.' });

  setCurrentDetails(`Preflight of **${inventory.cluster}** (${inventory.instances.length} instances) before rolling out **${targetVersion}**.`);
  const preflight = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/preflight`, args: [{ inventory }] });
  if (!preflight.ok) {
    progress.phase = 'Failed';
    const problems = preflight.instances.flatMap((i) => i.problems.map((p) => `${i.instance}: ${p}`));
    setCurrentDetails(`Preflight failed; nothing was changed.\n\n${problems.map((p) => `- ${p}`).join('\n')}`);
    return { rolloutId, cluster: inventory.cluster, targetVersion, outcome: 'preflight-failed', preflight, instances: progress.instances, ignored: progress.ignored };
  }

  progress.phase = 'RollingOut';
  const order = rolloutOrder(inventory);
  const size = inventory.policy.batchSize;
  for (let start = 0; start < order.length; start += size) {
    const batch = order.slice(start, start + size);
    progress.current = batch;
    setCurrentDetails(`Rolling out **${batch.join(', ')}** (${start + batch.length}/${order.length}). Query \`progress\`, or open the child workflow(s) ${batch.map((id) => `\`${instanceWorkflowId(rolloutId, id)}\``).join(', ')}.`);
    const results: InstanceRolloutResult[] = await Promise.all(
      batch.map((id) =>
        executeChild(instanceRollout, {
          workflowId: instanceWorkflowId(rolloutId, id),
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          args: [
            {
              rolloutId,
              cluster: inventory.cluster,
              targetVersion,
              instance: inventory.instances.find((i) => i.id === id)!,
              policy: inventory.policy,
              loadBalancer: inventory.loadBalancer,
              taskQueue: inventory.temporal.taskQueue,
            },
          ],
        }).catch((err: unknown) => {
          const slot = progress.instances.find((p) => p.instance === id)!;
          slot.phase = 'Failed';
          progress.phase = 'Failed';
          throw ApplicationFailure.nonRetryable(`instance ${id} failed; it stays out of traffic: ${(err as Error).message}`, 'InstanceFailed');
        }),
      ),
    );
    for (const r of results) progress.instances[progress.instances.findIndex((p) => p.instance === r.instance)] = r;
    const rejected = results.filter((r) => r.outcome === 'rejected');
    if (rejected.length) {
      progress.phase = 'Rejected';
      progress.current = [];
      const text = rejected.map((r) => `${r.instance} rejected by ${r.decision?.approver}${r.decision?.comment ? ` (${r.decision.comment})` : ''}`).join('; ');
      setCurrentDetails(`Rollout stopped: ${text}. The rejected instance stays drained on ${rejected[0]!.versionAfter}; the instances not yet rolled out were not touched.`);
      return { rolloutId, cluster: inventory.cluster, targetVersion, outcome: 'rejected', preflight, instances: progress.instances, ignored: progress.ignored };
    }
  }

  // The runbook's verification checklist across the cluster.
  progress.current = [];
  progress.phase = 'Verifying';
  const finalCheck = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/final-check`, args: [{ inventory }] });
  const wrong = finalCheck.instances.filter((i) => i.version !== targetVersion || !i.healthy || i.lb?.admin !== 'ready');
  if (!finalCheck.ok || wrong.length) {
    progress.phase = 'Failed';
    throw ApplicationFailure.nonRetryable(
      `final cluster check failed: ${wrong.map((i) => `${i.instance} ${i.healthy ? 'healthy' : 'unhealthy'} on ${i.version}, lb ${i.lb?.admin ?? '?'}`).join('; ')} ${finalCheck.instances.flatMap((i) => i.problems).join('; ')}`,
      'CheckFailedError',
    );
  }
  progress.phase = 'Done';
  setCurrentDetails(`Done: all ${order.length} instances run **${targetVersion}**, healthy and in traffic.`);
  return { rolloutId, cluster: inventory.cluster, targetVersion, outcome: 'done', preflight, instances: progress.instances, finalCheck, ignored: progress.ignored };
}
