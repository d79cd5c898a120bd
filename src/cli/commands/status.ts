/** `status`: the rollout's progress table (or JSON); --watch refreshes it until the rollout ends. */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Command, CommandContext } from '../command.js';
import { rolloutHandle, withClient } from '../client.js';
import { queuedSteps, type QueuedStep } from '../queued-steps.js';
import { progressTable, watchWriter } from '../views/status-view.js';
import { ConfigurationError } from '../../shared/errors.js';
import { instanceWorkflowId } from '../../shared/ids.js';
import {
  instanceProgressQuery,
  progressQuery,
  type InstanceProgress,
  type RolloutProgress,
} from '../../shared/messages/rollout.js';

/**
 * The rollout's progress with `live` instance slots in place of its own copies: the rollout's copy of an
 * instance is updated at each phase change, the instance's own workflow at each step (what it runs now).
 */
export function withLiveInstances(progress: RolloutProgress, live: (InstanceProgress | undefined)[]): RolloutProgress {
  const byId = new Map(live.filter((i) => i !== undefined).map((i) => [i.instance, i]));
  return { ...progress, instances: progress.instances.map((i) => byId.get(i.instance) ?? i) };
}

/** The instances being rolled out now, asked directly; one that does not answer keeps the rollout's copy. */
async function liveInstances(handle: WorkflowHandle, progress: RolloutProgress): Promise<RolloutProgress> {
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

/** The rollout's progress and whether it still runs (status first: when it says ended, the progress read after it is the final one). */
async function readProgress(
  handle: WorkflowHandle,
  cluster: string,
): Promise<{ progress: RolloutProgress; running: boolean; queued: Map<string, QueuedStep> }> {
  try {
    const running = (await handle.describe()).status.name === 'RUNNING';
    const progress = await liveInstances(handle, await handle.query(progressQuery));
    return { progress, running, queued: running ? await queuedSteps(handle, progress) : new Map<string, QueuedStep>() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new ConfigurationError(`no rollout of cluster ${cluster} was found (${handle.workflowId})`);
    throw err;
  }
}

async function showStatus(handle: WorkflowHandle, { inventory, values, out, io }: CommandContext): Promise<number> {
  const show = watchWriter(out, values.watch === true && !values.json && (io.tty ?? process.stdout.isTTY === true));
  for (;;) {
    const { progress, running, queued } = await readProgress(handle, inventory.cluster);
    const table = () =>
      progressTable(progress, { approvals: inventory.policy.approvals, startedBy: progress.startedBy, queued });
    if (values.json) out(JSON.stringify(progress, null, values.watch ? undefined : 2));
    else if (values.watch) show(table());
    else out(table());
    if (!values.watch || !running || io.stop?.aborted) return 0;
    await new Promise((r) => setTimeout(r, io.pollMs ?? 3000));
  }
}

export const status: Command = {
  name: 'status',
  options: ['watch'],
  help: `  status      the rollout's progress: instance, phase, version before → after, sessions left at the
              drain, time out of traffic (drain → rejoin), last check, waiting for whom (or for a
              worker: the task queue of a step no worker took); --watch
              refreshes until the rollout ends (in place on a terminal; a new table only on change
              otherwise); --json for scripts`,
  run: (ctx) => withClient(ctx.inventory, (client) => showStatus(rolloutHandle(client, ctx.inventory), ctx)),
};
