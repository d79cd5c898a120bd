/** `abort`: cancel the running rollout, with the reason and who asked recorded first (a cancellation carries no reason). */
import { UsageError, optionProblem, type Command } from '../command.js';
import { onRunningRollout, rolloutHandle, withClient } from '../client.js';
import { abortReason, checkAbortRequest } from '../../shared/messages/rollout.js';

export const abort: Command = {
  name: 'abort',
  options: ['reason', 'by'],
  help: `  abort       cancel the running rollout: --reason <text> --by <name> (both recorded in the rollout
              and its report). An instance drained but not yet changed goes back into traffic; a changed
              one stays drained and is listed as needing attention`,
  async run({ inventory, values, out }) {
    if (!values.reason?.trim())
      throw new UsageError('abort: say why with --reason <text> (recorded in the rollout and its report, with --by)');
    const checked = checkAbortRequest({ by: values.by ?? process.env.USER ?? '', reason: values.reason });
    if (!checked.ok) throw optionProblem('abort', checked.problem, ['by', 'reason']);
    return withClient(inventory, async (client) => {
      const handle = rolloutHandle(client, inventory);
      await onRunningRollout(inventory, async () => {
        await handle.signal(abortReason, checked.value);
        await handle.cancel();
      });
      out(
        `cancellation of ${handle.workflowId} requested by ${checked.value.by} (${checked.value.reason}): an instance drained but not yet changed goes back into traffic; a changed one stays drained and is listed as needing attention (status shows it)`,
      );
      return 0;
    });
  },
};
