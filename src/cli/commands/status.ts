/** `status`: the rollout's progress table (or JSON); --watch refreshes it until the rollout ends. */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Command, CommandContext } from '../command.js';
import { rolloutHandle, withClient } from '../client.js';
import { progressTable, watchWriter } from '../views/status-view.js';
import { ConfigurationError } from '../../shared/errors.js';
import { progressQuery, type RolloutProgress } from '../../shared/messages/rollout.js';
import { liveInstances } from '../live-progress.js';

/** The rollout's progress and whether it still runs (status first: when it says ended, the progress read after it is the final one). */
async function readProgress(
  handle: WorkflowHandle,
  cluster: string,
): Promise<{ progress: RolloutProgress; running: boolean }> {
  try {
    const running = (await handle.describe()).status.name === 'RUNNING';
    return { progress: await liveInstances(handle, await handle.query(progressQuery)), running };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new ConfigurationError(`no rollout of cluster ${cluster} was found (${handle.workflowId})`);
    throw err;
  }
}

async function showStatus(handle: WorkflowHandle, { inventory, values, out, io }: CommandContext): Promise<number> {
  const show = watchWriter(out, values.watch === true && !values.json && (io.tty ?? process.stdout.isTTY === true));
  for (;;) {
    const { progress, running } = await readProgress(handle, inventory.cluster);
    const table = () =>
      progressTable(progress, { approvals: inventory.policy.approvals, startedBy: progress.startedBy });
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
              drain, time out of traffic (drain → rejoin), last check, waiting for whom. --watch
              refreshes until the rollout ends (in place on a terminal; a new table only on change
              otherwise); --json for scripts`,
  run: (ctx) => withClient(ctx.inventory, (client) => showStatus(rolloutHandle(client, ctx.inventory), ctx)),
};
