/**
 * `approve --batch` and `approve --rest [--withdraw]`: one decision for many instances, sent as an
 * Update the rollout checks like any approval (allowed approvers, four-eyes) before it hands each
 * covered instance its own approval. Refused at once, with the reason, when nothing is covered.
 */
import { optionProblem, UsageError, type CommandContext } from '../command.js';
import { onRunningRollout, rolloutHandle, withClient } from '../client.js';
import { sendUpdate } from '../updates.js';
import { approveBatchUpdate, approveRestUpdate, checkManyDecision } from '../../shared/messages/standing.js';

/** Which of --instance, --batch, --rest was given (exactly one), or the usage problem. */
export function approveScope(name: string, values: CommandContext['values']): 'instance' | 'batch' | 'rest' {
  const given = (['instance', 'batch', 'rest'] as const).filter((k) => values[k] !== undefined && values[k] !== false);
  if (given.length !== 1)
    throw new UsageError(
      `${name}: give exactly one of --instance <id> (one instance), --batch (the current batch) or --rest (every later instance)${given.length ? `; got --${given.join(' and --')}` : ''}`,
    );
  if (values.withdraw && given[0] !== 'rest')
    throw new UsageError(`${name}: --withdraw goes with --rest (approve --rest --withdraw --approver <you>)`);
  return given[0]!;
}

export async function approveMany(ctx: CommandContext, scope: 'batch' | 'rest'): Promise<number> {
  const { name, inventory, values, out } = ctx;
  const checked = checkManyDecision(
    {
      approver: values.approver,
      ...(values.comment ? { comment: values.comment } : {}),
      ...(values.withdraw ? { withdraw: true } : {}),
    },
    scope,
  );
  if (!checked.ok) throw optionProblem(name, checked.problem, ['approver', 'comment']);
  return withClient(inventory, async (client) => {
    const handle = rolloutHandle(client, inventory);
    const update = scope === 'batch' ? approveBatchUpdate : approveRestUpdate;
    const receipt = await onRunningRollout(inventory, () => sendUpdate(handle, update, checked.value, name, out));
    if (!receipt) return 1;
    if (receipt.withdrawn) {
      out(`standing approval for the rest withdrawn by ${receipt.approver} (${handle.workflowId})`);
      return 0;
    }
    const now = receipt.approvedNow.length ? `approved now: ${receipt.approvedNow.join(', ')}` : 'none waits now';
    const later = receipt.standing
      ? scope === 'rest'
        ? '; stands for every later instance until withdrawn (approve --rest --withdraw, pause or a rejection)'
        : '; stands for the instances of this batch that reach the gate later'
      : '';
    out(
      `approval of the ${scope === 'batch' ? 'batch' : 'rest'} by ${receipt.approver} accepted by ${handle.workflowId}: ${now}${later}`,
    );
    return 0;
  });
}
