/**
 * The Temporal activity that sends notifications (notify/): one target per call, so a retry resends to
 * that target only. Its deadline and retries are short (workflows/lib/notify.ts): a receiver that is
 * down or slow costs the rollout nothing, and its failure is recorded in progress, never thrown into it.
 */
import { Context } from '@temporalio/activity';
import type { NotificationTarget } from '../shared/inventory.js';
import type { Notice } from '../shared/notices.js';
import { asActivity } from './activity-wrap.js';
import { deliverNotice, type Delivery } from './notify/index.js';

/** Each attempt's deadline for one POST. */
export const NOTIFY_ATTEMPT_MS = 5_000;

export const notifyActivities = {
  /** POSTs `notice` to one target (webhook: signed JSON; slack: Block Kit). */
  async sendNotification(target: NotificationTarget, label: string, notice: Notice): Promise<Delivery> {
    const ctx = Context.current();
    return asActivity(() =>
      deliverNotice(target, label, notice, { timeoutMs: NOTIFY_ATTEMPT_MS, signal: ctx.cancellationSignal }),
    );
  },
};
