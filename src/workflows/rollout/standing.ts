/**
 * One decision for many (`approve --batch`, `approve --rest`): checked here like any approval (allowed
 * approvers, four-eyes), then handed to each covered instance's child as its own approval (`via` batch
 * or rest), where the instance's gate checks it again and records it. A standing approval (rest, or
 * batch in mode batch) is handed to each covered instance as it reaches the gate; a pause, a rejection
 * or `approve --rest --withdraw` withdraws it. Never covered: an instance waiting after a rollback, or
 * one whose automatic promotion the evidence stopped (a human looks at those one by one).
 */
import { getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { instanceWorkflowId } from '../../shared/ids.js';
import {
  approvalRules,
  approveRejoin,
  checkApprover,
  type InstanceProgress,
  type RejoinDecision,
} from '../../shared/messages/rollout.js';
import {
  APPROVE_BATCH_DESCRIPTION,
  APPROVE_REST_DESCRIPTION,
  approveBatch,
  approveBatchUpdate,
  approveRest,
  approveRestUpdate,
  checkManyDecision,
  type ManyDecision,
  type ManyReceipt,
} from '../../shared/messages/standing.js';
import type { RolloutRun } from './run.js';

type Scope = 'batch' | 'rest';
type Vetted = { ok: true; value: ManyDecision } | { ok: false; problem: string };

/** Phases before the gate: the instance may still come to wait for approval in this batch. */
const BEFORE_GATE = new Set([
  'Pending',
  'Staging',
  'Draining',
  'Updating',
  'Restarting',
  'Verifying',
  'RotatingTokens',
]);

/** Why a waiting instance is not covered by an approval given for many, or undefined when it is. */
export function notCovered(slot: InstanceProgress): string | undefined {
  if (slot.decisions?.some((d) => d.decision === 'rollback')) return 'rolled back: approve it alone';
  if (slot.promotion && !slot.promotion.promoted)
    return `not promoted on evidence (${slot.promotion.why}): approve it alone`;
  return undefined;
}

const slotsOf = (r: RolloutRun, ids: string[]) => r.progress.instances.filter((i) => ids.includes(i.instance));
const waitingIn = (r: RolloutRun, ids: string[]) =>
  slotsOf(r, ids).filter((i) => i.phase === 'AwaitingApproval' && !r.handed.has(i.instance) && !notCovered(i));

function vet(r: RolloutRun, scope: Scope, raw: unknown): Vetted {
  const checked = checkManyDecision(raw, scope);
  if (!checked.ok) return { ok: false, problem: `invalid payload: ${checked.problem}` };
  const { approver, withdraw } = checked.value;
  const rules = approvalRules(r.inventory.policy.approvals);
  const refused = checkApprover(withdraw ? 'reject' : 'approve', approver, rules, r.input.startedBy);
  if (refused) return { ok: false, problem: refused };
  const { progress } = r;
  if (!['Preflight', 'RollingOut', 'Paused'].includes(progress.phase))
    return { ok: false, problem: `the rollout is ${progress.phase}: nothing left to approve` };
  if (withdraw && progress.standing?.scope !== 'rest')
    return { ok: false, problem: 'there is no standing approval for the rest to withdraw' };
  if (scope === 'batch') return vetBatch(r, rules.mode === 'batch', checked.value);
  return checked;
}

/** approve --batch needs a batch with instances waiting now (mode batch: or still on their way to the gate). */
function vetBatch(r: RolloutRun, standing: boolean, value: ManyDecision): Vetted {
  const current = r.progress.current;
  const slots = slotsOf(r, current);
  const open = standing
    ? slots.some((i) => BEFORE_GATE.has(i.phase) || i.phase === 'Failed' || i.phase === 'Soaking')
    : false;
  if (waitingIn(r, current).length || open) return { ok: true, value };
  const waitingAlone = slots.filter((i) => i.phase === 'AwaitingApproval' && notCovered(i));
  return {
    ok: false,
    problem: waitingAlone.length
      ? `no instance of the current batch can be approved with the batch: ${waitingAlone.map((i) => `${i.instance} ${notCovered(i)}`).join('; ')}`
      : `no instance of the current batch (${current.join(', ') || 'none'}) waits for approval`,
  };
}

/** Hands one instance its approval from a decision given for many. */
async function handTo(r: RolloutRun, id: string, d: ManyDecision, via: Scope): Promise<void> {
  r.handed.add(id);
  const value: RejoinDecision = {
    instance: id,
    approver: d.approver,
    via,
    ...(d.comment ? { comment: d.comment } : {}),
  };
  await getExternalWorkflowHandle(instanceWorkflowId(r.rolloutId, id)).signal(approveRejoin, value);
}

async function apply(r: RolloutRun, scope: Scope, d: ManyDecision): Promise<ManyReceipt> {
  const { progress } = r;
  if (d.withdraw) {
    withdrawStanding(r, d.approver, 'withdrawn (approve --rest --withdraw)');
    return { scope, approver: d.approver, approvedNow: [], standing: false, withdrawn: true };
  }
  const covered = progress.current.slice();
  const standing = scope === 'rest' || approvalRules(r.inventory.policy.approvals).mode === 'batch';
  if (standing) {
    progress.standing = {
      scope,
      approver: d.approver,
      at: r.now(),
      ...(d.comment ? { comment: d.comment } : {}),
      ...(scope === 'batch' ? { instances: covered } : {}),
    };
  }
  const now = waitingIn(r, covered).map((i) => i.instance);
  for (const id of now) await handTo(r, id, d, scope);
  log.info(`approval for ${scope === 'batch' ? 'the batch' : 'the rest'} accepted`, { approver: d.approver, now });
  return { scope, approver: d.approver, approvedNow: now, standing };
}

/** An instance reached the gate: hand it the standing approval that covers it, if any. */
export async function applyStanding(r: RolloutRun, id: string): Promise<void> {
  const s = r.progress.standing;
  if (!s || (s.scope === 'batch' && !s.instances?.includes(id))) return;
  if (!waitingIn(r, [id]).length) return;
  await handTo(r, id, { approver: s.approver, ...(s.comment ? { comment: s.comment } : {}) }, s.scope);
}

/** Withdraws the standing approval (recorded with who and why); nothing happens when there is none. */
export function withdrawStanding(r: RolloutRun, by: string, why: string): void {
  const s = r.progress.standing;
  if (!s) return;
  r.progress.withdrawn = { ...s, withdrawnBy: by, why, withdrawnAt: r.now() };
  r.progress.standing = undefined;
  log.info('standing approval withdrawn', { scope: s.scope, by, why });
}

/** A batch ended: its standing approval (mode batch) ends with it. */
export function endBatchStanding(r: RolloutRun): void {
  if (r.progress.standing?.scope === 'batch') r.progress.standing = undefined;
}

export function setStandingHandlers(r: RolloutRun): void {
  for (const [scope, signal, update, description] of [
    ['batch', approveBatch, approveBatchUpdate, APPROVE_BATCH_DESCRIPTION],
    ['rest', approveRest, approveRestUpdate, APPROVE_REST_DESCRIPTION],
  ] as const) {
    setHandler(
      signal,
      async (raw) => {
        const vetted = vet(r, scope, raw);
        if (!vetted.ok)
          return void r.progress.ignored.push({
            signal: signal.name,
            payload: raw,
            reason: vetted.problem,
            at: r.now(),
          });
        await apply(r, scope, vetted.value);
      },
      { description },
    );
    setHandler(update, (raw) => apply(r, scope, (vet(r, scope, raw) as { value: ManyDecision }).value), {
      validator: (raw) => {
        const vetted = vet(r, scope, raw);
        if (!vetted.ok) throw new Error(vetted.problem);
      },
      description: `Like the ${signal.name} signal, refused at once with the reason. ${description}`,
    });
  }
}
