/**
 * `clusterPreflight`: the runbook's "Before you start" on every instance, read-only and in parallel:
 * the gateway is healthy (runtime running, RPC probe ok), every device the inventory lists exists on
 * it, and the load balancer knows its server. Used by the rollout and by `starter preflight`.
 *
 * With a target version (the rollout, `plan`, `start`) or `checks: true` it also runs the checks of
 * issue 20 before anything changes (patched 'preflight-checks-v1'): the target exists for the
 * instance's install type and accepts its Node, routing is sticky per client device (runbook rule 1),
 * pairing state is instance-local (rule 2), the host has the commands and the disk room. A failed check
 * is a problem (the rollout refuses), or a warning when `policy.preflight.warn` lists it.
 */
import { isPatched } from './patches.js';
import { applyPolicy, describeCheck, instanceLocalState } from '../shared/preflight-rules.js';
import { quickActivities } from './activity-options.js';
import { couldNotCheck, HOST_WORKER_WAIT_MS, preflightInstance } from './preflight/instance.js';
import type { InstancePreflight, PreflightInput, PreflightReport } from './preflight/types.js';

export { HOST_WORKER_WAIT_MS };
export type { InstancePreflight, PreflightInput, PreflightReport };

export async function clusterPreflight(input: PreflightInput): Promise<PreflightReport> {
  const { inventory, targetVersion } = input;
  const central = quickActivities(inventory.policy, inventory.temporal.taskQueue);
  const checksOn = (targetVersion !== undefined || input.checks === true) && isPatched('preflight-checks-v1');
  const { chunk } = input;
  const routing =
    checksOn && (!chunk || chunk.first)
      ? central.preflightRouting(inventory.loadBalancer).catch(couldNotCheck('sticky-routing'))
      : undefined;
  const localState = chunk ? new Map(Object.entries(chunk.localState)) : instanceLocalState(inventory.instances);
  const context = { input, inventory, checksOn, central, localState };
  const instances = await Promise.all(inventory.instances.map((instance) => preflightInstance(context, instance)));
  if (!routing) return { ok: instances.every((i) => i.problems.length === 0), instances };
  const cluster = applyPolicy([await routing], inventory.policy.preflight?.warn ?? []);
  // A chunk leaves the cluster's checks to the rollout, which puts them on every instance of the fleet.
  if (!chunk) reportClusterChecks(instances, cluster);
  return { ok: instances.every((i) => i.problems.length === 0), instances, cluster };
}

/**
 * The routing check concerns every instance (each one's clients move during its drain): the first
 * instance carries its full text, the others point to it, so the rollout's list names it once.
 */
export function reportClusterChecks(instances: InstancePreflight[], cluster: ReturnType<typeof applyPolicy>): void {
  for (const c of cluster) {
    if (c.status !== 'failed' && c.status !== 'warning') continue;
    instances.forEach((i, n) => {
      const line =
        n === 0 ? describeCheck(c) : `${c.check}: as for ${instances[0]!.instance} (the cluster's load balancer)`;
      if (c.status === 'failed') i.problems.push(line);
      else i.warnings?.push(line);
    });
  }
}
