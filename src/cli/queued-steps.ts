/**
 * For `status`: an instance's step that no worker has taken. A queue that a worker polls hands a task
 * out within milliseconds, so an activity still only scheduled (not started) after QUEUED_NOTICE_MS waits
 * for a worker that is stopped (or busy): `status` names its task queue, and the step waits, not fails.
 * Read from the instance workflow's pending activities (`describe`); a retry waiting out its backoff is
 * not counted (its next attempt is scheduled in the future).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { instanceWorkflowId } from '../shared/ids.js';
import type { RolloutProgress } from '../shared/messages/rollout.js';

export const QUEUED_NOTICE_MS = 5_000;

/** An activity no worker has taken: its name, its task queue, and how long it has waited there. */
export interface QueuedStep {
  activity: string;
  taskQueue: string;
  waitedMs: number;
}

type PendingActivity = proto.temporal.api.workflow.v1.IPendingActivityInfo;
const { PENDING_ACTIVITY_STATE_SCHEDULED } = proto.temporal.api.enums.v1.PendingActivityState;

/** The first of `pending` that waits for a worker since QUEUED_NOTICE_MS or longer, at `now`. */
export function queuedStep(pending: PendingActivity[], now: number): QueuedStep | undefined {
  for (const a of pending) {
    if (a.state !== PENDING_ACTIVITY_STATE_SCHEDULED) continue;
    if (!a.scheduledTime) continue;
    const waitedMs = now - tsToMs(a.scheduledTime);
    const taskQueue = a.activityOptions?.taskQueue?.name;
    if (waitedMs >= QUEUED_NOTICE_MS && taskQueue)
      return { activity: a.activityType?.name ?? '?', taskQueue, waitedMs };
  }
  return undefined;
}

/** For each instance being rolled out now: the step waiting for a worker, if any (an instance that cannot be described is left out). */
export async function queuedSteps(
  rollout: WorkflowHandle,
  progress: Pick<RolloutProgress, 'rolloutId' | 'current'>,
  now = Date.now(),
): Promise<Map<string, QueuedStep>> {
  const found = await Promise.all(
    progress.current.map(async (id) => {
      const d = await rollout.client
        .getHandle(instanceWorkflowId(progress.rolloutId, id))
        .describe()
        .catch(() => undefined);
      const q = d && queuedStep(d.raw.pendingActivities ?? [], now);
      return q ? ([id, q] as const) : undefined;
    }),
  );
  return new Map(found.filter((x) => x !== undefined));
}
