/**
 * The one approval gate: every workflow that waits for a human (an instance's return to traffic, the
 * decision after a failed step, an emergency repair's pairing approval) takes the decision through it.
 *
 * A decision arrives as a signal (the Web UI's path) or as an Update (the starter's path). Both go
 * through the same checks, in this order: the payload's shape, that it names this workflow's instance,
 * that the workflow is waiting for such a decision now, and the approval rules (policy.approvals:
 * allowed approvers; four-eyes: nobody approves what they started). An Update that fails a check is
 * refused at once with the reason (its validator throws: nothing is recorded, nothing changes); a
 * signal that fails one is recorded as ignored with the same reason. An accepted decision waits in the
 * gate until the workflow takes it with `wait()`, which asks again (re-renders the question) every
 * `timeoutMs` while nobody decides.
 *
 * Workflow-safe: no I/O besides `condition`.
 */
import { condition } from '@temporalio/workflow';
import { approvalRules, checkApprover, type IgnoredMessage, type WhoMayDecide } from '../../shared/messages/rollout.js';

/** What the gate needs to know about a decision of type D. */
export interface GateSpec<D, K extends string> {
  /** Where ignored signals are recorded (the workflow's progress). */
  ignored: IgnoredMessage[];
  /** Checks the payload's shape (workflow-safe, no zod) for a decision of `kind` (e.g. approve or reject):
   *  the value or the problem in plain words. */
  parse: (raw: unknown, kind: K) => { ok: true; value: D } | { ok: false; problem: string };
  /** Why this decision is not for this workflow (e.g. it names another instance), or undefined. */
  misaddressed?: (value: D) => string | undefined;
  /** Why the workflow does not take such a decision now (it is not waiting), or undefined when it waits. */
  notWaiting: (value: D) => string | undefined;
  /** Who decides, and whether the decision lets something through (four-eyes applies to those). */
  who: (value: D) => { name: string; kind: 'approve' | 'reject' };
  rules: WhoMayDecide | undefined;
  /** Who started what is being decided on (four-eyes): the rollout's or the repair's starter. */
  startedBy: string | undefined;
  /** What `startedBy` started, for the four-eyes refusal (default "this rollout"). */
  subject?: string;
  /** Workflow time as ISO text, for the records. */
  now: () => string;
  /** Told how long each wait() lasted once its decision came (the workflow's metrics). */
  waited?: (ms: number) => void;
}

export type Vetted<D> = { ok: true; value: D } | { ok: false; problem: string };

export class ApprovalGate<D, K extends string = string> {
  private pending: D | undefined;

  constructor(private readonly spec: GateSpec<D, K>) {}

  /** Every check, in order; the first that fails gives the reason. */
  vet(kind: K, raw: unknown): Vetted<D> {
    const parsed = this.spec.parse(raw, kind);
    if (!parsed.ok) return { ok: false, problem: `invalid payload: ${parsed.problem}` };
    const value = parsed.value;
    const problem =
      this.spec.misaddressed?.(value) ??
      (this.pending !== undefined ? 'a decision was already accepted and is being carried out' : undefined) ??
      this.spec.notWaiting(value) ??
      checkApprover(
        this.spec.who(value).kind,
        this.spec.who(value).name,
        approvalRules(this.spec.rules),
        this.spec.startedBy,
        this.spec.subject,
      );
    return problem ? { ok: false, problem } : { ok: true, value };
  }

  /** The signal path: accepted, or recorded as ignored with the reason. Returns the reason when ignored. */
  offer(signal: string, kind: K, raw: unknown): string | undefined {
    const vetted = this.vet(kind, raw);
    if (!vetted.ok) {
      this.spec.ignored.push({ signal, payload: raw, reason: vetted.problem, at: this.spec.now() });
      return vetted.problem;
    }
    this.pending = vetted.value;
    return undefined;
  }

  /** The Update's validator: throws the reason, so the caller is refused at once and nothing changes. */
  validate(kind: K, raw: unknown): void {
    const vetted = this.vet(kind, raw);
    if (!vetted.ok) throw new Error(vetted.problem);
  }

  /** The Update's handler (after `validate` passed): takes the decision; returns the checked value. */
  accept(kind: K, raw: unknown): D {
    const vetted = this.vet(kind, raw);
    if (!vetted.ok) throw new Error(vetted.problem); // state changed between validator and handler
    this.pending = vetted.value;
    return vetted.value;
  }

  /** Whether a decision is waiting to be taken. */
  get hasDecision(): boolean {
    return this.pending !== undefined;
  }

  /** Forgets an accepted decision that no longer applies (e.g. an approval given for another version). */
  clear(): void {
    this.pending = undefined;
  }

  /**
   * Waits for an accepted decision and takes it. Every `timeoutMs` without one, `askAgain` runs (count
   * the timeout, re-render the question); `ask` renders the question before each wait.
   */
  async wait(timeoutMs: number, ask: () => void | Promise<void>, askAgain: () => void | Promise<void>): Promise<D> {
    const since = Date.now();
    while (this.pending === undefined) {
      await ask();
      if (!(await condition(() => this.pending !== undefined, timeoutMs))) await askAgain();
    }
    const decision = this.pending;
    this.pending = undefined;
    this.spec.waited?.(Date.now() - since);
    return decision;
  }
}
