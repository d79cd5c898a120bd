/** `decide`: what to do after an instance's step failed (retry, rollback, skip or abort), sent as an Update. */
import { optionProblem, requireKnownInstance, type Command } from '../command.js';
import { onRunningRollout, rolloutHandle, withClient } from '../client.js';
import { sendUpdate } from '../updates.js';
import { checkFailureDecision, decideFailureUpdate } from '../../shared/messages/rollout.js';

export const decide: Command = {
  name: 'decide',
  options: ['instance', 'decision', 'by', 'comment'],
  help: `  decide      after an instance's step failed (after its retries; it stays out of traffic, or in
              traffic if it failed after rejoining, and the rollout waits):
              --instance <id> --decision retry|rollback|skip|abort --by <name>
              retry: run the failed step again; rollback: drain it if it had rejoined, reinstall
              the version it ran before, restart, verify, then ask again for approval to rejoin;
              skip: leave it as it is (drained, or in traffic if it had rejoined), flagged, and go
              on with the next instance; abort: stop the rollout there`,
  async run({ inventory, values, out }) {
    const checked = checkFailureDecision({
      instance: values.instance,
      decision: values.decision,
      by: values.by,
      ...(values.comment ? { comment: values.comment } : {}),
    });
    if (!checked.ok) throw optionProblem('decide', checked.problem, ['instance', 'decision', 'by']);
    requireKnownInstance('decide', inventory, checked.value.instance);
    return withClient(inventory, async (client) => {
      const handle = rolloutHandle(client, inventory);
      const receipt = await onRunningRollout(inventory, () =>
        sendUpdate(handle, decideFailureUpdate, checked.value, 'decide', out),
      );
      if (!receipt) return 1;
      out(
        `${receipt.decision} for ${receipt.instance} by ${checked.value.by} accepted (delivered to ${receipt.deliveredTo})`,
      );
      return 0;
    });
  },
};
