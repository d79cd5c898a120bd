/**
 * The one step recorder of the workflows: runs a step, and keeps its record (name, running → ok or
 * failed, start and end time, a detail in plain words) in the workflow's progress, where `status`, the
 * Web UI's current details and the report read it. What happens after a failure is the caller's: the
 * instance rollout asks the operator, the emergency repair fails.
 */
import type { StepRecord } from '../../shared/messages/rollout.js';
import type { StepId } from '../../shared/steps.js';

/**
 * The message an operator needs from a failure: Temporal wraps an activity's own error in an
 * ActivityFailure whose message is only "Activity task failed"; the cause says what went wrong.
 */
export function failureMessage(err: unknown): string {
  let e = err as (Error & { cause?: unknown }) | undefined;
  while (e?.cause instanceof Error && /^(Activity task failed|Child Workflow execution failed)/.test(e.message))
    e = e.cause;
  return e?.message ?? String(err);
}

export class StepRecorder {
  constructor(
    private readonly steps: StepRecord[],
    private readonly now: () => string,
    /** Told of each step run that ended (ok or failed, with the failure): the workflow's metrics. */
    private readonly ended?: (record: StepRecord, err?: unknown) => void,
  ) {}

  /**
   * Runs `run` as the step `id`, shown as `label`: recorded as running, then ok (with `detail` of the
   * result) or failed (with the failure's message, `describe(err)`). The failure is rethrown for the
   * caller to handle.
   */
  async run<T>(
    id: StepId,
    label: string,
    run: () => Promise<T>,
    detail?: (r: T) => string,
    describe: (err: unknown) => string = failureMessage,
  ): Promise<T> {
    const record: StepRecord = { id, step: label, status: 'running', startedAt: this.now() };
    this.steps.push(record);
    try {
      const result = await run();
      record.status = 'ok';
      record.detail = detail?.(result);
      record.endedAt = this.now();
      this.ended?.(record);
      return result;
    } catch (err) {
      record.status = 'failed';
      record.detail = describe(err);
      record.endedAt = this.now();
      this.ended?.(record, err);
      throw err;
    } finally {
      record.endedAt ??= this.now();
    }
  }

  /** Records a step that was decided without running anything (e.g. left alone, already on target). */
  note(id: StepId, label: string, status: StepRecord['status'], detail?: string): void {
    const at = this.now();
    this.steps.push({ id, step: label, status, startedAt: at, endedAt: at, ...(detail ? { detail } : {}) });
  }

  /** The steps as a markdown list, for the Web UI's current details. */
  text(): string {
    return this.steps.map((s) => `- ${s.step}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`).join('\n');
  }
}
