/**
 * `clusterRollout`: the whole rolling update of one cluster. Preflight on every instance (runbook
 * "Before you start"), then the instances in batches (policy.batchSize, default 1; the canary first),
 * each as an `instanceRollout` child with the id `<rolloutId>/<instanceId>`, then the cluster
 * verification checklist, then a report. Approvals may be sent here or to the child: they are
 * forwarded to the child of that instance, which alone decides whether it is waiting.
 */
import {
  ApplicationFailure,
  condition,
  executeChild,
  isCancellation,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
  ParentClosePolicy,
  patched,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { instanceWorkflowId } from '../shared/ids.js';
import { CLUSTER_KEY, INSTANCE_KEY, PHASE_KEY } from '../shared/search-attributes.js';
import type { Inventory } from '../shared/inventory.js';
import { failureMessage, instanceRollout, type InstanceRolloutResult } from './instance-rollout.js';
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
  PAUSE_DESCRIPTION,
  RESUME_DESCRIPTION,
  ABORT_REASON_DESCRIPTION,
  abortReason,
  checkAbortRequest,
  type AbortRequest,
  DECIDE_FAILURE_DESCRIPTION,
  checkFailureDecision,
  checkPauseRequest,
  decideFailure,
  decideFailureUpdate,
  pauseRollout,
  resumeRollout,
  type FailureDecision,
  type PauseRequest,
  type DecisionReceipt,
  INSTANCE_PROGRESS_DESCRIPTION,
  instanceProgressSignal,
  progressQuery,
  rejectRejoin,
  type InstanceProgress,
  type RejoinDecision,
  type RolloutProgress,
} from '../shared/messages/rollout.js';
import { clusterPreflight, type PreflightReport } from './preflight.js';

export interface ClusterRolloutInput {
  inventory: Inventory;
  targetVersion: string;
  /** Who started it (recorded in the report). */
  startedBy: string;
  /** Upsert the Openclaw* search attributes (the starter saw them registered). Absent in old histories. */
  searchAttributes?: boolean;
  /** `start --force`: redo instances that already run the target (default: verify and leave them alone). */
  force?: boolean;
}

export interface ClusterRolloutReport {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  /** done: all on the target. partial: the rest done, some rolled back or skipped by decision (see
   *  needsAttention). rejected / aborted: stopped early. preflight-failed: nothing changed. */
  outcome: 'done' | 'partial' | 'rejected' | 'aborted' | 'preflight-failed';
  preflight: PreflightReport;
  instances: InstanceProgress[];
  finalCheck?: PreflightReport;
  ignored: RolloutProgress['ignored'];
  /** Instances a human must look at after this rollout, and why. */
  needsAttention?: { instance: string; why: string }[];
  /** Why the rollout stopped early (aborted). */
  stoppedBecause?: string;
}

/** The child workflow id of an instance in a rollout. */

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
    const failed = progress.instances.filter((i) => progress.current.includes(i.instance) && i.phase === 'Failed');
    const approving = progress.instances.filter((i) => progress.current.includes(i.instance) && i.phase === 'AwaitingApproval');
    // An instance waiting for a decision after a failure shows as Failed; one waiting for approval as AwaitingApproval.
    const waiting = failed.length ? failed : approving;
    const phase = progress.phase === 'RollingOut' && waiting.length ? (failed.length ? 'Failed' : 'AwaitingApproval') : progress.phase;
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
  // Operator decisions after an instance's failure: forwarded to that instance's workflow, which alone
  // knows whether it waits for one. The Update refuses at once what the signal would ignore.
  const vetFailureDecision = (raw: FailureDecision): { ok: true; value: FailureDecision } | { ok: false; problem: string } => {
    const checked = checkFailureDecision(raw);
    if (!checked.ok) return { ok: false, problem: `invalid payload: ${checked.problem}` };
    if (!progress.current.includes(checked.value.instance)) return { ok: false, problem: `${checked.value.instance} is not being rolled out now (current: ${progress.current.join(', ') || 'none'})` };
    // The same rule as the instance's gate: the approver list applies; four-eyes does not (a decision
    // after a failure lets nothing into traffic by itself).
    const refused = checkApprover('reject', checked.value.by, rules, input.startedBy);
    return refused ? { ok: false, problem: refused } : checked;
  };
  setHandler(
    decideFailure,
    async (raw: FailureDecision) => {
      const vetted = vetFailureDecision(raw);
      if (!vetted.ok) {
        progress.ignored.push({ signal: 'decideFailure', payload: raw, reason: vetted.problem, at: now() });
        return;
      }
      await getExternalWorkflowHandle(instanceWorkflowId(rolloutId, vetted.value.instance)).signal(decideFailure, vetted.value);
    },
    { description: DECIDE_FAILURE_DESCRIPTION },
  );
  setHandler(
    decideFailureUpdate,
    async (raw: FailureDecision) => {
      const value = (vetFailureDecision(raw) as { value: FailureDecision }).value;
      const childId = instanceWorkflowId(rolloutId, value.instance);
      await getExternalWorkflowHandle(childId).signal(decideFailure, value);
      return { instance: value.instance, decision: value.decision, deliveredTo: childId };
    },
    {
      validator: (raw: FailureDecision) => {
        const vetted = vetFailureDecision(raw);
        if (!vetted.ok) throw new Error(vetted.problem);
        const slot = progress.instances.find((i) => i.instance === vetted.value.instance);
        if (slot?.phase !== 'Failed') throw new Error(`${vetted.value.instance} is not waiting for a decision (phase ${slot?.phase ?? 'unknown'})`);
        if (vetted.value.decision === 'rollback' && !slot.versionBefore) throw new Error(`${vetted.value.instance} has no recorded version to roll back to: retry, skip or abort`);
      },
      description: `Like the decideFailure signal, refused at once when the instance is not waiting for a decision. ${DECIDE_FAILURE_DESCRIPTION}`,
    },
  );

  // Pause and resume between instances.
  const onPause = (pause: boolean) => (raw: PauseRequest) => {
    const checked = checkPauseRequest(raw);
    if (!checked.ok) {
      progress.ignored.push({ signal: pause ? 'pauseRollout' : 'resumeRollout', payload: raw, reason: `invalid payload: ${checked.problem}`, at: now() });
      return;
    }
    progress.paused = pause ? { ...checked.value, at: now() } : undefined;
    log.info(pause ? 'rollout paused' : 'rollout resumed', { by: checked.value.by });
  };
  setHandler(pauseRollout, onPause(true), { description: PAUSE_DESCRIPTION });
  setHandler(
    abortReason,
    (raw: AbortRequest) => {
      const checked = checkAbortRequest(raw);
      if (!checked.ok) return void progress.ignored.push({ signal: 'abortReason', payload: raw, reason: `invalid payload: ${checked.problem}`, at: now() });
      progress.abort = { ...checked.value, at: now() };
      log.info('abort requested', { by: checked.value.by, reason: checked.value.reason });
    },
    { description: ABORT_REASON_DESCRIPTION },
  );
  setHandler(resumeRollout, onPause(false), { description: RESUME_DESCRIPTION });

  setHandler(progressQuery, () => progress, { description: 'Where the rollout stands: phase, current instances, each instance\'s steps.' });

  showPhase();
  setCurrentDetails(`Preflight of **${inventory.cluster}** (${inventory.instances.length} instances) before rolling out **${targetVersion}**.`);
  const preflight = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/preflight`, args: [{ inventory, targetVersion }] });
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
  // Failure decisions, pause, budget and safe cancellation (patched: older histories replay unchanged).
  const decisionsOn = patched('failure-decisions-v1');
  const budget = inventory.policy.maxFailedInstances ?? 1;
  const report = (outcome: ClusterRolloutReport['outcome'], extra: Partial<ClusterRolloutReport> = {}): ClusterRolloutReport => {
    const needsAttention = progress.instances.filter((i) => i.needsAttention).map((i) => ({ instance: i.instance, why: i.needsAttention! }));
    return { rolloutId, cluster: inventory.cluster, targetVersion, outcome, preflight, instances: progress.instances, ignored: progress.ignored, ...(decisionsOn ? { needsAttention } : {}), ...extra };
  };
  const stop = (outcome: 'aborted', why: string) => {
    progress.phase = 'Aborted';
    progress.current = [];
    showPhase();
    const rest = progress.instances.filter((i) => i.phase === 'Pending').map((i) => i.instance);
    const attention = progress.instances.filter((i) => i.needsAttention).map((i) => `- ${i.instance}: ${i.needsAttention}`);
    setCurrentDetails(`Rollout stopped: ${why}.${rest.length ? ` Not touched: ${rest.join(', ')}.` : ''}${attention.length ? `\n\n**Needs attention:**\n${attention.join('\n')}` : ''}`);
    return report(outcome, { stoppedBecause: why });
  };

  try {
    for (let start = 0; start < order.length; start += size) {
      const batch = order.slice(start, start + size);
      if (decisionsOn && progress.paused) {
        progress.phase = 'Paused';
        showPhase();
        setCurrentDetails(`Paused by ${progress.paused.by}${progress.paused.comment ? ` (${progress.paused.comment})` : ''} before **${batch.join(', ')}**. Resume with the \`resumeRollout\` signal or \`npm run starter -- resume\`.`);
        await condition(() => !progress.paused);
        progress.phase = 'RollingOut';
      }
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
                ...(input.force ? { force: true } : {}),
              },
            ],
          }).catch((err: unknown) => {
            if (decisionsOn && isCancellation(err)) throw err;
            const slot = progress.instances.find((p) => p.instance === id)!;
            slot.phase = 'Failed';
            progress.phase = 'Failed';
            showPhase();
            throw ApplicationFailure.nonRetryable(`instance ${id} failed; it stays out of traffic: ${decisionsOn ? failureMessage(err) : (err as Error).message}`, 'InstanceFailed');
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
        return report('rejected');
      }
      const aborted = results.filter((r) => r.outcome === 'aborted');
      if (aborted.length) return stop('aborted', aborted.map((r) => `${r.instance}: ${r.needsAttention}`).join('; '));
      const failed = progress.instances.filter((i) => i.phase === 'Skipped' || i.decisions?.some((d) => d.decision === 'rollback')).length;
      if (decisionsOn && failed > budget && start + size < order.length) {
        return stop('aborted', `failure budget exceeded: ${failed} instances failed (policy.maxFailedInstances ${budget})`);
      }
    }
  } catch (err) {
    if (!decisionsOn || !isCancellation(err)) throw err;
    // Cancelled (starter abort): the instance workflows have cleaned up (an untouched instance is back in
    // traffic; a changed one stays drained). Report who needs attention; complete with that report.
    return stop('aborted', progress.abort ? `aborted by ${progress.abort.by}: ${progress.abort.reason}` : 'cancelled by an operator (abort)');
  }

  // The runbook's verification checklist across the cluster: each instance as its outcome expects
  // (done: target, ready; rolled back: its old version, ready; skipped: left as it is, flagged).
  progress.current = [];
  progress.phase = 'Verifying';
  showPhase();
  const finalCheck = await executeChild(clusterPreflight, { workflowId: `${rolloutId}/final-check`, args: [{ inventory }] });
  const expected = (id: string) => {
    const slot = progress.instances.find((i) => i.instance === id);
    if (slot?.phase === 'Skipped') return undefined;
    return slot?.decisions?.some((d) => d.decision === 'rollback') ? slot.versionBefore : targetVersion;
  };
  const judged = finalCheck.instances.filter((i) => expected(i.instance) !== undefined);
  const wrong = judged.filter((i) => i.version !== expected(i.instance) || !i.healthy || i.lb?.admin !== 'ready');
  if (judged.some((i) => i.problems.length) || wrong.length) {
    progress.phase = 'Failed';
    showPhase();
    throw ApplicationFailure.nonRetryable(
      `final cluster check failed: ${wrong.map((i) => `${i.instance} ${i.healthy ? 'healthy' : 'unhealthy'} on ${i.version}, lb ${i.lb?.admin ?? '?'}`).join('; ')} ${judged.flatMap((i) => i.problems).join('; ')}`,
      'CheckFailedError',
    );
  }
  progress.phase = 'Done';
  showPhase();
  const exceptions = progress.instances.filter((i) => i.needsAttention || i.decisions?.some((d) => d.decision === 'rollback'));
  if (exceptions.length) {
    setCurrentDetails(`Done with exceptions: ${exceptions.map((i) => `${i.instance} ${i.phase === 'Skipped' ? 'skipped (drained)' : `rolled back to ${i.versionAfter}`}`).join('; ')}; the others run **${targetVersion}**.`);
    return report('partial', { finalCheck });
  }
  setCurrentDetails(`Done: all ${order.length} instances run **${targetVersion}**, healthy and in traffic.`);
  return report('done', { finalCheck });
}
