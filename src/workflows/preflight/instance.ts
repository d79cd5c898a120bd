/**
 * The preflight of one instance: gateway status, devices list and the load balancer's view, and with
 * the checks on, the checks before anything changes (target, host, instance-local state) and, for
 * `plan`, the release jump. Read-only.
 */
import { ActivityFailure, TimeoutFailure } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import type { Instance, Inventory } from '../../shared/inventory.js';
import { applyPolicy, describeCheck, type CheckResult } from '../../shared/preflight-rules.js';
import { instanceQueue } from '../../shared/task-queues.js';
import { approvalRules } from '../../shared/messages/rollout.js';
import type { RefusalBaseline } from '../../shared/promotion.js';
import { serviceCommandLine } from '../../shared/service-commands.js';
import { requestsFromOtherDevices } from '../../shared/stray-requests.js';
import { describeTakeUp, restoreCutOffProblem } from '../../shared/take-up.js';
import { centralActivities, hostActivities } from '../activity-options.js';
import type { InstancePreflight, PreflightInput } from './types.js';

/**
 * With the checks on, how long an instance's activities may wait for its host's worker to take them: a
 * worker that stopped recently still looks alive to `describe task queue` for about a minute, and the
 * rollout's usual 10 minutes would keep `plan` and `start` waiting that long.
 */
export const HOST_WORKER_WAIT_MS = 30_000;

/** The activity waited in its queue: no worker polls it (or every one is busy). */
const noWorkerTook = (e: unknown) =>
  e instanceof ActivityFailure && e.cause instanceof TimeoutFailure && e.cause.timeoutType === 'SCHEDULE_TO_START';

/** A check whose activity failed: failed, with what to look at. */
export const couldNotCheck =
  (check: CheckResult['check']) =>
  (e: Error): CheckResult => ({
    check,
    status: 'failed',
    found: `could not check: ${e.message}`,
    fix: 'look at the worker that ran it (its host queue) and run plan again.',
  });

/** What every instance's preflight shares. */
export interface PreflightContext {
  input: PreflightInput;
  inventory: Inventory;
  checksOn: boolean;
  central: ReturnType<typeof centralActivities>;
  localState: Map<string, CheckResult>;
}

export async function preflightInstance(c: PreflightContext, instance: Instance): Promise<InstancePreflight> {
  const { inventory, checksOn, central } = c;
  const queue = instanceQueue(inventory.temporal.taskQueue, instance);
  const host = { baseQueue: inventory.temporal.taskQueue, instance };
  const acts = hostActivities(inventory.policy, host, checksOn ? { scheduleToStartTimeout: HOST_WORKER_WAIT_MS } : {});
  const target = { instance, policy: inventory.policy };
  const problems: string[] = [];
  let noWorker = false;
  const failed =
    (label: string, into = problems) =>
    (e: Error) => {
      if (checksOn && noWorkerTook(e)) noWorker = true;
      else into.push(`${label}: ${causeOf(e)}`);
      return null;
    };
  const devicesFailed: string[] = [];
  const [status, devices, lb] = await Promise.all([
    acts.gatewayStatus(target).catch(failed('gateway status')),
    acts.listDevices(target).catch(failed('devices list', devicesFailed)),
    central
      .lbState(inventory.loadBalancer, instance.lbServer)
      .catch((e: Error) => (problems.push(`load balancer: ${e.message}`), null)),
  ]);
  const takenUp = takeUpVerdict(c, instance, status, problems);
  // `devices list` needs a running gateway: a stopped one taken up has its devices checked once it runs.
  if (!takenUp || status?.runtimeRunning) problems.push(...devicesFailed);
  const paired = new Set(devices?.paired.map((d) => d.deviceId) ?? []);
  const missingDevices = devices ? instance.devices.filter((d) => !paired.has(d.deviceId)).map((d) => d.deviceId) : [];
  for (const id of missingDevices) problems.push(`device ${id} is not in \`openclaw devices list\` on ${instance.id}`);
  const since = c.input.pendingSince;
  const newRequests =
    since !== undefined && devices
      ? requestsFromOtherDevices(
          devices,
          instance.devices.map((d) => d.deviceId),
          since,
        )
      : [];
  const found = !checksOn
    ? undefined
    : noWorker
      ? hostWorkerMissing(instance, queue)
      : await checksBeforeChange(c, acts, target, status?.version ?? null);
  const warnings: string[] = [];
  if (found && noWorker) problems.unshift(describeCheck(found.checks[0]!));
  else if (found) {
    for (const x of found.checks) {
      if (x.status === 'failed') problems.push(describeCheck(x));
      if (x.status === 'warning') warnings.push(describeCheck(x));
    }
  }
  const baseline = await takeBaseline(c, acts, target);
  return {
    instance: instance.id,
    healthy: status?.healthy ?? false,
    version: status?.version ?? null,
    lb: lb ? { status: lb.status, sessions: lb.sessions, admin: lb.admin } : null,
    missingDevices,
    problems,
    ...(found ? { checks: found.checks, warnings } : {}),
    ...(found?.jump ? { jump: found.jump } : {}),
    ...(baseline ? { baseline } : {}),
    ...(newRequests.length ? { newRequests } : {}),
    ...(takenUp ? { takenUp } : {}),
  };
}

/** An activity's own words, not "Activity task failed". */
const causeOf = (e: Error) => (e instanceof ActivityFailure && e.cause ? e.cause.message : e.message);

/**
 * The gateway's health against what the last rollout left (shared/take-up.ts): a problem when it is
 * down and not taken up, or when its restore was cut off; the words for `takenUp` when it is taken up.
 */
function takeUpVerdict(
  c: PreflightContext,
  instance: Instance,
  status: { healthy: boolean; runtimeRunning: boolean; rpcOk: boolean } | null,
  problems: string[],
): string | undefined {
  const takeUp = c.input.takeUp?.find((t) => t.instance === instance.id);
  if (takeUp?.restoreCutOff) {
    const start = serviceCommandLine(instance, 'start') ?? 'its start command';
    problems.push(restoreCutOffProblem(takeUp, start));
    return undefined;
  }
  if (takeUp) return describeTakeUp(takeUp, status?.runtimeRunning ?? false);
  if (status && !status.healthy)
    problems.push(
      `gateway not healthy (runtime ${status.runtimeRunning ? 'running' : 'not running'}, RPC probe ${status.rpcOk ? 'ok' : 'failed'})`,
    );
  return undefined;
}

/**
 * canary mode only (no command otherwise, so histories from before it replay): the refused connects the
 * instance logged over the soak's length before anything changed, the baseline its automatic promotion
 * is judged against. None when it cannot be read: that instance then always asks a human.
 */
async function takeBaseline(
  c: PreflightContext,
  acts: ReturnType<typeof hostActivities>,
  target: { instance: Instance; policy: Inventory['policy'] },
): Promise<RefusalBaseline | undefined> {
  const rules = approvalRules(c.inventory.policy.approvals);
  if (rules.mode !== 'canary') return undefined;
  return acts
    .soakEvidence(target, Date.now() - rules.soak)
    .then((e) => (e.linesRead > 0 ? { refused: e.refused, windowMs: rules.soak } : undefined))
    .catch(() => undefined);
}

/** Nothing else can be asked on that host: say what is missing, once. */
function hostWorkerMissing(instance: Instance, queue: string): { checks: CheckResult[]; jump?: string } {
  const where = instance.host ? `host ${instance.host}` : 'the central worker';
  const c: CheckResult = {
    check: 'host-worker',
    status: 'failed',
    found: `no worker took ${instance.id}'s commands from task queue ${queue} within ${HOST_WORKER_WAIT_MS / 1000} s: ${where}'s worker is stopped (or every slot is busy).`,
    fix: instance.host
      ? `on ${instance.host}, start: npm run worker -- --inventory <your inventory> --host ${instance.host}`
      : 'start: npm run worker -- --inventory <your inventory>',
  };
  return { checks: [c] };
}

/** The checks before anything changes, with policy.preflight.warn applied; for `plan`, the release jump. */
async function checksBeforeChange(
  c: PreflightContext,
  acts: ReturnType<typeof hostActivities>,
  target: { instance: Instance; policy: Inventory['policy'] },
  runningVersion: string | null,
): Promise<{ checks: CheckResult[]; jump?: string }> {
  const { targetVersion } = c.input;
  const [targetChecks, hostChecks] = await Promise.all([
    targetVersion !== undefined
      ? acts.preflightTarget(target, targetVersion).catch((e: Error) => [couldNotCheck('target-exists')(e)])
      : Promise.resolve([]),
    acts.preflightHost(target).catch((e: Error) => [couldNotCheck('host-commands')(e)]),
  ]);
  const checks = applyPolicy(
    [...targetChecks, c.localState.get(target.instance.id)!, ...hostChecks],
    c.inventory.policy.preflight?.warn ?? [],
  );
  if (
    c.input.releaseJump &&
    targetVersion !== undefined &&
    runningVersion &&
    runningVersion !== targetVersion &&
    isPatched('plan-release-jump-v1')
  ) {
    const jump = await acts.planReleaseJump(target, runningVersion, targetVersion).then(
      (j) => j.summary,
      (e: Error) => `cannot tell which releases ${runningVersion} → ${targetVersion} crosses: ${e.message}`,
    );
    return { checks, jump };
  }
  return { checks };
}
