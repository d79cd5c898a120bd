/**
 * `repair`: the emergency repair of one device on one instance (runbook "Emergency repair path"):
 * revoke its role, wait for its new pairing request, approve it after an operator's approval, verify.
 */
import type { Client } from '@temporalio/client';
import { operatorName, type Command, type CommandContext } from '../command.js';
import { startOnce, uiLink, withClient } from '../client.js';
import { resolveDeviceTarget, type DeviceTarget } from '../device-target.js';
import { repairStart } from '../workflow-starts.js';
import { cliLine } from '../../shared/operator-command.js';
import { emergencyRepair } from '../../workflows/index.js';

async function startRepair(
  client: Client,
  { inventory, inventoryFile, values, out, invokedAs }: CommandContext,
  { instance, device }: DeviceTarget,
): Promise<number> {
  const options = repairStart(inventory, instance, device, operatorName(values.by), process.env, invokedAs);
  const handle = await startOnce(
    () => client.workflow.start(emergencyRepair, options),
    `an emergency repair of this device on ${instance.id} is already running: ${options.workflowId}. Approve it with \`approve-repair\`, or wait for it to end.`,
  );
  out(
    `started emergency repair ${handle.workflowId}: revoke ${device.role} of ${device.deviceId} on ${instance.id}, then wait for its new pairing request`,
  );
  const ui = uiLink(inventory, handle.workflowId);
  if (ui) out(`Temporal Web UI: ${ui}`);
  if (!device.reconnectHook)
    out(
      `this device has no reconnect hook: after the revoke, reconnect its client to ${instance.id} with the gateway's shared auth so it asks to pair again.`,
    );
  if (!device.repair?.autoApprove)
    out(
      `approve its new pairing request when asked: ${cliLine(invokedAs, `approve-repair --inventory ${inventoryFile} --instance ${instance.id} --device ${device.deviceId} --approver <you>`)}`,
    );
  if (!values.wait) return 0;
  try {
    const result = await handle.result();
    out(`repair ended: ${result.outcome}${result.request ? ` (request ${result.request.requestId})` : ''}`);
    return result.outcome === 'repaired' ? 0 : 1;
  } catch (err) {
    out(`repair failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    return 1;
  }
}

export const repair: Command = {
  name: 'repair',
  options: ['instance', 'device', 'role', 'wait', 'by'],
  help: `  repair      emergency repair of one device on one instance (runbook "Emergency repair path"): revoke
              its role, wait for its new pairing request, approve it after your approval-repair, verify
              --instance <id> --device <deviceId> [--role <role> (must be the inventory's)] [--wait]
              [--by <name> (recorded; four-eyes: whoever starts a repair cannot approve it)]`,
  run(ctx) {
    const target = resolveDeviceTarget('repair', ctx.inventory, ctx.values);
    return withClient(ctx.inventory, (client) => startRepair(client, ctx, target));
  },
};
