/**
 * A simulated cluster of N gateways for the no-op runs: a real inventory (validated by the zod schema,
 * defaults applied), each instance with one node device that has a reconnect hook, like the bed's
 * node host, so the rotation and hook steps run. Nothing in it is ever executed: the no-op activities
 * answer in its place.
 */
import { Inventory, type Inventory as InventoryType } from '../src/shared/inventory.js';

export const FROM_VERSION = '2026.9.5';
export const TARGET_VERSION = '2026.9.6';

export function simulatedFleet(opts: {
  instances: number;
  /** A number, or a share of the fleet like "5%" (the inventory's policy.batchSize). */
  batchSize: number | string;
  cluster: string;
  address: string;
  taskQueue: string;
}): InventoryType {
  return Inventory.parse({
    cluster: opts.cluster,
    targetVersion: TARGET_VERSION,
    temporal: { address: opts.address, namespace: 'default', taskQueue: opts.taskQueue },
    loadBalancer: { type: 'haproxy', socket: '/nonexistent/haproxy.sock', backend: 'gateways' },
    instances: Array.from({ length: opts.instances }, (_, i) => ({
      id: `gw-${i + 1}`,
      gateway: { stateDir: `/nonexistent/gw-${i + 1}/state`, configPath: `/nonexistent/gw-${i + 1}/openclaw.json` },
      lbServer: `gw${i + 1}`,
      install: { type: 'global' },
      restart: ['supervisorctl', 'restart', `gw-${i + 1}`],
      devices: [
        {
          deviceId: `node-device-${String(i + 1).padStart(6, '0')}`,
          name: `node-${i + 1}`,
          role: 'node',
          reconnectHook: ['supervisorctl', 'restart', `node-${i + 1}`],
        },
      ],
    })),
    // The policy's waits are set to their smallest so only the engine's own cost remains.
    policy: {
      batchSize: opts.batchSize,
      drainDeadline: '1s',
      mismatchWindow: '1ms',
      reconnectDeadline: '1s',
      approvalTimeout: '1h',
    },
  });
}
