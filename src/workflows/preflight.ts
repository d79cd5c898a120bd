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
import { patched } from '@temporalio/workflow';
import type { Inventory } from '../inventory.js';
import { applyPolicy, describeCheck, instanceLocalState, type CheckResult } from '../preflight-rules.js';
import { instanceQueue } from '../task-queues.js';
import { quickActivities } from './activity-options.js';

export interface PreflightInput {
  inventory: Inventory;
  /** The version a rollout would install: also checks that it exists and suits each instance. */
  targetVersion?: string;
  /** Run the checks before anything changes also without a target (the `preflight` command). */
  checks?: boolean;
}

export interface InstancePreflight {
  instance: string;
  healthy: boolean;
  version: string | null;
  lb: { status: string; sessions: number; admin: string } | null;
  missingDevices: string[];
  problems: string[];
  /** The checks before anything changes (when asked for), each ok / failed / warning / skipped. */
  checks?: CheckResult[];
  /** Failed checks that policy.preflight.warn turns into warnings: reported, not refused. */
  warnings?: string[];
}

export interface PreflightReport {
  ok: boolean;
  instances: InstancePreflight[];
  /** Checks of the whole cluster (sticky-routing), when asked for. */
  cluster?: CheckResult[];
}

export async function clusterPreflight(input: PreflightInput): Promise<PreflightReport> {
  const { inventory, targetVersion } = input;
  const central = quickActivities(inventory.policy, inventory.temporal.taskQueue);
  const checksOn = (targetVersion !== undefined || input.checks === true) && patched('preflight-checks-v1');
  const warn = inventory.policy.preflight?.warn ?? [];
  const couldNotCheck = (check: CheckResult['check']) => (e: Error): CheckResult => ({ check, status: 'failed', found: `could not check: ${e.message}`, fix: 'look at the worker that ran it (its host queue) and run plan again.' });
  const routing = checksOn ? central.preflightRouting(inventory.loadBalancer).catch(couldNotCheck('sticky-routing')) : undefined;
  const localState = instanceLocalState(inventory.instances);
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
      let checks: CheckResult[] | undefined;
      const warnings: string[] = [];
      if (checksOn) {
        const [targetChecks, hostChecks] = await Promise.all([
          targetVersion !== undefined ? acts.preflightTarget(target, targetVersion).catch((e: Error) => [couldNotCheck('target-exists')(e)]) : Promise.resolve([]),
          acts.preflightHost(target).catch((e: Error) => [couldNotCheck('host-commands')(e)]),
        ]);
        checks = applyPolicy([...targetChecks, localState.get(instance.id)!, ...hostChecks], warn);
        for (const c of checks) {
          if (c.status === 'failed') problems.push(describeCheck(c));
          if (c.status === 'warning') warnings.push(describeCheck(c));
        }
      }
      return {
        instance: instance.id,
        healthy: status?.healthy ?? false,
        version: status?.version ?? null,
        lb: lb ? { status: lb.status, sessions: lb.sessions, admin: lb.admin } : null,
        missingDevices,
        problems,
        ...(checks ? { checks, warnings } : {}),
      };
    }),
  );
  if (!routing) return { ok: instances.every((i) => i.problems.length === 0), instances };
  // The routing check concerns every instance (each one's clients move during its drain): the first
  // instance carries its full text, the others point to it, so the rollout's list names it once.
  const cluster = applyPolicy([await routing], warn);
  for (const c of cluster) {
    if (c.status !== 'failed' && c.status !== 'warning') continue;
    instances.forEach((i, n) => {
      const line = n === 0 ? describeCheck(c) : `${c.check}: as for ${instances[0]!.instance} (the cluster's load balancer)`;
      if (c.status === 'failed') i.problems.push(line);
      else i.warnings?.push(line);
    });
  }
  return { ok: instances.every((i) => i.problems.length === 0), instances, cluster };
}
