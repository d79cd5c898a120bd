/**
 * `clusterPreflight`: the runbook's "Before you start" on every instance, read-only and in parallel:
 * the gateway is healthy (runtime running, RPC probe ok), every device the inventory lists exists on
 * it, and the load balancer knows its server. Used by the rollout and by `starter preflight`.
 */
import type { Inventory } from '../inventory.js';
import { instanceQueue } from '../task-queues.js';
import { quickActivities } from './activity-options.js';

export interface PreflightInput {
  inventory: Inventory;
}

export interface InstancePreflight {
  instance: string;
  healthy: boolean;
  version: string | null;
  lb: { status: string; sessions: number; admin: string } | null;
  missingDevices: string[];
  problems: string[];
}

export interface PreflightReport {
  ok: boolean;
  instances: InstancePreflight[];
}

export async function clusterPreflight({ inventory }: PreflightInput): Promise<PreflightReport> {
  const central = quickActivities(inventory.policy, inventory.temporal.taskQueue);
  const instances = await Promise.all(
    inventory.instances.map(async (instance): Promise<InstancePreflight> => {
      const acts = quickActivities(inventory.policy, instanceQueue(inventory.temporal.taskQueue, instance));
      const target = { instance, policy: inventory.policy };
      const problems: string[] = [];
      const [status, devices, lb] = await Promise.all([
        acts.gatewayStatus(target).catch((e: Error) => (problems.push(`gateway status: ${e.message}`), null)),
        acts.listDevices(target).catch((e: Error) => (problems.push(`devices list: ${e.message}`), null)),
        central.lbState(inventory.loadBalancer, instance.lbServer).catch((e: Error) => (problems.push(`load balancer: ${e.message}`), null)),
      ]);
      if (status && !status.healthy) problems.push(`gateway not healthy (runtime ${status.runtimeRunning ? 'running' : 'not running'}, RPC probe ${status.rpcOk ? 'ok' : 'failed'})`);
      const paired = new Set(devices?.paired.map((d) => d.deviceId) ?? []);
      const missingDevices = devices ? instance.devices.filter((d) => !paired.has(d.deviceId)).map((d) => d.deviceId) : [];
      for (const id of missingDevices) problems.push(`device ${id} is not in \`openclaw devices list\` on ${instance.id}`);
      return {
        instance: instance.id,
        healthy: status?.healthy ?? false,
        version: status?.version ?? null,
        lb: lb ? { status: lb.status, sessions: lb.sessions, admin: lb.admin } : null,
        missingDevices,
        problems,
      };
    }),
  );
  return { ok: instances.every((i) => i.problems.length === 0), instances };
}
