/**
 * One decision for many instances: `approve --batch` (every instance of the current batch that waits;
 * in policy.approvals.mode batch also those of the batch that reach the gate later) and `approve --rest`
 * (a standing approval for every instance that becomes ready from now on, until withdrawn by
 * `approve --rest --withdraw`, a pause or a rejection). The rollout checks them like any approval
 * (allowed approvers, four-eyes) and hands one approval per instance to its child, whose gate checks
 * it again and records it. Workflow-safe: no I/O.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';

/** What an operator sends to approve a batch or the rest of the rollout. */
export interface ManyDecision {
  approver: string;
  comment?: string;
  /** approveRest only: withdraw the standing approval instead of giving one. */
  withdraw?: boolean;
}

/** A standing approval: applied to each covered instance as it becomes ready. */
export interface StandingApproval {
  scope: 'batch' | 'rest';
  approver: string;
  comment?: string;
  at: string;
  /** scope batch: the instances it covers (the batch it was given for). */
  instances?: string[];
}

/** What an accepted approveBatchUpdate or approveRestUpdate returns. */
export interface ManyReceipt {
  scope: 'batch' | 'rest';
  approver: string;
  /** The instances that were waiting and were handed an approval now. */
  approvedNow: string[];
  /** The approval stays for instances that become ready later (rest; batch in mode batch). */
  standing: boolean;
  /** approveRest with withdraw: the standing approval was withdrawn. */
  withdrawn?: boolean;
}

export const approveBatch = defineSignal<[ManyDecision]>('approveBatch');
export const approveRest = defineSignal<[ManyDecision]>('approveRest');
export const approveBatchUpdate = defineUpdate<ManyReceipt, [ManyDecision]>('approveBatchUpdate');
export const approveRestUpdate = defineUpdate<ManyReceipt, [ManyDecision]>('approveRestUpdate');

export const APPROVE_BATCH_DESCRIPTION =
  'Approve every instance of the current batch that waits for approval (each one checked as if approved alone: allowed approvers, four-eyes). With policy.approvals.mode "batch" it also covers the instances of this batch that reach the gate later; it never covers another batch. Payload: {"approver": "alice", "comment": "..."}.';
export const APPROVE_REST_DESCRIPTION =
  'A standing approval for the rest of this rollout: every instance waiting now and every later one that reaches the approval gate on the target (not after a rollback) is approved as it becomes ready, in your name. Withdrawn by {"approver": "alice", "withdraw": true}, by a pause or by a rejection. Payload: {"approver": "alice", "comment": "..."}.';

/** Checks a batch or rest payload by hand (no zod in the workflow bundle). */
export function checkManyDecision(
  raw: unknown,
  scope: 'batch' | 'rest',
): { ok: true; value: ManyDecision } | { ok: false; problem: string } {
  const example = `{"approver": "alice", "comment": "..."${scope === 'rest' ? ', "withdraw": true' : ''}}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problem: `expected one JSON object like ${example}` };
  const r = raw as Record<string, unknown>;
  if (typeof r.approver !== 'string' || r.approver.trim() === '')
    return { ok: false, problem: 'approver: expected who approves, e.g. "alice"' };
  if (r.comment !== undefined && typeof r.comment !== 'string')
    return { ok: false, problem: 'comment: expected a string' };
  const known = scope === 'rest' ? ['approver', 'comment', 'withdraw'] : ['approver', 'comment'];
  const extra = Object.keys(r).filter((k) => !known.includes(k));
  if (extra.length) return { ok: false, problem: `unknown field(s) ${extra.join(', ')}: only ${known.join(', ')}` };
  if (r.withdraw !== undefined && typeof r.withdraw !== 'boolean')
    return { ok: false, problem: 'withdraw: expected true or false' };
  return {
    ok: true,
    value: {
      approver: r.approver.trim(),
      ...(r.comment ? { comment: r.comment } : {}),
      ...(r.withdraw ? { withdraw: true } : {}),
    },
  };
}
