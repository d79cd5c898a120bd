/**
 * The workflows' one way to send a notification: each target of `notifications.targets` gets the notice
 * from its own `sendNotification` activity (short deadline, few retries: activity-options.ts). `post`
 * starts the sends and returns at once; `send` resolves when they settled (for the rollout's last
 * message). Neither ever rejects: a failed send is recorded in the progress (`notificationFailures`,
 * shown by `status`) and logged, never thrown into the rollout.
 *
 * Every send is a new command in the workflow's history: `notifierFor` returns one only when the inventory
 * has notifications and `patched('notifications-v1')` says this run may send (older histories replay).
 */
import { isCancellation, log } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import type { NotificationsConfig } from '../../shared/inventory.js';
import { targetLabel, type Notice, type NotificationFailure } from '../../shared/notices.js';
import { notifyActivities } from '../activity-options.js';
import { failureMessage } from './step-recorder.js';
import { recordNotificationFailed } from './metrics.js';

export class Notifier {
  private readonly acts;

  constructor(
    readonly config: NotificationsConfig,
    taskQueue: string,
    /** Where failures go (the workflow's progress). */
    private readonly failures: () => NotificationFailure[],
    private readonly now: () => string,
  ) {
    this.acts = notifyActivities(taskQueue);
  }

  /** Sends to every target and resolves when all settled; never rejects. */
  send(notice: Notice): Promise<void> {
    const sends = this.config.targets.map((target, i) => {
      const label = targetLabel(target, i);
      return this.acts.sendNotification(target, label, notice).then(
        () => undefined,
        (err: unknown) => {
          if (isCancellation(err)) return;
          const failure: NotificationFailure = {
            target: label,
            event: notice.event,
            ...(notice.instance ? { instance: notice.instance } : {}),
            error: failureMessage(err),
            at: this.now(),
          };
          this.failures().push(failure);
          recordNotificationFailed(notice.cluster, notice.event);
          log.warn('notification not delivered', { ...failure });
        },
      );
    });
    return Promise.all(sends).then(() => undefined);
  }

  /** Starts the sends and returns at once (the rollout never waits for a receiver). */
  post(notice: Notice): void {
    void this.send(notice);
  }
}

/** A notifier when the inventory has notifications (and this run records them: patched), else undefined. */
export function notifierFor(
  config: NotificationsConfig | undefined,
  taskQueue: string,
  failures: () => NotificationFailure[],
  now: () => string,
): Notifier | undefined {
  if (!config?.targets.length || !isPatched('notifications-v1')) return undefined;
  return new Notifier(config, taskQueue, failures, now);
}
