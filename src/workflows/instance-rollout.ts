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
import {
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Instance, LoadBalancerConfig, Policy } from '../shared/inventory.js';
import { CLUSTER_KEY, INSTANCE_KEY, PHASE_KEY } from '../shared/search-attributes.js';
import { canStopAndStart } from '../shared/service-commands.js';
import { instanceQueue } from '../shared/task-queues.js';
import { longActivities, quickActivities } from './activity-options.js';
import type { BackupRecord } from '../shared/facts.js';
import {
  APPROVE_DESCRIPTION,
  REJECT_DESCRIPTION,
  DECIDE_FAILURE_DESCRIPTION,
  approveRejoin,
  checkDecision,
  checkFailureDecision,
  decideFailure,
  type FailureDecision,
  instanceProgressQuery,
  instanceProgressSignal,
  rejectRejoin,
  type InstancePhase,
  type InstanceProgress,
  type RejoinDecision,
} from '../shared/messages/rollout.js';
import { ApprovalGate } from './lib/approval-gate.js';
import { StepRecorder, failureMessage } from './lib/step-recorder.js';
import { verifyAfterRejoinWithRepairs } from './repair-after-rejoin.js';

export { failureMessage };

export interface InstanceRolloutInput {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  instance: Instance;
  policy: Policy;
  loadBalancer: LoadBalancerConfig;
  /** The central task queue (load-balancer calls); host-bound calls go to the instance's queue. */
  taskQueue: string;
  /** Upsert the Openclaw* search attributes (the starter saw them registered). Absent in old histories. */
  searchAttributes?: boolean;
  /** Who started the rollout (four-eyes: may not approve). Absent in histories from before approval rules. */
  startedBy?: string;
  /** `start --force`: redo an instance that already runs the target (default: verify it and leave it alone). */
  force?: boolean;
}

export interface InstanceRolloutResult extends InstanceProgress {
  /** done: on the target, in traffic. rolled-back: on the version before, in traffic. skipped: left drained
   *  by decision. rejected: drained by a human's rejection. aborted: stopped by decision, left drained.
   *  already-on-target: healthy on the target and in traffic before anything ran; verified, left alone. */
  outcome: 'done' | 'rejected' | 'rolled-back' | 'skipped' | 'aborted' | 'already-on-target';
}

/** Thrown out of a step when the operator decided rollback, skip or abort after its failure. */
class OperatorDecided extends Error {
  constructor(readonly decision: FailureDecision) {
    super(`${decision.decision} decided by ${decision.by}`);
  }
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
  /**
   * What the instance has been through, for cleanup and the report. `ran`: a release was started, or
   * doctor --fix migrated the state (an install alone is undone by nothing but is checkable);
   * `stopped`: the gateway was stopped by the update and not started again yet; `inFlight`: the step
   * running now (after a cancellation: the step that was cut off, whose effect nobody knows).
   */
  const state: { drained: boolean; changed: boolean; rejoined: boolean; ran: boolean; stopped: boolean; inFlight?: string } = {
    drained: false,
    changed: false,
    rejoined: false,
    ran: false,
    stopped: false,
  };
  const rotations: { deviceId: string; role: 'operator' | 'node'; rotatedAtMs: number }[] = [];
  const now = () => new Date().toISOString();
  const recorder = new StepRecorder(progress.steps, now);
  // Operator decisions after a failure (patched: histories from before them replay unchanged; there a
  // failed step fails the workflow, as it did then).
  const askOnFailure = patched('failure-decisions-v1');

  // The human gates: the approval to rejoin, and the decision after a failure (lib/approval-gate.ts).
  const rejoinGate = new ApprovalGate<RejoinDecision & { kind: 'approve' | 'reject' }, 'approve' | 'reject'>({
    ignored: progress.ignored,
    now,
    rules: policy.approvals,
    startedBy: input.startedBy,
    parse: (raw, kind) => {
      const checked = checkDecision(raw);
      return checked.ok ? { ok: true, value: { ...checked.value, kind } } : checked;
    },
    misaddressed: (d) => (d.instance !== instance.id ? `this workflow rolls out ${instance.id}, not ${d.instance}` : undefined),
    notWaiting: () => (progress.phase !== 'AwaitingApproval' ? `${instance.id} is not waiting for approval (phase ${progress.phase})` : undefined),
    who: (d) => ({ name: d.approver, kind: d.kind }),
  });
  const failureGate = new ApprovalGate<FailureDecision, 'decide'>({
    ignored: progress.ignored,
    now,
    rules: policy.approvals,
    startedBy: input.startedBy,
    parse: (raw) => checkFailureDecision(raw),
    misaddressed: (d) => (d.instance !== instance.id ? `this workflow rolls out ${instance.id}, not ${d.instance}` : undefined),
    notWaiting: (d) =>
      !progress.failure
        ? `${instance.id} is not waiting for a decision (phase ${progress.phase})`
        : d.decision === 'rollback' && !progress.versionBefore
          ? `${instance.id} has no recorded version to roll back to (it failed before reading it): retry, skip or abort`
          : undefined,
    // A decision after a failure lets nothing into traffic by itself (a retry or rollback meets the rejoin
    // approval later): the approver list applies, four-eyes does not.
    who: (d) => ({ name: d.by, kind: 'reject' }),
  });
  const onDecision = (kind: 'approve' | 'reject') => (raw: RejoinDecision) => {
    const refused = rejoinGate.offer(kind === 'approve' ? 'approveRejoin' : 'rejectRejoin', kind, raw);
    if (refused) log.warn('decision refused', { instance: instance.id, reason: refused });
  };
  setHandler(approveRejoin, onDecision('approve'), { description: APPROVE_DESCRIPTION });
  setHandler(rejectRejoin, onDecision('reject'), { description: REJECT_DESCRIPTION });
  setHandler(instanceProgressQuery, () => progress, { description: 'Phase, steps, versions and decisions of this instance.' });
  setHandler(decideFailure, (raw: FailureDecision) => void failureGate.offer('decideFailure', 'decide', raw), { description: DECIDE_FAILURE_DESCRIPTION });

  const parent = workflowInfo().parent;
  /** Keeps the parent's `progress` query live (one signal per phase change or approval timeout). */
  const reportToParent = async () => {
    if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(instanceProgressSignal, progress);
  };
  // Phases become the OpenclawPhase search attribute (patched: histories from before it replay unchanged).
  const upsertPhase = input.searchAttributes === true && patched('search-attributes-v1');
  const setPhase = async (phase: InstancePhase) => {
    progress.phase = phase;
    if (upsertPhase) {
      upsertSearchAttributes([
        { key: CLUSTER_KEY, value: input.cluster },
        { key: INSTANCE_KEY, value: instance.id },
        { key: PHASE_KEY, value: phase },
      ]);
    }
    setCurrentDetails(`**${instance.id}**: ${phase}\n\n${recorder.text()}`);
    await reportToParent();
  };

  /** Waits (re-asking every approvalTimeout) for the operator's decision about the failure in progress. */
  async function awaitFailureDecision(stepName: string, message: string): Promise<FailureDecision> {
    const failedPhase = progress.phase;
    progress.failure = { step: stepName, message, at: now() };
    await setPhase('Failed');
    const ask = () =>
      setCurrentDetails(
        [
          `## ${instance.id} failed at "${stepName}" and waits for your decision`,
          message,
          '',
          state.rejoined
            ? `It is back in traffic (it rejoined after approval; was in phase ${failedPhase}); a rollback drains it first. Versions: before ${progress.versionBefore ?? '?'}, target ${targetVersion}.`
            : `It stays out of traffic (was in phase ${failedPhase}). Versions: before ${progress.versionBefore ?? '?'}, target ${targetVersion}.`,
          '',
          `**Decide:** Send a Signal \`decideFailure\` with \`{"instance": "${instance.id}", "decision": "retry" | "rollback" | "skip" | "abort", "by": "<you>"}\``,
          `or \`npm run starter -- decide --instance ${instance.id} --decision retry --by <you>\`.`,
        ].join('\n'),
      );
    ask();
    const d = await failureGate.wait(policy.approvalTimeout, () => undefined, () => {
      log.warn(`no decision after failure yet; instance ${state.rejoined ? 'is in traffic' : 'stays out of traffic'}`, { instance: instance.id, step: stepName });
      ask();
    });
    progress.decisions = [...(progress.decisions ?? []), { ...d, at: now() }];
    progress.failure = undefined;
    log.info('decision after failure', { instance: instance.id, step: stepName, decision: d.decision, by: d.by });
    if (d.decision === 'retry') await setPhase(failedPhase);
    return d;
  }

  /**
   * One recorded step. When it fails after its retries: with decisions on, the operator decides (retry
   * runs it again here; rollback, skip and abort leave through OperatorDecided); otherwise it fails the
   * workflow. Cancellation always passes through.
   */
  async function step<T>(name: string, run: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    for (;;) {
      let message = '';
      try {
        state.inFlight = name;
        const result = await recorder.run(name, run, detail, (err) => (message = askOnFailure ? failureMessage(err) : (err as Error).message));
        state.inFlight = undefined;
        return result;
      } catch (err) {
        if (isCancellation(err)) throw err; // inFlight stays: the step was cut off, its effect unknown
        state.inFlight = undefined;
        if (!askOnFailure) {
          await setPhase('Failed');
          setCurrentDetails(`**${instance.id}** failed at step "${name}": ${message}`);
          throw err;
        }
        const d = await awaitFailureDecision(name, message);
        if (d.decision !== 'retry') throw new OperatorDecided(d);
      }
    }
  }

  /** Runbook step 1: drain, then wait for sessions to leave (at the deadline the rest are cut by the restart). */
  async function drainAndWait(stepSuffix: string) {
    await step(`drain${stepSuffix}`, () => lbActs.lbDrain(input.loadBalancer, instance.lbServer), () => `${instance.lbServer} set to drain`);
    const drained = await step(
      `wait for sessions to drain${stepSuffix}`,
      () => drainWait.lbWaitDrained(input.loadBalancer, instance.lbServer, policy.drainDeadline),
      (r) => (r.drained ? `0 sessions after ${Math.round(r.waitedMs / 1000)} s` : `${r.sessions} sessions left at the ${policy.drainDeadline / 1000} s deadline`),
    );
    progress.sessions = drained.sessions;
  }

  const runDoctor = (suffix: string) =>
    step(`doctor${suffix}`, () => quick.runDoctor(target).then((d) => {
      // A migration doctor asks for is an error here too (the documented update runs doctor --fix for it).
      if (!d.passed) throw checkFailed(`doctor reported errors: ${[...d.errors, ...(d.blockingMigrations ?? [])].join('; ')}`);
      return d;
    }), (d) => `${d.warnings.length} warnings, no errors`);

  /** Runbook step 3's checks: healthy on `version`, channels probe healthy. */
  async function verifyRunning(version: string) {
    await setPhase('Verifying');
    await step('verify gateway status', () => quick.gatewayStatus(target).then((s) => {
      if (!s.healthy || s.version !== version) throw checkFailed(`gateway ${s.healthy ? 'healthy' : 'not healthy'} on ${s.version}, expected healthy on ${version}`);
      return s;
    }), (s) => `healthy, RPC ok, ${s.version}`);
    await step('verify channels probe', () => quick.probeChannels(target).then((c) => {
      if (!c.healthy) throw checkFailed(`channels probe not healthy: ${c.issues.join('; ') || 'gateway not reachable'}`);
      return c;
    }), (c) => `${c.channels.length} channels, healthy`);
  }

  /** Restart on `version` and check it runs healthy (runbook step 3). */
  async function restartAndVerify(version: string) {
    await setPhase('Restarting');
    state.ran = true;
    const restarted = await step('restart', () => restart.restartGateway(target, version), (r) => `now ${r.after.version}, down ${Math.round(r.downMs / 1000)} s`);
    progress.versionAfter = restarted.after.version;
    await verifyRunning(version);
  }

  /** Runbook steps 4-5: rotate the instance's devices, then make their clients reconnect. */
  async function rotateAndReconnect() {
    await setPhase('RotatingTokens');
    for (const device of instance.devices) {
      const r = await step(`rotate ${device.name ?? device.deviceId.slice(0, 12)} (${device.role})`, () => quick.rotateDeviceToken(target, device), (x) => `token ${x.tokenDelivery ?? 'rotated'}`);
      rotations.push({ deviceId: device.deviceId, role: device.role, rotatedAtMs: r.rotatedAtMs });
    }
    for (const device of instance.devices.filter((d) => d.reconnectHook)) {
      await step(`reconnect hook ${device.name ?? device.deviceId.slice(0, 12)}`, () => quick.runReconnectHook(target, device), (h) => `${h.command}`);
    }
  }

  /** The human gate, then rejoin and the checks after rejoin (runbook step 6). */
  async function approveAndRejoin(version: string, outcome: 'done' | 'rolled-back'): Promise<InstanceRolloutResult> {
    await setPhase('AwaitingApproval');
    const approvalSummary = () =>
      [
        `## ${instance.id} waits for your approval to rejoin traffic`,
        outcome === 'rolled-back'
          ? `Rollout **${input.rolloutId}**: rolled back to **${version}** after a failure (target was ${targetVersion}).`
          : `Rollout **${input.rolloutId}**, target **${targetVersion}** (was ${progress.versionBefore}).`,
        '',
        '**Verified:**',
        '',
        ...progress.steps.filter((s) => s.status === 'ok').map((s) => `- ${s.step}${s.detail ? `: ${s.detail}` : ''}`),
        '',
        '**Check before approving:** your dashboards for this instance; clients of the rotated devices ' +
          `(${rotations.length ? rotations.map((r) => r.deviceId.slice(0, 12)).join(', ') : 'none'}) reconnect after rejoin.`,
        '',
        `**Approve:** Send a Signal \`approveRejoin\` with \`{"instance": "${instance.id}", "approver": "<you>", "comment": "..."}\``,
        `or \`npm run starter -- approve --instance ${instance.id} --approver <you>\`. Reject with \`rejectRejoin\` (same payload).`,
        progress.approvalTimeouts ? `\n_Asked ${progress.approvalTimeouts + 1} times: no decision within ${policy.approvalTimeout / 60_000} min; the instance stays drained._` : '',
      ].join('\n');
    const decision = await rejoinGate.wait(policy.approvalTimeout, () => setCurrentDetails(approvalSummary()), async () => {
      progress.approvalTimeouts++;
      await reportToParent();
      log.warn('approval timed out; instance stays drained, asking again', { instance: instance.id, times: progress.approvalTimeouts });
    });
    progress.decision = { ...decision, at: now() };
    if (decision.kind === 'reject') {
      await setPhase('Rejected');
      setCurrentDetails(`**${instance.id}** rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}. It stays out of traffic (drained) on ${progress.versionAfter}.`);
      return { ...progress, outcome: 'rejected' };
    }

    // 6. Rejoin and verify after rejoin.
    await setPhase('Rejoining');
    await step('rejoin', () => lbActs.lbReady(input.loadBalancer, instance.lbServer), () => `${instance.lbServer} ready, approved by ${decision.approver}`);
    state.rejoined = true;
    await setPhase('VerifyingAfterRejoin');
    for (const device of instance.devices.filter((d) => d.reconnectHook)) {
      await step(`reconnect hook after rejoin ${device.name ?? device.deviceId.slice(0, 12)}`, () => quick.runReconnectHook(target, device));
    }
    // ---- emergency repair (issue #4), behind patched('emergency-repair'): histories recorded before it
    // replay the original checks below. Still-failing rotated devices get an emergencyRepair child.
    if (patched('emergency-repair')) {
      const repairs = await verifyAfterRejoinWithRepairs({ cluster: input.cluster, instance, policy, taskQueue: input.taskQueue, rotations, step, quick, deviceWait, startedBy: input.startedBy });
      await setPhase('Done');
      log.info('instance rolled out', { instance: instance.id, version: progress.versionAfter, outcome, workflowId: workflowInfo().workflowId, repaired: repairs.length });
      return { ...progress, outcome };
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
    log.info('instance rolled out', { instance: instance.id, version: progress.versionAfter, outcome, workflowId: workflowInfo().workflowId });
    return { ...progress, outcome };
  }

  /**
   * An instance that already runs the target, healthy, is checked the way a finished one would be: in
   * traffic, channels healthy, no `device token mismatch` in the last mismatchWindow. Why not, or undefined
   * when it is finished and must be left alone (no drain, install, restart or rotation).
   */
  async function whyNotFinished(): Promise<string | undefined> {
    const [lb, channels, mismatches] = await Promise.all([
      lbActs.lbState(input.loadBalancer, instance.lbServer),
      quick.probeChannels(target),
      quick.countTokenMismatches(target, { sinceMs: Date.now() - policy.mismatchWindow }),
    ]);
    const problems = [
      // A command adapter cannot tell (unknown): roll it out again rather than leave it drained.
      ...(lb.admin === 'ready' || input.loadBalancer.type === 'none' ? [] : [`${instance.lbServer} is ${lb.admin === 'unknown' ? 'not known to be in traffic (the load balancer cannot tell)' : `${lb.admin} in the load balancer, not in traffic`}`]),
      ...(channels.healthy ? [] : ['channels probe not healthy']),
      ...(mismatches.count ? [`${mismatches.count} device token mismatch refusals in the last ${policy.mismatchWindow / 1000} s`] : []),
    ];
    return problems.length ? problems.join('; ') : undefined;
  }

  /** Runbook steps 1-6 towards the target. */
  async function rollForward(): Promise<InstanceRolloutResult> {
    // Patched: histories from before it drained first and had no backup step.
    const safetyNet = patched('already-on-target-and-backup-v1');
    let before: { version: string | null; healthy: boolean };
    if (safetyNet) {
      await setPhase('Verifying');
      before = await step('read version before', () => quick.gatewayStatus(target), (s) => `${s.version}`);
      progress.versionBefore = before.version;
      if (before.healthy && before.version === targetVersion && !input.force) {
        const why = await step('check whether already on target', whyNotFinished, (w) => (w ? `not finished, rolling it out again: ${w}` : 'healthy, in traffic, channels ok, no mismatch'));
        if (!why) {
          progress.versionAfter = before.version;
          progress.alreadyOnTarget = true;
          recorder.note('already on target', 'skipped', `runs ${targetVersion} healthy and in traffic: no drain, install, restart or rotation (start --force redoes it)`);
          await setPhase('Done');
          return { ...progress, outcome: 'already-on-target' };
        }
      }
      await setPhase('Draining');
    } else {
      // 1. Drain and wait for sessions to leave (at the deadline the rest are cut by the restart).
      await setPhase('Draining');
      before = await step('read version before', () => quick.gatewayStatus(target), (s) => `${s.version}`);
      progress.versionBefore = before.version;
    }
    state.drained = true; // from here on (even if the drain call's answer is lost) cleanup puts it back
    await drainAndWait('');

    // A verified backup with the release that runs, so a rollback can bring back the state from before.
    if (safetyNet) {
      const running = before.version ?? 'the running release';
      const made = await step(`backup (with ${running})`, () => install.createBackup(target, running), (b) =>
        'skipped' in b ? `no backup: ${b.skipped}` : `${b.path} (${(b.bytes / 1_048_576).toFixed(1)} MB, sha256 ${b.sha256.slice(0, 12)}…, verified)`,
      );
      progress.backup = made;
    }

    // 2-3. Update and doctor, restart and verify: the target version must be what runs now.
    if (safetyNet && instance.install.type === 'global' && canStopAndStart(instance) && patched('documented-update-sequence-v1')) {
      await updateAsDocumented();
    } else {
      await setPhase('Updating');
      state.changed = true;
      await step(`install ${targetVersion} (${instance.install.type})`, () => install.installVersion(target, targetVersion), (r) => `${Math.round(r.durationMs / 1000)} s`);
      await runDoctor('');
      await restartAndVerify(targetVersion);
    }

    // 4-5. Rotate the affected devices, then make their clients reconnect.
    await rotateAndReconnect();
    return approveAndRejoin(targetVersion, 'done');
  }

  /**
   * OpenClaw's documented update of an npm install (docs/install/updating/update-methods.md): doctor
   * with the running release (refuse early, nothing changed yet) → stop → install → the new release's
   * `doctor --fix` (the migrations it requires, e.g. a jump over several releases) → start → verify,
   * doctor again read-only. The instance is drained and backed up before.
   */
  async function updateAsDocumented() {
    await runDoctor(' (running release, before the update)');
    await setPhase('Updating');
    state.changed = true;
    state.stopped = true;
    await step('stop gateway', () => restart.stopGateway(target), (r) => `${r.command}`);
    await step(`install ${targetVersion} (${instance.install.type})`, () => install.installVersion(target, targetVersion), (r) => `${Math.round(r.durationMs / 1000)} s`);
    state.ran = true;
    await step(`doctor --fix with ${targetVersion} (migrations)`, () => install.runDoctorFix(target), (r) =>
      `${r.fixed.length ? `applied: ${r.fixed.join('; ')}` : r.migrationPendingBefore ? 'applied the pending state migration' : 'nothing to migrate'}${r.warnings.length ? `; ${r.warnings.length} warnings: ${r.warnings.join('; ')}` : ''}`,
    );
    await setPhase('Restarting');
    const started = await step('start gateway', () => restart.startGateway(target, targetVersion), (r) => `now ${r.version}`);
    state.stopped = false;
    progress.versionAfter = started.version;
    await verifyRunning(targetVersion);
    await runDoctor(' (after the start)');
  }

  /**
   * After a failed update, skipped or aborted: when nothing ran (no release started, no migration) and
   * the installed version is still the one from before (checked, not assumed), the instance is put back
   * as it was: started again if the update had stopped it, and returned to traffic. Returns whether it
   * did; otherwise the instance stays out of traffic for a human. Patched: older histories left it out.
   */
  async function backAsBefore(): Promise<boolean> {
    // An install cut off by a cancellation may have left a half-swapped tree: never trust it.
    const cutOff = state.inFlight?.startsWith('install') === true;
    if (!state.drained || state.rejoined || state.ran || cutOff || !progress.versionBefore || !patched('unchanged-back-in-traffic-v1')) return false;
    if (state.changed && (await quick.installedVersion(target)) !== progress.versionBefore) return false;
    if (state.stopped) await restart.startGateway(target, progress.versionBefore);
    await lbActs.lbReady(input.loadBalancer, instance.lbServer);
    state.stopped = false;
    recorder.note('put back in traffic', 'ok', `unchanged: ${progress.versionBefore} still installed and running`);
    return true;
  }

  /** After a failure past the rejoin the instance is serving again: drain it first, never restart it in traffic. */
  async function drainIfRejoined() {
    if (state.rejoined && patched('rollback-after-rejoin-drains')) {
      // As in rollForward: out of traffic from the drain call on (cleanup then lists it if cancelled).
      state.rejoined = false;
      rejoinGate.clear(); // the approval it rejoined with was for the target version: ask again
      await drainAndWait(' (rollback)');
    }
  }

  /**
   * The operator's rollback: the version it ran before, restarted and verified, then the normal approval.
   * With a backup from before the update it restores that state (below); without one (older histories, an
   * instance without local state) it reinstalls only, which works while the new release never started.
   */
  async function rollBack(): Promise<InstanceRolloutResult> {
    const version = progress.versionBefore!;
    await setPhase('RollingBack');
    state.changed = true;
    await drainIfRejoined();
    if (progress.backup && !('skipped' in progress.backup)) return rollBackFromBackup(version, progress.backup);
    await step(`install ${version} (rollback, ${instance.install.type})`, () => install.installVersion(target, version), (r) => `${Math.round(r.durationMs / 1000)} s`);
    await runDoctor(' (rollback)');
    await restartAndVerify(version);
    return approveAndRejoin(version, 'rolled-back');
  }

  /**
   * Rollback from the verified backup: the new release may have migrated the state, which the old one
   * refuses. Check the archive → stop → restore the state from before (the migrated one is moved aside and kept) → reinstall
   * the old release → its database preflight must say `exact` → doctor → start → verify → rotate again
   * if the roll-forward had rotated (the restore brought back the devices' old tokens) → the normal
   * approval before rejoin.
   */
  async function rollBackFromBackup(version: string, backup: BackupRecord): Promise<InstanceRolloutResult> {
    const file = backup.path.split('/').at(-1);
    // Before anything stops: a missing or changed archive fails here, with the gateway untouched.
    await step(`check backup ${file}`, () => install.checkBackupArchive(target, backup), () => `present, sha256 matches the one recorded at the backup`);
    await step('stop gateway (rollback)', () => restart.stopGateway(target), (r) => `${r.command}`);
    await step(`restore backup ${file}`, () => install.restoreBackup(target, backup), (r) => `state from before restored; the migrated state is kept at ${r.movedAsideTo}`);
    await step(`install ${version} (rollback, ${instance.install.type})`, () => install.installVersion(target, version), (r) => `${Math.round(r.durationMs / 1000)} s`);
    await step(`check restored databases with ${version}`, () => quick.checkRestoredDatabases(target).then((r) => {
      if (!r.allExact) {
        throw checkFailed(`\`openclaw database preflight\` of ${version} does not open the restored state unchanged: ${r.databases.filter((d) => d.status !== 'exact').map((d) => `${d.path}: ${d.status}`).join('; ')}. The gateway stays stopped; the migrated state is kept beside it.`);
      }
      return r;
    }), (r) => `${r.databases.length} databases exact`);
    await runDoctor(' (rollback)');
    await setPhase('Restarting');
    state.ran = true;
    const started = await step('start gateway (rollback)', () => restart.startGateway(target, version), (r) => `now ${r.version}`);
    progress.versionAfter = started.version;
    await verifyRunning(version);
    // The restore brought back the tokens from before the backup: rotate again only if the roll-forward
    // rotated since (a rotation kicks the clients off). Patched: older histories always rotated.
    const rotatedSinceBackup = rotations.length > 0;
    rotations.length = 0;
    if (rotatedSinceBackup || !patched('rotate-after-restore-only-if-rotated-v1')) await rotateAndReconnect();
    else recorder.note('rotate devices (rollback)', 'skipped', 'no rotation since the backup: the restored tokens are the ones the clients hold');
    return approveAndRejoin(version, 'rolled-back');
  }

  /** Ends the instance by the operator's skip or abort, flagged: out of traffic, or in it if it had rejoined. */
  async function leaveDrained(d: FailureDecision): Promise<InstanceRolloutResult> {
    const outcome = d.decision === 'skip' ? 'skipped' : 'aborted';
    const who = `${d.decision} by ${d.by}${d.comment ? ` (${d.comment})` : ''}`;
    progress.needsAttention = (await backAsBefore())
      ? `${who}: back in traffic, not updated (still ${progress.versionBefore}; the failed update changed nothing, checked)`
      : `${who}: left ${state.rejoined ? 'in traffic (it had rejoined)' : 'out of traffic'}${state.changed ? ` after changes (now ${progress.versionAfter ?? 'unknown version'})` : ', unchanged'}`;
    await setPhase(d.decision === 'skip' ? 'Skipped' : 'Aborted');
    setCurrentDetails(`**${instance.id}**: ${progress.needsAttention}.`);
    return { ...progress, outcome };
  }

  try {
    let run: () => Promise<InstanceRolloutResult> = rollForward;
    for (;;) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof OperatorDecided)) throw err;
        if (err.decision.decision === 'rollback') run = rollBack;
        else return await leaveDrained(err.decision);
      }
    }
  } catch (err) {
    if (!isCancellation(err) || !askOnFailure) throw err;
    // Cancelled (the rollout was aborted): leave the instance safe, whatever happens to the workflow.
    await CancellationScope.nonCancellable(async () => {
      if (state.drained && !state.changed) {
        await lbActs.lbReady(input.loadBalancer, instance.lbServer);
        progress.steps.push({ step: 'put back in traffic (cancelled before any change)', status: 'ok', startedAt: now(), endedAt: now() });
      } else if (state.changed && !state.rejoined && !(await backAsBefore().catch(() => false))) {
        progress.needsAttention = `cancelled after changes (${progress.steps.at(-1)?.step ?? 'unknown step'}): left out of traffic on ${progress.versionAfter ?? 'a partly updated install'}; check it, then return it with your load balancer`;
      }
      await setPhase('Cancelled');
    });
    throw err;
  }
}
