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
import { ActivityFailure, patched, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { Inventory } from '../shared/inventory.js';
import { applyPolicy, describeCheck, instanceLocalState, type CheckResult } from '../shared/preflight-rules.js';
import { instanceQueue } from '../shared/task-queues.js';
import { quickActivities, retryPolicy } from './activity-options.js';

/**
 * With the checks on, how long an instance's activities may wait for its host's worker to take them: a
 * worker that stopped recently still looks alive to `describe task queue` for about a minute, and the
 * rollout's usual 10 minutes would keep `plan` and `start` waiting that long.
 */
export const HOST_WORKER_WAIT_MS = 30_000;

/** The activity waited in its queue: no worker polls it (or every one is busy). */
const noWorkerTook = (e: unknown) => e instanceof ActivityFailure && e.cause instanceof TimeoutFailure && e.cause.timeoutType === 'SCHEDULE_TO_START';

export interface PreflightInput {
  inventory: Inventory;
  /** The version a rollout would install: also checks that it exists and suits each instance. */
  targetVersion?: string;
  /** Run the checks before anything changes also without a target (the `preflight` command). */
  checks?: boolean;
  /** `plan`: also say per instance which releases the update crosses and whether migrations run. */
  releaseJump?: boolean;
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
  /** The gateway was not asked (a host worker is missing, so the preflight did not run). */
  unchecked?: boolean;
  /** `plan`: the releases the update crosses, the schema migrations, whether a rollback needs the backup. */
  jump?: string;
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
      const queue = instanceQueue(inventory.temporal.taskQueue, instance);
      const acts = checksOn
        ? proxyActivities<Activities>({ taskQueue: queue, startToCloseTimeout: inventory.policy.stepTimeouts.cli + 10_000, scheduleToStartTimeout: HOST_WORKER_WAIT_MS, retry: retryPolicy(inventory.policy) })
        : quickActivities(inventory.policy, queue);
      const target = { instance, policy: inventory.policy };
      const problems: string[] = [];
      let noWorker = false;
      const failed = (label: string) => (e: Error) => {
        if (checksOn && noWorkerTook(e)) noWorker = true;
        else problems.push(`${label}: ${e.message}`);
        return null;
      };
      const [status, devices, lb] = await Promise.all([
        acts.gatewayStatus(target).catch(failed('gateway status')),
        acts.listDevices(target).catch(failed('devices list')),
        central.lbState(inventory.loadBalancer, instance.lbServer).catch((e: Error) => (problems.push(`load balancer: ${e.message}`), null)),
      ]);
      if (status && !status.healthy) problems.push(`gateway not healthy (runtime ${status.runtimeRunning ? 'running' : 'not running'}, RPC probe ${status.rpcOk ? 'ok' : 'failed'})`);
      const paired = new Set(devices?.paired.map((d) => d.deviceId) ?? []);
      const missingDevices = devices ? instance.devices.filter((d) => !paired.has(d.deviceId)).map((d) => d.deviceId) : [];
      for (const id of missingDevices) problems.push(`device ${id} is not in \`openclaw devices list\` on ${instance.id}`);
      let checks: CheckResult[] | undefined;
      let jump: string | undefined;
      const warnings: string[] = [];
      if (checksOn && noWorker) {
        // Nothing else can be asked on that host: say what is missing, once.
        const where = instance.host ? `host ${instance.host}` : 'the central worker';
        const c: CheckResult = {
          check: 'host-worker',
          status: 'failed',
          found: `no worker took ${instance.id}'s commands from task queue ${queue} within ${HOST_WORKER_WAIT_MS / 1000} s: ${where}'s worker is stopped (or every slot is busy).`,
          fix: instance.host ? `on ${instance.host}, start: npm run worker -- --inventory <your inventory> --host ${instance.host}` : 'start: npm run worker -- --inventory <your inventory>',
        };
        checks = [c];
        problems.unshift(describeCheck(c));
      } else if (checksOn) {
        const [targetChecks, hostChecks] = await Promise.all([
          targetVersion !== undefined ? acts.preflightTarget(target, targetVersion).catch((e: Error) => [couldNotCheck('target-exists')(e)]) : Promise.resolve([]),
          acts.preflightHost(target).catch((e: Error) => [couldNotCheck('host-commands')(e)]),
        ]);
        checks = applyPolicy([...targetChecks, localState.get(instance.id)!, ...hostChecks], warn);
        if (input.releaseJump && targetVersion !== undefined && status?.version && status.version !== targetVersion && patched('plan-release-jump-v1')) {
          jump = await acts.planReleaseJump(target, status.version, targetVersion).then(
            (j) => j.summary,
            (e: Error) => `cannot tell which releases ${status.version} → ${targetVersion} crosses: ${e.message}`,
          );
        }
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
        ...(jump ? { jump } : {}),
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
