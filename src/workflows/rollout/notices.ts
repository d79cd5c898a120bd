/**
 * The cluster rollout's notifications (when the inventory has `notifications`): it watches its instances'
 * progress as the children report it and posts a notice when one starts waiting for approval, when a step
 * failed and waits for a decision, and when one stays out of traffic longer than
 * notifications.outOfTrafficAfter; and the report's summary when the rollout ends.
 */
import { CancellationScope, condition, workflowInfo } from '@temporalio/workflow';
import type { InstanceProgress } from '../../shared/messages/rollout.js';
import { outOfTraffic } from '../../shared/out-of-traffic.js';
import { notifierFor, type Notifier } from '../lib/notify.js';
import {
  awaitingApprovalNotice,
  outOfTrafficNotice,
  rolloutEndedNotice,
  stepFailedNotice,
  type RolloutPlace,
} from '../lib/notices.js';
import type { RolloutRun } from './run.js';
import type { ClusterRolloutReport } from './types.js';

export class RolloutNotices {
  private readonly watching = new Set<string>();
  private ended = false;

  constructor(
    private readonly r: RolloutRun,
    private readonly notifier: Notifier,
  ) {}

  /** When the instance left traffic (from its steps, or its last delta's), or undefined while it serves. */
  private outOfTrafficSince(p: InstanceProgress | undefined): string | undefined {
    return p ? (this.r.outSince.get(p.instance) ?? outOfTraffic(p).outSince) : undefined;
  }

  private place(): RolloutPlace {
    const { r } = this;
    return {
      cluster: r.inventory.cluster,
      rolloutId: r.rolloutId,
      targetVersion: r.targetVersion,
      namespace: workflowInfo().namespace,
      uiUrl: r.inventory.temporal.uiUrl,
      approvals: r.inventory.policy.approvals ?? { approvers: [], fourEyes: true },
      startedBy: r.input.startedBy,
      operatorCommand: r.input.operatorCommand,
      now: r.now(),
    };
  }

  /** An instance reported its progress (`before`: what the rollout knew until now). */
  instanceProgress(before: InstanceProgress | undefined, after: InstanceProgress): void {
    if (this.ended) return;
    if (after.phase === 'AwaitingApproval' && before?.phase !== 'AwaitingApproval')
      this.notifier.post(awaitingApprovalNotice(this.place(), after));
    if (after.phase === 'Failed' && after.failure && before?.failure?.at !== after.failure.at)
      this.notifier.post(stepFailedNotice(this.place(), after));
    if (this.outOfTrafficSince(after) && !this.watching.has(after.instance))
      void this.watchOutOfTraffic(after.instance);
  }

  /** One notice when the instance stays out of traffic past the threshold; watches again after it is back. */
  private async watchOutOfTraffic(id: string): Promise<void> {
    this.watching.add(id);
    const slot = () => this.r.progress.instances.find((i) => i.instance === id);
    const back = () => this.ended || !this.outOfTrafficSince(slot());
    const afterMs = this.notifier.config.outOfTrafficAfter;
    if (!(await condition(back, afterMs)) && slot())
      this.notifier.post(outOfTrafficNotice(this.place(), slot()!, this.outOfTrafficSince(slot())!, afterMs));
    await condition(back);
    this.watching.delete(id);
  }

  /** The report's summary; waits for the sends (bounded by their short deadline), even when cancelled. */
  async rolloutEnded(
    report: { outcome: string } & Partial<
      Pick<ClusterRolloutReport, 'instances' | 'needsAttention' | 'stoppedBecause' | 'compact'>
    >,
  ): Promise<void> {
    this.ended = true;
    // A compact report lists only the exceptions; the notice counts the others from the progress.
    const instances = report.compact ? this.r.progress.instances : (report.instances ?? []);
    const notice = rolloutEndedNotice(this.place(), { ...report, instances });
    await CancellationScope.nonCancellable(() => this.notifier.send(notice));
  }
}

/** The rollout's notices, or undefined (no notifications in the inventory, or a history from before them). */
export function rolloutNotices(r: RolloutRun): RolloutNotices | undefined {
  const notifier = notifierFor(
    r.inventory.notifications,
    workflowInfo().taskQueue,
    () => (r.progress.notificationFailures ??= []),
    r.now,
  );
  return notifier && new RolloutNotices(r, notifier);
}
