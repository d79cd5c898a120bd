/**
 * Runbook step 6: the human gate, then rejoin and the checks after rejoin (rotated devices back, no
 * refused connect over policy.mismatchWindow; still-failing devices get an emergency repair).
 */
import { log, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import { verifyAfterRejoinWithRepairs } from './repair-after-rejoin.js';
import { approvalQuestion } from './details.js';
import { promoteOnEvidence } from './promotion.js';
import { checkFailed, deviceLabel, type InstanceRun } from './run.js';
import { recordMismatchRefusals } from '../lib/metrics.js';
import { runDoctor, verifyRunning } from './steps.js';
import { OperatorDecided, type InstanceRolloutResult } from './types.js';
import type { RejoinDecision } from '../../shared/messages/rollout.js';

export async function approveAndRejoin(
  r: InstanceRun,
  version: string,
  outcome: 'done' | 'rolled-back',
): Promise<InstanceRolloutResult> {
  const { progress, instance, policy } = r;
  // canary mode after the canary (input.autoPromote): the instance soaks first and the policy may approve
  // on evidence; it waits for a human (AwaitingApproval) only when the policy did not promote it.
  const byPolicy = r.input.autoPromote && outcome === 'done' ? await promoteOnEvidence(r) : undefined;
  if (!byPolicy) await r.setPhase('AwaitingApproval');
  const question = () =>
    approvalQuestion({
      rolloutId: r.input.rolloutId,
      progress,
      version,
      targetVersion: r.targetVersion,
      outcome,
      rotations: r.rotations,
      policy,
      operatorCommand: r.input.operatorCommand,
    });
  const stopped = progress.promotion && !progress.promotion.promoted ? progress.promotion.why : undefined;
  const decision = byPolicy ? { ...byPolicy, kind: 'approve' as const } : await waitForHuman(r, question, stopped);
  progress.decision = { ...decision, at: r.now() };
  // A rejection is a decision point like a failed step (patched: older histories ended the instance here).
  if (decision.kind === 'reject' && r.askOnFailure && isPatched('reject-decides-v1'))
    return decideAfterRejection(r, { ...decision, kind: 'reject' }, version, outcome);
  if (decision.kind === 'reject') {
    await r.setPhase('Rejected');
    setCurrentDetails(
      `**${instance.id}** rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}. It stays out of traffic (drained) on ${progress.versionAfter}.`,
    );
    return { ...progress, outcome: 'rejected' };
  }

  await r.setPhase('Rejoining');
  await r.step(
    'rejoin',
    'rejoin',
    () => r.lb.lbReady(r.input.loadBalancer, instance.lbServer),
    () => `${instance.lbServer} ready, approved by ${decision.approver}`,
  );
  r.state.rejoined = true;
  await r.setPhase('VerifyingAfterRejoin');
  for (const device of instance.devices.filter((d) => d.reconnectHook)) {
    await r.step('reconnect-hook', `reconnect hook after rejoin ${deviceLabel(device)}`, () =>
      r.quick.runReconnectHook(r.target, device),
    );
  }
  // Emergency repair (patched): histories recorded before it replay the original checks.
  const repaired = isPatched('emergency-repair') ? (await verifyAfterRejoinWithRepairs(r)).length : undefined;
  if (repaired === undefined) await verifyAfterRejoinWithoutRepairs(r);
  if (r.state.doctorAfterRejoin) await runDoctor(r, ' (after the rejoin)');
  await r.setPhase('Done');
  log.info('instance rolled out', {
    instance: instance.id,
    version: progress.versionAfter,
    outcome,
    workflowId: workflowInfo().workflowId,
    ...(repaired !== undefined ? { repaired } : {}),
  });
  return { ...progress, outcome };
}

/**
 * After a rejection the instance waits, out of traffic, for the operator's decision: rollback (from its
 * backup), retry (check it again and ask again), skip (leave it out, flagged) or abort. Whatever follows,
 * the rejection stays recorded and the rollout stops after this instance.
 */
async function decideAfterRejection(
  r: InstanceRun,
  rejection: RejoinDecision & { kind: 'reject' },
  version: string,
  outcome: 'done' | 'rolled-back',
): Promise<InstanceRolloutResult> {
  r.progress.rejection = { ...rejection, at: r.now() };
  const by = `rejected by ${rejection.approver}${rejection.comment ? ` (${rejection.comment})` : ''}`;
  const d = await r.awaitFailureDecision(
    'rejoin approval',
    `${by}. It stays out of traffic on ${version}; the rollout stops after it. Rollback restores the state from its backup and ${r.progress.versionBefore ?? 'the release before'}; retry checks it again and asks again; skip leaves it out of traffic, flagged.`,
  );
  if (d.decision !== 'retry') throw new OperatorDecided(d);
  await verifyRunning(r, version);
  return approveAndRejoin(r, version, outcome);
}

/** The human gate: asks (the question, and why the policy did not promote) until someone decides. */
function waitForHuman(r: InstanceRun, question: () => string, stopped: string | undefined) {
  const { progress, instance, policy } = r;
  const ask = () =>
    setCurrentDetails(
      stopped ? `${question()}\n\n**Not promoted automatically (canary mode):** ${stopped}` : question(),
    );
  return r.rejoinGate.wait(policy.approvalTimeout, ask, async () => {
    progress.approvalTimeouts++;
    await r.reportToParent();
    log.warn('approval timed out; instance stays drained, asking again', {
      instance: instance.id,
      times: progress.approvalTimeouts,
    });
  });
}

/** The checks after rejoin as they ran before emergency repairs existed (older histories replay them). */
async function verifyAfterRejoinWithoutRepairs(r: InstanceRun): Promise<void> {
  const { policy, target } = r;
  for (const rot of r.rotations) {
    await r.step(
      'device-back',
      `device ${rot.deviceId.slice(0, 12)} connected again`,
      () =>
        r.deviceWait.waitForDeviceBack(target, rot, rot.rotatedAtMs).then((b) => {
          if (!b.back)
            throw checkFailed(
              `device ${rot.deviceId} did not reconnect within ${policy.reconnectDeadline / 1000} s after its rotation`,
            );
          return b;
        }),
      (b) => `back after ${Math.round(b.waitedMs / 1000)} s`,
    );
  }
  // Judge "no mismatch" over a window that starts once the rotated clients are back: a client's first
  // attempt after rejoin may still present its old token (runbook cause 1) before it re-authenticates.
  const windowStart = Date.now();
  await sleep(policy.mismatchWindow);
  await r.step(
    'verify-after-rejoin',
    'verify after rejoin',
    async () => {
      const [status, channels, mismatches] = await Promise.all([
        r.quick.gatewayStatus(target),
        r.quick.probeChannels(target),
        r.quick.countTokenMismatches(target, { sinceMs: windowStart }),
      ]);
      recordMismatchRefusals(r.place, 'verify-after-rejoin', mismatches.count, true);
      const problems = [
        ...(status.healthy ? [] : ['gateway not healthy']),
        ...(channels.healthy ? [] : ['channels probe not healthy']),
        ...(mismatches.count
          ? [
              `${mismatches.count} device token mismatch refusals in the window after rejoin: ${mismatches.samples.join(' | ')}`,
            ]
          : []),
      ];
      if (problems.length) throw checkFailed(problems.join('; '));
      return mismatches;
    },
    () => `healthy, channels ok, 0 mismatches over ${policy.mismatchWindow / 1000} s`,
  );
}
