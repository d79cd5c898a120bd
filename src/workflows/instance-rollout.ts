/**
 * `instanceRollout`: the runbook's rolling-update steps 1-6 for one gateway, in order:
 * drain (and wait for sessions to reach 0 or the drain deadline) → install the target → doctor →
 * restart (the new version must run) → verify (healthy, channels, version) → rotate the devices of this
 * instance → reconnect hooks → wait for a human's approval → rejoin → verify after rejoin (health,
 * channels, no `device token mismatch` over a window, rotated devices connected again).
 *
 * Deterministic orchestration only: every command is an activity. Waiting for a human is a condition
 * with its own timeout (policy.approvalTimeout) that counts against no step deadline; when it passes,
 * the instance stays drained and the operator is asked again. Nothing rejoins without an approval.
 */
import { ApplicationFailure, condition, getExternalWorkflowHandle, log, patched, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Instance, LoadBalancerConfig, Policy } from '../inventory.js';
import { instanceQueue } from '../task-queues.js';
import { longActivities, quickActivities } from './activity-options.js';
import {
  APPROVE_DESCRIPTION,
  REJECT_DESCRIPTION,
  approveRejoin,
  checkDecision,
  instanceProgressQuery,
  instanceProgressSignal,
  rejectRejoin,
  type InstancePhase,
  type InstanceProgress,
  type RejoinDecision,
} from './messages.js';
import { verifyAfterRejoinWithRepairs } from './repair-after-rejoin.js';

export interface InstanceRolloutInput {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  instance: Instance;
  policy: Policy;
  loadBalancer: LoadBalancerConfig;
  /** The central task queue (load-balancer calls); host-bound calls go to the instance's queue. */
  taskQueue: string;
}

export interface InstanceRolloutResult extends InstanceProgress {
  outcome: 'done' | 'rejected';
}

/** A check that ran and said no: fails the step (and the workflow) without retrying the same answer. */
const checkFailed = (message: string) => ApplicationFailure.nonRetryable(message, 'CheckFailedError');

export async function instanceRollout(input: InstanceRolloutInput): Promise<InstanceRolloutResult> {
  const { instance, policy, targetVersion } = input;
  const hostQueue = instanceQueue(input.taskQueue, instance);
  const quick = quickActivities(policy, hostQueue);
  const lbActs = quickActivities(policy, input.taskQueue);
  const drainWait = longActivities(policy, input.taskQueue, policy.drainDeadline + 60_000);
  const install = longActivities(policy, hostQueue, policy.stepTimeouts.update + 60_000);
  const restart = longActivities(policy, hostQueue, policy.stepTimeouts.restart + 60_000);
  const deviceWait = longActivities(policy, hostQueue, policy.reconnectDeadline + 60_000);
  const target = { instance, policy };

  const progress: InstanceProgress = {
    instance: instance.id,
    phase: 'Pending',
    versionBefore: null,
    versionAfter: null,
    steps: [],
    ignored: [],
    approvalTimeouts: 0,
  };
  let pending: (RejoinDecision & { kind: 'approve' | 'reject' }) | undefined;
  const now = () => new Date().toISOString();

  const onDecision = (kind: 'approve' | 'reject') => (raw: RejoinDecision) => {
    const signal = kind === 'approve' ? 'approveRejoin' : 'rejectRejoin';
    const checked = checkDecision(raw);
    if (!checked.ok) {
      progress.ignored.push({ signal, payload: raw, reason: `invalid payload: ${checked.problem}`, at: now() });
      return;
    }
    if (checked.value.instance !== instance.id) {
      progress.ignored.push({ signal, payload: raw, reason: `this workflow rolls out ${instance.id}, not ${checked.value.instance}`, at: now() });
      return;
    }
    if (progress.phase !== 'AwaitingApproval' || pending) {
      progress.ignored.push({ signal, payload: raw, reason: `${instance.id} is not waiting for approval (phase ${progress.phase})`, at: now() });
      return;
    }
    pending = { ...checked.value, kind };
  };
  setHandler(approveRejoin, onDecision('approve'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, onDecision('reject'), { description: REJECT_DESCRIPTION });
  setHandler(instanceProgressQuery, () => progress, { description: 'Phase, steps, versions and decisions of this instance.' });

  const parent = workflowInfo().parent;
  /** Keeps the parent's `progress` query live (one signal per phase change or approval timeout). */
  const reportToParent = async () => {
    if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(instanceProgressSignal, progress);
  };
  const setPhase = async (phase: InstancePhase) => {
    progress.phase = phase;
    setCurrentDetails(`**${instance.id}**: ${phase}\n\n${progress.steps.map((s) => `- ${s.step}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`).join('\n')}`);
    await reportToParent();
  };
  async function step<T>(name: string, run: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    const record: InstanceProgress['steps'][number] = { step: name, status: 'running', startedAt: now() };
    progress.steps.push(record);
    try {
      const result = await run();
      record.status = 'ok';
      record.detail = detail?.(result);
      return result;
    } catch (err) {
      record.status = 'failed';
      record.detail = (err as Error).message;
      await setPhase('Failed');
      setCurrentDetails(`**${instance.id}** failed at step "${name}": ${(err as Error).message}`);
      throw err;
    } finally {
      record.endedAt = now();
    }
  }

  // 1. Drain and wait for sessions to leave (at the deadline the rest are cut by the restart).
  await setPhase('Draining');
  const before = await step('read version before', () => quick.gatewayStatus(target), (s) => `${s.version}`);
  progress.versionBefore = before.version;
  await step('drain', () => lbActs.lbDrain(input.loadBalancer, instance.lbServer), () => `${instance.lbServer} set to drain`);
  await step(
    'wait for sessions to drain',
    () => drainWait.lbWaitDrained(input.loadBalancer, instance.lbServer, policy.drainDeadline),
    (r) => (r.drained ? `0 sessions after ${Math.round(r.waitedMs / 1000)} s` : `${r.sessions} sessions left at the ${policy.drainDeadline / 1000} s deadline`),
  );

  // 2. Update and doctor.
  await setPhase('Updating');
  await step(`install ${targetVersion} (${instance.install.type})`, () => install.installVersion(target, targetVersion), (r) => `${Math.round(r.durationMs / 1000)} s`);
  await step('doctor', () => quick.runDoctor(target).then((d) => {
    if (!d.passed) throw checkFailed(`doctor reported errors: ${d.errors.join('; ')}`);
    return d;
  }), (d) => `${d.warnings.length} warnings, no errors`);

  // 3. Restart and verify: the target version must be what runs now.
  await setPhase('Restarting');
  const restarted = await step('restart', () => restart.restartGateway(target, targetVersion), (r) => `now ${r.after.version}, down ${Math.round(r.downMs / 1000)} s`);
  progress.versionAfter = restarted.after.version;
  await setPhase('Verifying');
  await step('verify gateway status', () => quick.gatewayStatus(target).then((s) => {
    if (!s.healthy || s.version !== targetVersion) throw checkFailed(`gateway ${s.healthy ? 'healthy' : 'not healthy'} on ${s.version}, expected healthy on ${targetVersion}`);
    return s;
  }), (s) => `healthy, RPC ok, ${s.version}`);
  await step('verify channels probe', () => quick.probeChannels(target).then((c) => {
    if (!c.healthy) throw checkFailed(`channels probe not healthy: ${c.issues.join('; ') || 'gateway not reachable'}`);
    return c;
  }), (c) => `${c.channels.length} channels, healthy`);

  // 4-5. Rotate the affected devices, then make their clients reconnect.
  await setPhase('RotatingTokens');
  const rotations: { deviceId: string; role: 'operator' | 'node'; rotatedAtMs: number }[] = [];
  for (const device of instance.devices) {
    const r = await step(`rotate ${device.name ?? device.deviceId.slice(0, 12)} (${device.role})`, () => quick.rotateDeviceToken(target, device), (x) => `token ${x.tokenDelivery ?? 'rotated'}`);
    rotations.push({ deviceId: device.deviceId, role: device.role, rotatedAtMs: r.rotatedAtMs });
  }
  for (const device of instance.devices.filter((d) => d.reconnectHook)) {
    await step(`reconnect hook ${device.name ?? device.deviceId.slice(0, 12)}`, () => quick.runReconnectHook(target, device), (h) => `${h.command}`);
  }

  // Approval: the human gate before the instance returns to traffic.
  await setPhase('AwaitingApproval');
  const approvalSummary = () =>
    [
      `## ${instance.id} waits for your approval to rejoin traffic`,
      `Rollout **${input.rolloutId}**, target **${targetVersion}** (was ${progress.versionBefore}).`,
      '',
      '**Verified:**',
      ...progress.steps.filter((s) => s.status === 'ok').map((s) => `- ${s.step}${s.detail ? `: ${s.detail}` : ''}`),
      '',
      '**Check before approving:** your dashboards for this instance; clients of the rotated devices ' +
        `(${rotations.length ? rotations.map((r) => r.deviceId.slice(0, 12)).join(', ') : 'none'}) reconnect after rejoin.`,
      '',
      `**Approve:** Send a Signal \`approveRejoin\` with \`{"instance": "${instance.id}", "approver": "<you>", "comment": "..."}\``,
      `or \`npm run starter -- approve --instance ${instance.id} --approver <you>\`. Reject with \`rejectRejoin\` (same payload).`,
      progress.approvalTimeouts ? `\n_Asked ${progress.approvalTimeouts + 1} times: no decision within ${policy.approvalTimeout / 60_000} min; the instance stays drained._` : '',
    ].join('\n');
  while (!pending) {
    setCurrentDetails(approvalSummary());
    if (!(await condition(() => pending !== undefined, policy.approvalTimeout))) {
      progress.approvalTimeouts++;
      await reportToParent();
      log.warn('approval timed out; instance stays drained, asking again', { instance: instance.id, times: progress.approvalTimeouts });
    }
  }
  const decision = pending;
  progress.decision = { ...decision, at: now() };
  if (decision.kind === 'reject') {
    await setPhase('Rejected');
    setCurrentDetails(`**${instance.id}** rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}. It stays out of traffic (drained) on ${progress.versionAfter}.`);
    return { ...progress, outcome: 'rejected' };
  }

  // 6. Rejoin and verify after rejoin.
  await setPhase('Rejoining');
  await step('rejoin', () => lbActs.lbReady(input.loadBalancer, instance.lbServer), () => `${instance.lbServer} ready, approved by ${decision.approver}`);
  await setPhase('VerifyingAfterRejoin');
  for (const device of instance.devices.filter((d) => d.reconnectHook)) {
    await step(`reconnect hook after rejoin ${device.name ?? device.deviceId.slice(0, 12)}`, () => quick.runReconnectHook(target, device));
  }
  // ---- emergency repair (issue #4), behind patched('emergency-repair'): histories recorded before it
  // replay the original checks below. Still-failing rotated devices get an emergencyRepair child.
  if (patched('emergency-repair')) {
    const repairs = await verifyAfterRejoinWithRepairs({ cluster: input.cluster, instance, policy, taskQueue: input.taskQueue, rotations, step, quick, deviceWait });
    await setPhase('Done');
    log.info('instance rolled out', { instance: instance.id, version: progress.versionAfter, workflowId: workflowInfo().workflowId, repaired: repairs.length });
    return { ...progress, outcome: 'done' };
  }
  // ---- end emergency repair
  for (const r of rotations) {
    await step(`device ${r.deviceId.slice(0, 12)} connected again`, () => deviceWait.waitForDeviceBack(target, r, r.rotatedAtMs).then((b) => {
      if (!b.back) throw checkFailed(`device ${r.deviceId} did not reconnect within ${policy.reconnectDeadline / 1000} s after its rotation`);
      return b;
    }), (b) => `back after ${Math.round(b.waitedMs / 1000)} s`);
  }
  // Judge "no mismatch" over a window that starts once the rotated clients are back: a client's first
  // attempt after rejoin may still present its old token (runbook cause 1) before it re-authenticates.
  const windowStart = Date.now();
  await sleep(policy.mismatchWindow);
  await step('verify after rejoin', async () => {
    const [status, channels, mismatches] = await Promise.all([
      quick.gatewayStatus(target),
      quick.probeChannels(target),
      quick.countTokenMismatches(target, { sinceMs: windowStart }),
    ]);
    const problems = [
      ...(status.healthy ? [] : ['gateway not healthy']),
      ...(channels.healthy ? [] : ['channels probe not healthy']),
      ...(mismatches.count ? [`${mismatches.count} device token mismatch refusals in the window after rejoin: ${mismatches.samples.join(' | ')}`] : []),
    ];
    if (problems.length) throw checkFailed(problems.join('; '));
    return mismatches;
  }, () => `healthy, channels ok, 0 mismatches over ${policy.mismatchWindow / 1000} s`);
  await setPhase('Done');
  log.info('instance rolled out', { instance: instance.id, version: progress.versionAfter, workflowId: workflowInfo().workflowId });
  return { ...progress, outcome: 'done' };
}
