/**
 * Decisions go to a workflow as Updates, not signals: the workflow checks them (waiting? allowed
 * approver? four-eyes?) and the operator learns at once when one is refused. Nothing changes on a refusal.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Out } from './command.js';

/** The workflow's receipt, or undefined after printing why it refused ("<command> refused by <id>: <why>. Nothing was changed."). */
export async function sendUpdate<Ret, Arg>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  command: string,
  out: Out,
): Promise<Ret | undefined> {
  try {
    return await handle.executeUpdate(update, { args: [arg] });
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    out(`${command} refused by ${handle.workflowId}: ${err.cause?.message ?? err.message}. Nothing was changed.`);
    return undefined;
  }
}
