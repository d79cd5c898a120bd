/**
 * The rollout's progress as `status` shows it: the rollout's own copy (each instance as it last reported
 * a phase it acts on, without steps while it runs: see src/shared/messages/phase-delta.ts), with the
 * instances being rolled out now asked directly (their own `progress` query: the current phase and step).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { instanceWorkflowId } from '../shared/ids.js';
import { phaseReported } from '../shared/messages/phase-delta.js';
import {
  instanceProgressQuery,
  progressQuery,
  type InstanceProgress,
  type RolloutProgress,
} from '../shared/messages/rollout.js';

/**
 * The rollout's progress with `live` instance slots in place of its own copies, except a phase the
 * rollout acts on (waiting for approval, ...) that its copy does not have yet (the child's signal is on
 * its way): until the rollout has it, the rollout's copy stands, so what `status` shows waiting for
 * approval is what `approve` accepts.
 */
export function withLiveInstances(progress: RolloutProgress, live: (InstanceProgress | undefined)[]): RolloutProgress {
  const byId = new Map(live.filter((i) => i !== undefined).map((i) => [i.instance, i]));
  const settled = (own: InstanceProgress) => {
    const now = byId.get(own.instance);
    if (!now) return own;
    return now.phase !== own.phase && phaseReported(now.phase, own.phase) ? own : now;
  };
  return { ...progress, instances: progress.instances.map(settled) };
}

/** The instances being rolled out now, asked directly; one that does not answer keeps the rollout's copy. */
export async function liveInstances(handle: WorkflowHandle, progress: RolloutProgress): Promise<RolloutProgress> {
  const live = await Promise.all(
    progress.current.map((id) =>
      handle.client
        .getHandle(instanceWorkflowId(progress.rolloutId, id))
        .query(instanceProgressQuery)
        .catch(() => undefined),
    ),
  );
  return withLiveInstances(progress, live);
}

/** The rollout's progress, its current instances live. */
export const liveProgress = async (handle: WorkflowHandle): Promise<RolloutProgress> =>
  liveInstances(handle, await handle.query(progressQuery));
