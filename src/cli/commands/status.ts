/** `status`: the rollout's progress table (or JSON); --watch refreshes it until the rollout ends. */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { requireKnownInstance, type Command, type CommandContext } from '../command.js';
import { rolloutHandle, withClient } from '../client.js';
import { queuedSteps, type QueuedStep } from '../queued-steps.js';
import { instanceDetail, progressTable, watchWriter } from '../views/status-view.js';
import { ConfigurationError } from '../../shared/errors.js';
import { instanceWorkflowId } from '../../shared/ids.js';
import {
  instanceProgressQuery,
  progressQuery,
  type InstanceProgress,
  type RolloutProgress,
} from '../../shared/messages/rollout.js';
import { liveInstances } from '../live-progress.js';
import { listRepairs } from '../repairs.js';
import { repairsSection } from '../views/repairs-view.js';

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

/**
 * One instance in full: its own workflow's progress (every step), or the rollout's copy when that does
 * not answer (not started yet, or no worker to answer for a closed workflow).
 */
export async function readInstance(
  handle: WorkflowHandle,
  progress: RolloutProgress,
  id: string,
): Promise<{ instance: InstanceProgress; source: string }> {
  const workflowId = instanceWorkflowId(progress.rolloutId, id);
  const own = await handle.client
    .getHandle(workflowId)
    .query(instanceProgressQuery)
    .catch(() => undefined);
  if (own) return { instance: own, source: `its workflow ${workflowId}` };
  const copy = progress.instances.find((i) => i.instance === id)!;
  return { instance: copy, source: `the rollout's copy: ${workflowId} did not answer` };
}

async function showStatus(handle: WorkflowHandle, command: CommandContext): Promise<number> {
  const { inventory, values, out, io, invokedAs } = command;
  const show = watchWriter(out, values.watch === true && !values.json && (io.tty ?? process.stdout.isTTY === true));
  const id = values.instance?.trim();
  if (id !== undefined) requireKnownInstance('status', inventory, id);
  const repairList = () => listRepairs(handle.client, inventory.cluster, id);
  const repairs = async () => repairsSection(await repairList(), id);
  for (;;) {
    const { progress, running, queued } = await readProgress(handle, inventory.cluster).catch(async (err: unknown) => {
      // No rollout: repairs started by hand may still run; show them before the error.
      if (err instanceof ConfigurationError)
        out(values.json ? JSON.stringify({ repairs: await repairList() }) : await repairs());
      throw err;
    });
    const ctx = { approvals: inventory.policy.approvals, startedBy: progress.startedBy, queued, invokedAs };
    const one = id === undefined ? undefined : await readInstance(handle, progress, id);
    const view = one ? one.instance : progress;
    const table = async () =>
      `${one ? instanceDetail(progress, one.instance, one.source, ctx) : progressTable(progress, ctx)}\n\n${await repairs()}`;
    // The repairs ride along as one more field, so scripts that read the progress keep working.
    if (values.json) out(JSON.stringify({ ...view, repairs: await repairList() }, null, values.watch ? undefined : 2));
    else if (values.watch) show(await table());
    else out(await table());
    if (!values.watch || !running || io.stop?.aborted) return 0;
    await new Promise((r) => setTimeout(r, io.pollMs ?? 3000));
  }
}

export const status: Command = {
  name: 'status',
  options: ['watch', 'instance'],
  help: `  status      the rollout's progress: instance, phase, version before → after, sessions left at the
              drain, time out of traffic (drain → rejoin), last check, waiting for whom (or for a
              worker: the task queue of a step no worker took); --watch
              refreshes until the rollout ends (in place on a terminal; a new table only on change
              otherwise); --instance <id>: that instance in full, every step from its own workflow;
              below the table the cluster's (or the instance's) emergency repairs, running or finished
              in the last 24 h; --json for scripts: the rollout's (or the instance's) progress with
              \`repairs\` ({rows, truncated}) beside it; without a rollout, only \`repairs\``,
  run: (ctx) => withClient(ctx.inventory, (client) => showStatus(rolloutHandle(client, ctx.inventory), ctx)),
};
