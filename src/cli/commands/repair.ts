/**
 * The starter's device commands (see HELP_DEVICE_COMMANDS): `repair` starts the emergency repair of one
 * device on one instance, `approve-repair` / `reject-repair` decide on its new pairing request, and
 * `diagnose` tells which of the runbook's three causes of `device token mismatch` applies to a device.
 * Every flag is checked against the inventory before anything runs.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { Duration, type Device, type Instance, type Inventory } from '../../shared/inventory.js';
import { ConfigurationError } from '../../shared/errors.js';
import { diagnose, formatDiagnosis } from '../diagnose/verdict.js';
import { checkDecision } from '../../shared/messages/rollout.js';
import { approveRepairUpdate, rejectRepairUpdate } from '../../shared/messages/repair.js';
import { repairWorkflowId } from '../../shared/ids.js';
import type { EmergencyRepairResult } from '../../workflows/emergency-repair.js';
import type { InstanceDeviceFacts } from '../../workflows/device-diagnosis.js';

export type DeviceCommand = 'repair' | 'approve-repair' | 'reject-repair' | 'diagnose';

export const HELP_DEVICE_COMMANDS = `  diagnose    which of the runbook's three causes of "device token mismatch" applies to a device, and
              the command that fixes it: --device <deviceId> [--since 15m] [--json]
              (reads devices list and logs on every instance through the worker; exit 1 when a cause applies)
  repair      emergency repair of one device on one instance (runbook "Emergency repair path"): revoke
              its role, wait for its new pairing request, approve it after your approval-repair, verify
              --instance <id> --device <deviceId> [--role <role> (must be the inventory's)] [--wait]
              [--by <name> (recorded; four-eyes: whoever starts a repair cannot approve it)]
  approve-repair  approve the new pairing request of a waiting repair (started by hand or by a rollout):
              --instance <id> --device <deviceId> --approver <name> [--comment <text>]
              The same rules as approve: refused at once (exit 1, nothing changes) when the repair is
              not waiting, the approver is not in policy.approvals.approvers, or (four-eyes) started
              the repair, or the rollout that started it
  reject-repair   do not approve it; the device stays revoked (same options)`;

export interface DeviceCommandValues {
  inventory: string;
  instance?: string;
  device?: string;
  role?: string;
  approver?: string;
  comment?: string;
  since?: string;
  by?: string;
  json?: boolean;
  wait?: boolean;
}

export interface DeviceCommandDeps {
  withClient: (inventory: Inventory, fn: (client: Client) => Promise<number>) => Promise<number>;
  uiLink: (inventory: Inventory, workflowId: string) => string | undefined;
  rolloutWorkflowId: (cluster: string) => string;
  usageError: (message: string) => Error;
  out: (s: string) => void;
}

/** The instance and device a command names, or a usage error naming the flag and the fix. */
function resolveTarget(command: string, inventory: Inventory, values: DeviceCommandValues, deps: DeviceCommandDeps): { instance: Instance; device: Device } {
  if (!values.instance) throw deps.usageError(`${command}: --instance <id> is required (this inventory has ${inventory.instances.map((i) => i.id).join(', ')})`);
  const instance = inventory.instances.find((i) => i.id === values.instance);
  if (!instance) throw deps.usageError(`${command}: --instance: unknown instance "${values.instance}" (this inventory has ${inventory.instances.map((i) => i.id).join(', ')})`);
  if (!values.device) throw deps.usageError(`${command}: --device <deviceId> is required (the id shown by \`openclaw devices list\`)`);
  const device = instance.devices.find((d) => d.deviceId === values.device);
  if (!device) {
    const elsewhere = inventory.instances.find((i) => i.devices.some((d) => d.deviceId === values.device));
    throw deps.usageError(
      `${command}: --device: ${instance.id} lists no device "${values.device}" in the inventory` +
        (elsewhere ? ` (it is listed under ${elsewhere.id}: use --instance ${elsewhere.id})` : ` (its devices: ${instance.devices.map((d) => d.deviceId.slice(0, 12) + '…').join(', ') || 'none'}). Add it under ${instance.id}'s devices with its role and scopes`) +
        '.',
    );
  }
  if (values.role !== undefined && values.role !== device.role) {
    throw deps.usageError(`${command}: --role ${values.role} does not match the inventory's role for this device (${device.role}); the repair re-pairs it with the inventory's role and scopes, so change the inventory first if the role changed.`);
  }
  return { instance, device };
}

/** The running repair of this device on this instance: started by hand, or by the instance's rollout. */
async function findRunningRepair(client: Client, inventory: Inventory, instance: Instance, deviceId: string, deps: DeviceCommandDeps) {
  const candidates = [
    repairWorkflowId({ cluster: inventory.cluster }, instance.id, deviceId),
    repairWorkflowId({ instanceWorkflowId: `${deps.rolloutWorkflowId(inventory.cluster)}/${instance.id}` }, instance.id, deviceId),
  ];
  for (const id of candidates) {
    const handle = client.workflow.getHandle(id);
    try {
      if ((await handle.describe()).status.name === 'RUNNING') return handle;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  throw new ConfigurationError(`no emergency repair of ${deviceId} on ${instance.id} is running (looked for ${candidates.join(' and ')}). Start one with \`repair\`.`);
}

export async function runDeviceCommand(command: DeviceCommand, inventory: Inventory, values: DeviceCommandValues, deps: DeviceCommandDeps): Promise<number> {
  const { out } = deps;
  switch (command) {
    case 'repair': {
      const { instance, device } = resolveTarget(command, inventory, values, deps);
      const id = repairWorkflowId({ cluster: inventory.cluster }, instance.id, device.deviceId);
      const startedBy = values.by ?? process.env.USER ?? 'unknown';
      return deps.withClient(inventory, async (client) => {
        try {
          await client.workflow.start('emergencyRepair', {
            taskQueue: inventory.temporal.taskQueue,
            workflowId: id,
            workflowIdConflictPolicy: 'FAIL',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE',
            args: [{ cluster: inventory.cluster, instance, device, policy: inventory.policy, taskQueue: inventory.temporal.taskQueue, reason: `started by hand by ${startedBy}`, startedBy }],
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) throw new ConfigurationError(`an emergency repair of this device on ${instance.id} is already running: ${id}. Approve it with \`approve-repair\`, or wait for it to end.`);
          throw err;
        }
        out(`started emergency repair ${id}: revoke ${device.role} of ${device.deviceId} on ${instance.id}, then wait for its new pairing request`);
        const ui = deps.uiLink(inventory, id);
        if (ui) out(`Temporal Web UI: ${ui}`);
        if (!device.reconnectHook) out(`this device has no reconnect hook: after the revoke, reconnect its client to ${instance.id} with the gateway's shared auth so it asks to pair again.`);
        if (!device.repair?.autoApprove) out(`approve its new pairing request when asked: npm run starter -- approve-repair --inventory ${values.inventory} --instance ${instance.id} --device ${device.deviceId} --approver <you>`);
        if (!values.wait) return 0;
        try {
          const result = (await client.workflow.getHandle(id).result()) as EmergencyRepairResult;
          out(`repair ended: ${result.outcome}${result.request ? ` (request ${result.request.requestId})` : ''}`);
          return result.outcome === 'repaired' ? 0 : 1;
        } catch (err) {
          out(`repair failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
          return 1;
        }
      });
    }
    case 'approve-repair':
    case 'reject-repair': {
      const { instance, device } = resolveTarget(command, inventory, values, deps);
      const checked = checkDecision({ instance: instance.id, approver: values.approver, ...(values.comment ? { comment: values.comment } : {}) });
      if (!checked.ok) throw deps.usageError(`${command}: ${checked.problem.replace(/^approver:/, '--approver:')}`);
      return deps.withClient(inventory, async (client) => {
        const handle = await findRunningRepair(client, inventory, instance, device.deviceId, deps);
        // An Update, not a signal: the repair checks it through its approval gate and the operator
        // learns at once when it is refused. Nothing changes on a refusal.
        try {
          const receipt = await handle.executeUpdate(command === 'approve-repair' ? approveRepairUpdate : rejectRepairUpdate, { args: [checked.value] });
          out(`${command === 'approve-repair' ? 'approval' : 'rejection'} of ${device.deviceId.slice(0, 12)}…'s pairing request by ${receipt.approver} accepted by ${receipt.deliveredTo}`);
          return 0;
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            out(`${command} refused by ${handle.workflowId}: ${err.cause?.message ?? err.message}. Nothing was changed.`);
            return 1;
          }
          throw err;
        }
      });
    }
    case 'diagnose': {
      if (!values.device) throw deps.usageError('diagnose: --device <deviceId> is required (the id shown by `openclaw devices list`)');
      if (!/^[A-Za-z0-9._:-]{8,128}$/.test(values.device)) throw deps.usageError(`diagnose: --device "${values.device}" is not a device id (expected the id shown by \`openclaw devices list\`)`);
      const since = Duration.safeParse(values.since ?? '15m');
      if (!since.success) throw deps.usageError(`diagnose: --since "${values.since}" is not a duration (e.g. 15m, 1h)`);
      const deviceId = values.device;
      const sinceMs = Date.now() - since.data;
      return deps.withClient(inventory, async (client) => {
        const facts = (await client.workflow.execute('deviceDiagnosis', {
          taskQueue: inventory.temporal.taskQueue,
          workflowId: `${inventory.cluster}/diagnose/${Date.now()}`,
          args: [{ instances: inventory.instances, policy: inventory.policy, taskQueue: inventory.temporal.taskQueue, deviceId, sinceMs }],
          workflowExecutionTimeout: '10m',
        })) as InstanceDeviceFacts[];
        const d = diagnose(deviceId, facts, sinceMs, { inventoryPath: values.inventory, instances: inventory.instances });
        out(values.json ? JSON.stringify(d, null, 2) : formatDiagnosis(d));
        return d.findings.length ? 1 : 0;
      });
    }
  }
}
