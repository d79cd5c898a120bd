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
  patched,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { CLUSTER_KEY, INSTANCE_KEY, PHASE_KEY } from '../search-attributes.js';
import type { Inventory } from '../inventory.js';
import { instanceRollout, type InstanceRolloutResult } from './instance-rollout.js';
import {
  APPROVE_DESCRIPTION,
  REJECT_DESCRIPTION,
  APPROVE_UPDATE_DESCRIPTION,
  REJECT_UPDATE_DESCRIPTION,
  approvalRules,
  approveRejoin,
  approveRejoinUpdate,
  checkApprover,
  checkDecision,
  rejectRejoinUpdate,
  type DecisionReceipt,
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
  /** Upsert the Openclaw* search attributes (the starter saw them registered). Absent in old histories. */
  searchAttributes?: boolean;
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
    startedBy: input.startedBy,
    phase: 'Preflight',
    current: [],
    instances: inventory.instances.map((i) => ({ instance: i.id, phase: 'Pending', versionBefore: null, versionAfter: null, steps: [], ignored: [], approvalTimeouts: 0 })),
    ignored: [],
  };
  const now = () => new Date().toISOString();
  // Phase and current instances become search attributes (patched: older histories replay unchanged).
  // AwaitingApproval is shown while any current instance waits for a human.
  const upsert = input.searchAttributes === true && patched('search-attributes-v1');
  let shownPhase = '';
  const showPhase = () => {
    if (!upsert) return;
    const waiting = progress.instances.filter((i) => progress.current.includes(i.instance) && i.phase === 'AwaitingApproval');
    const phase = progress.phase === 'RollingOut' && waiting.length ? 'AwaitingApproval' : progress.phase;
    const instances = (waiting.length ? waiting.map((i) => i.instance) : progress.current).join(',');
    if (`${phase}|${instances}` === shownPhase) return;
    shownPhase = `${phase}|${instances}`;
    upsertSearchAttributes([
      { key: CLUSTER_KEY, value: inventory.cluster },
      { key: PHASE_KEY, value: phase },
      { key: INSTANCE_KEY, value: instances },
    ]);
  };

  const rules = approvalRules(inventory.policy.approvals);
  /** Why this decision cannot be applied now, or the checked decision. Shared by the signals and the Updates. */
  const vetDecision = (kind: 'approve' | 'reject', raw: RejoinDecision): { ok: true; value: RejoinDecision } | { ok: false; problem: string } => {
    const checked = checkDecision(raw);
    if (!checked.ok) return { ok: false, problem: `invalid payload: ${checked.problem}` };
    const { instance, approver } = checked.value;
    if (!progress.current.includes(instance)) {
      const known = inventory.instances.some((i) => i.id === instance);
      return { ok: false, problem: `${instance} ${known ? 'is not being rolled out now' : 'is not an instance of this cluster'} (current: ${progress.current.join(', ') || 'none'})` };
    }
    const refused = checkApprover(kind, approver, rules, input.startedBy);
    if (refused) return { ok: false, problem: refused };
    return checked;
  };
  const forward = (signalName: 'approveRejoin' | 'rejectRejoin') => async (raw: RejoinDecision) => {
    const vetted = vetDecision(signalName === 'approveRejoin' ? 'approve' : 'reject', raw);
    if (!vetted.ok) {
      progress.ignored.push({ signal: signalName, payload: raw, reason: vetted.problem, at: now() });
      return;
    }
    const child = getExternalWorkflowHandle(instanceWorkflowId(rolloutId, vetted.value.instance));
    await child.signal(signalName === 'approveRejoin' ? approveRejoin : rejectRejoin, vetted.value);
  };
  setHandler(approveRejoin, forward('approveRejoin'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, forward('rejectRejoin'), { description: REJECT_DESCRIPTION });
  const decide = (kind: 'approve' | 'reject') => async (decision: RejoinDecision): Promise<DecisionReceipt> => {
    const childId = instanceWorkflowId(rolloutId, decision.instance.trim());
    const value = (vetDecision(kind, decision) as { value: RejoinDecision }).value;
    await getExternalWorkflowHandle(childId).signal(kind === 'approve' ? approveRejoin : rejectRejoin, value);
    return { instance: value.instance, kind, approver: value.approver, deliveredTo: childId };
  };
  /** The Updates' validator: refuses (the caller sees the reason at once) what the signal would ignore. */
  const validate = (kind: 'approve' | 'reject') => (decision: RejoinDecision) => {
    const vetted = vetDecision(kind, decision);
    if (!vetted.ok) throw new Error(vetted.problem);
    const slot = progress.instances.find((i) => i.instance === vetted.value.instance);
    if (slot?.phase !== 'AwaitingApproval') throw new Error(`${vetted.value.instance} is not waiting for approval (phase ${slot?.phase ?? 'unknown'})`);
  };
  setHandler(approveRejoinUpdate, decide('approve'), { validator: validate('approve'), description: APPROVE_UPDATE_DESCRIPTION });
  setHandler(rejectRejoinUpdate, decide('reject'), { validator: validate('reject'), description: REJECT_UPDATE_DESCRIPTION });
  setHandler(
    instanceProgressSignal,
    (p) => {
      const i = progress.instances.findIndex((x) => x.instance === p.instance);
      if (i >= 0) progress.instances[i] = p;
      showPhase();
    },
    { description: INSTANCE_PROGRESS_DESCRIPTION },
  );
  setHandler(progressQuery, () => progress, { description: 'Where the rollout stands: phase, current instances, each instance\'s steps.' });

  showPhase();
  setCurrentDetails(`Preflight of **${inventory.cluster}** (${inventory.instances.length} instances) before rolling out **${targetVersion}**.`);
  const preflight = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/preflight`, args: [{ inventory }] });
  if (!preflight.ok) {
    progress.phase = 'Failed';
    showPhase();
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
    showPhase();
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
              ...(upsert ? { searchAttributes: true } : {}),
              startedBy: input.startedBy,
            },
          ],
        }).catch((err: unknown) => {
          const slot = progress.instances.find((p) => p.instance === id)!;
          slot.phase = 'Failed';
          progress.phase = 'Failed';
          showPhase();
          throw ApplicationFailure.nonRetryable(`instance ${id} failed; it stays out of traffic: ${(err as Error).message}`, 'InstanceFailed');
        }),
      ),
    );
    for (const r of results) progress.instances[progress.instances.findIndex((p) => p.instance === r.instance)] = r;
    const rejected = results.filter((r) => r.outcome === 'rejected');
    if (rejected.length) {
      progress.phase = 'Rejected';
      progress.current = [];
      showPhase();
      const text = rejected.map((r) => `${r.instance} rejected by ${r.decision?.approver}${r.decision?.comment ? ` (${r.decision.comment})` : ''}`).join('; ');
      setCurrentDetails(`Rollout stopped: ${text}. The rejected instance stays drained on ${rejected[0]!.versionAfter}; the instances not yet rolled out were not touched.`);
      return { rolloutId, cluster: inventory.cluster, targetVersion, outcome: 'rejected', preflight, instances: progress.instances, ignored: progress.ignored };
    }
  }

  // The runbook's verification checklist across the cluster.
  progress.current = [];
  progress.phase = 'Verifying';
  showPhase();
  const finalCheck = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/final-check`, args: [{ inventory }] });
  const wrong = finalCheck.instances.filter((i) => i.version !== targetVersion || !i.healthy || i.lb?.admin !== 'ready');
  if (!finalCheck.ok || wrong.length) {
    progress.phase = 'Failed';
    showPhase();
    throw ApplicationFailure.nonRetryable(
      `final cluster check failed: ${wrong.map((i) => `${i.instance} ${i.healthy ? 'healthy' : 'unhealthy'} on ${i.version}, lb ${i.lb?.admin ?? '?'}`).join('; ')} ${finalCheck.instances.flatMap((i) => i.problems).join('; ')}`,
      'CheckFailedError',
    );
  }
  progress.phase = 'Done';
  showPhase();
  setCurrentDetails(`Done: all ${order.length} instances run **${targetVersion}**, healthy and in traffic.`);
  return { rolloutId, cluster: inventory.cluster, targetVersion, outcome: 'done', preflight, instances: progress.instances, finalCheck, ignored: progress.ignored };
}
