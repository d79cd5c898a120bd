/**
 * The instance and device a device command (`repair`, `approve-repair`, `reject-repair`) names, checked
 * against the inventory before anything runs: a usage error names the flag and the fix.
 */
import type { Device, Instance, Inventory } from '../shared/inventory.js';
import { UsageError, instanceIds, type OptionValues } from './command.js';

export interface DeviceTarget {
  instance: Instance;
  device: Device;
}

export function resolveDeviceTarget(command: string, inventory: Inventory, values: OptionValues): DeviceTarget {
  if (!values.instance)
    throw new UsageError(`${command}: --instance <id> is required (this inventory has ${instanceIds(inventory)})`);
  const instance = inventory.instances.find((i) => i.id === values.instance);
  if (!instance)
    throw new UsageError(
      `${command}: --instance: unknown instance "${values.instance}" (this inventory has ${instanceIds(inventory)})`,
    );
  if (!values.device)
    throw new UsageError(`${command}: --device <deviceId> is required (the id shown by \`openclaw devices list\`)`);
  const device = instance.devices.find((d) => d.deviceId === values.device);
  if (!device)
    throw new UsageError(
      `${command}: --device: ${instance.id} lists no device "${values.device}" in the inventory${whereInstead(inventory, instance, values.device)}.`,
    );
  if (values.role !== undefined && values.role !== device.role) {
    throw new UsageError(
      `${command}: --role ${values.role} does not match the inventory's role for this device (${device.role}); the repair re-pairs it with the inventory's role and scopes, so change the inventory first if the role changed.`,
    );
  }
  return { instance, device };
}

/** The fix for a device the instance does not list: the instance that lists it, or how to add it. */
function whereInstead(inventory: Inventory, instance: Instance, deviceId: string): string {
  const elsewhere = inventory.instances.find((i) => i.devices.some((d) => d.deviceId === deviceId));
  if (elsewhere) return ` (it is listed under ${elsewhere.id}: use --instance ${elsewhere.id})`;
  const listed = instance.devices.map((d) => d.deviceId.slice(0, 12) + '…').join(', ') || 'none';
  return ` (its devices: ${listed}). Add it under ${instance.id}'s devices with its role and scopes`;
}
