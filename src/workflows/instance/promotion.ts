/**
 * canary mode: once a human approved the canary, each later instance may be promoted by the policy in
 * place of a human. After its checks and rotations it soaks (still drained) for policy.approvals.soak;
 * then its health, channels and refused connects since the soak began are judged against the baseline
 * its preflight took (src/shared/promotion.ts). A promotion is recorded as made by the policy, with its
 * evidence; anything above the threshold, or any missing data, records why and asks a human.
 */
import { recordMismatchRefusals } from '../lib/metrics.js';
import { log, sleep } from '@temporalio/workflow';
import { approvalRules, type RejoinDecision } from '../../shared/messages/rollout.js';
import { judgePromotion, type SoakFacts } from '../../shared/promotion.js';
import { failureMessage } from '../lib/step-recorder.js';
import type { InstanceRun } from './run.js';

/** The policy's approval, or undefined when a human must decide (progress.promotion says why). */
export async function promoteOnEvidence(r: InstanceRun): Promise<RejoinDecision | undefined> {
  const { progress, instance } = r;
  const rules = approvalRules(r.policy.approvals);
  await r.setPhase('Soaking');
  const sinceMs = Date.now();
  await sleep(rules.soak);
  let facts: SoakFacts | undefined;
  let missing = '';
  try {
    facts = await r.recorder.run(
      'soak',
      `soak ${Math.round(rules.soak / 1000)} s (canary mode)`,
      () => r.quick.soakEvidence(r.target, sinceMs),
      (f) =>
        `${f.refused} refused connects, ${f.healthy ? 'healthy' : 'NOT healthy'}, channels ${f.channelsOk ? 'ok' : 'NOT ok'}`,
    );
  } catch (err) {
    missing = `could not gather the soak's evidence (${failureMessage(err)}): never promoted on no data`;
  }
  if (facts) recordMismatchRefusals(r.place, 'soak', facts.mismatches, true);
  const baseline = r.input.autoPromote?.baseline ?? null;
  const verdict = judgePromotion(facts, baseline, rules);
  const why = missing || verdict.why;
  progress.promotion = {
    promoted: verdict.promoted && !missing,
    why,
    soakMs: rules.soak,
    at: r.now(),
    ...(facts ? { evidence: { ...facts, baseline, allowed: verdict.allowed } } : {}),
  };
  if (!progress.promotion.promoted) {
    log.warn('automatic promotion stopped: a human decides', { instance: instance.id, why });
    return undefined;
  }
  log.info('promoted by the policy (canary mode)', { instance: instance.id, why });
  return { instance: instance.id, approver: 'policy', via: 'policy', comment: `canary mode, on evidence: ${why}` };
}
