/**
 * `approve` and `reject`: let a waiting instance rejoin traffic, or keep it out (it then waits for a decision) and stop the rollout.
 * One handler for both: the same options, the same Update path, only the Update differs.
 */
import { optionProblem, requireKnownInstance, type Command, type CommandContext } from '../command.js';
import { onRunningRollout, rolloutHandle, withClient } from '../client.js';
import { sendUpdate } from '../updates.js';
import { approveMany, approveScope } from './approve-many.js';
import { approveRejoinUpdate, checkDecision, rejectRejoinUpdate } from '../../shared/messages/rollout.js';

function rejoinDecision(kind: 'approve' | 'reject') {
  return async (ctx: CommandContext): Promise<number> => {
    const { name, inventory, values, out } = ctx;
    const scope = kind === 'approve' ? approveScope(name, values) : 'instance';
    if (scope !== 'instance') return approveMany(ctx, scope);
    const checked = checkDecision({
      instance: values.instance,
      approver: values.approver,
      ...(values.comment ? { comment: values.comment } : {}),
    });
    if (!checked.ok) throw optionProblem(name, checked.problem, ['instance', 'approver']);
    requireKnownInstance(name, inventory, checked.value.instance);
    return withClient(inventory, async (client) => {
      const handle = rolloutHandle(client, inventory);
      const update = kind === 'approve' ? approveRejoinUpdate : rejectRejoinUpdate;
      const receipt = await onRunningRollout(inventory, () => sendUpdate(handle, update, checked.value, name, out));
      if (!receipt) return 1;
      out(
        `${kind === 'approve' ? 'approval' : 'rejection'} of ${receipt.instance} by ${receipt.approver} accepted by ${handle.workflowId} (delivered to ${receipt.deliveredTo})`,
      );
      return 0;
    });
  };
}

export const approve: Command = {
  name: 'approve',
  options: ['instance', 'batch', 'rest', 'withdraw', 'approver', 'comment'],
  help: `  approve     let a waiting instance rejoin traffic: --instance <id> --approver <name> [--comment <text>]
              Refused at once (exit 1, nothing changes) when that instance is not waiting, the approver
              is not in policy.approvals.approvers, or (four-eyes, the default) started the rollout.
              --batch instead of --instance: every instance of the current batch that waits (in
              policy.approvals.mode batch also those of the batch still on their way to the gate).
              --rest: a standing approval for every instance that waits now or later, applied as each
              becomes ready; --rest --withdraw takes it back (so do pause and a rejection). Neither
              covers an instance waiting after a rollback, or one the canary mode did not promote`,
  run: rejoinDecision('approve'),
};

export const reject: Command = {
  name: 'reject',
  options: ['instance', 'approver', 'comment'],
  help: `  reject      keep a waiting instance out of traffic and stop the rollout after it (same options;
              four-eyes does not apply: anyone allowed may stop a rollout); the instance then waits
              for \`decide\`: rollback (from its backup), retry (check again, ask again), skip, abort`,
  run: rejoinDecision('reject'),
};
