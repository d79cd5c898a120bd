/** `validate`: checks the inventory file and prints what it describes; touches nothing. */
import type { Command } from '../command.js';

export const validate: Command = {
  name: 'validate',
  options: [],
  help: `  validate    check the inventory file and print what it describes; touches nothing`,
  run({ inventory, values, out }) {
    if (values.json) out(JSON.stringify(inventory, null, 2));
    else {
      out(
        `inventory ok: cluster ${inventory.cluster}, ${inventory.instances.length} instances, load balancer ${inventory.loadBalancer.type}`,
      );
      for (const i of inventory.instances)
        out(
          `  ${i.id}: lb server ${i.lbServer}, install ${i.install.type}, ${i.devices.length} devices${i.host ? `, host ${i.host}` : ''}`,
        );
    }
    return Promise.resolve(0);
  },
};
