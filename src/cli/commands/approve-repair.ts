/**
 * `approve-repair` and `reject-repair`: decide on the new pairing request of a waiting emergency repair
 * (started by hand, or by a rollout), through the repair's approval gate. One handler for both.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { optionProblem, type Command, type CommandContext } from '../command.js';
import { withClient } from '../client.js';
import { resolveDeviceTarget } from '../device-target.js';
import { sendUpdate } from '../updates.js';
import { ConfigurationError } from '../../shared/errors.js';
import { instanceWorkflowId, repairWorkflowId, rolloutWorkflowId } from '../../shared/ids.js';
import type { Instance, Inventory } from '../../shared/inventory.js';
import { approveRepairUpdate, rejectRepairUpdate } from '../../shared/messages/repair.js';
import { checkDecision } from '../../shared/messages/rollout.js';

/** The running repair of this device on this instance: started by hand, or by the instance's rollout. */
async function findRunningRepair(
  client: Client,
  inventory: Inventory,
  instance: Instance,
  deviceId: string,
): Promise<WorkflowHandle> {
  const candidates = [
    repairWorkflowId({ cluster: inventory.cluster }, instance.id, deviceId),
    repairWorkflowId(
      { instanceWorkflowId: instanceWorkflowId(rolloutWorkflowId(inventory.cluster), instance.id) },
      instance.id,
      deviceId,
    ),
  ];
  for (const id of candidates) {
    const handle = client.workflow.getHandle(id);
    try {
      if ((await handle.describe()).status.name === 'RUNNING') return handle;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  throw new ConfigurationError(
    `no emergency repair of ${deviceId} on ${instance.id} is running (looked for ${candidates.join(' and ')}). Start one with \`repair\`.`,
  );
}

function repairDecision(kind: 'approve' | 'reject') {
  return async ({ name, inventory, values, out }: CommandContext): Promise<number> => {
    const { instance, device } = resolveDeviceTarget(name, inventory, values);
    const checked = checkDecision({
      instance: instance.id,
      approver: values.approver,
      ...(values.comment ? { comment: values.comment } : {}),
    });
    if (!checked.ok) throw optionProblem(name, checked.problem, ['approver']);
    return withClient(inventory, async (client) => {
      const handle = await findRunningRepair(client, inventory, instance, device.deviceId);
      const receipt = await sendUpdate(
        handle,
        kind === 'approve' ? approveRepairUpdate : rejectRepairUpdate,
        checked.value,
        name,
        out,
      );
      if (!receipt) return 1;
      out(
        `${kind === 'approve' ? 'approval' : 'rejection'} of ${device.deviceId.slice(0, 12)}…'s pairing request by ${receipt.approver} accepted by ${receipt.deliveredTo}`,
      );
      return 0;
    });
  };
}

export const approveRepair: Command = {
  name: 'approve-repair',
  options: ['instance', 'device', 'role', 'approver', 'comment'],
  help: `  approve-repair  approve the new pairing request of a waiting repair (started by hand or by a rollout):
              --instance <id> --device <deviceId> --approver <name> [--comment <text>]
              The same rules as approve: refused at once (exit 1, nothing changes) when the repair is
              not waiting, the approver is not in policy.approvals.approvers, or (four-eyes) started
              the repair, or the rollout that started it`,
  run: repairDecision('approve'),
};

export const rejectRepair: Command = {
  name: 'reject-repair',
  options: ['instance', 'device', 'role', 'approver', 'comment'],
  help: `  reject-repair   do not approve it; the device stays revoked (same options)`,
  run: repairDecision('reject'),
};
