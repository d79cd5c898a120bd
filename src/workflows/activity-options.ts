/**
 * Activity proxies for workflows, built from the rollout policy: every activity has a deadline and a
 * retry policy (backoff, max attempts); misconfiguration and unreadable output are never retried.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { CentralActivities, HostActivities } from '../activities/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors.js';
import type { Instance, Policy } from '../shared/inventory.js';
import { instanceQueue } from '../shared/task-queues.js';

export function retryPolicy(policy: Policy): ActivityOptions['retry'] {
  return {
    initialInterval: policy.retries.initialInterval,
    maximumInterval: policy.retries.maximumInterval,
    backoffCoefficient: 2,
    maximumAttempts: policy.retries.maxAttempts,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
}

/**
 * Activity proxies typed by the queue that serves them: the central queue (load balancer,
 * notifications, the routing check) or an instance's host queue (its CLI, installs, backups, hooks).
 * A host proxy is built from the instance, not from a queue name, so it cannot point at the wrong host.
 */
type HostTarget = { baseQueue: string; instance: Pick<Instance, 'host'> };

/** Short calls (CLI, load balancer): the policy's CLI deadline. */
function quickOptions(policy: Policy, taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: policy.stepTimeouts.cli + 10_000,
    // A host worker that is down should surface, not wait forever in the queue.
    scheduleToStartTimeout: '10m',
    retry: retryPolicy(policy),
  };
}

/** Calls that wait (install, restart, drain, device back): longer deadline, heartbeats. */
function longOptions(policy: Policy, taskQueue: string, startToCloseMs: number): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: startToCloseMs,
    // A worker that died mid-step is noticed after this long, and the step retried on another worker.
    heartbeatTimeout: policy.stepTimeouts.heartbeat ?? 60_000,
    scheduleToStartTimeout: '10m',
    retry: retryPolicy(policy),
  };
}

/** Short calls on the central queue. */
export const centralActivities = (policy: Policy, centralQueue: string) =>
  proxyActivities<CentralActivities>(quickOptions(policy, centralQueue));

/** Central calls that wait (the drain). */
export const longCentralActivities = (policy: Policy, centralQueue: string, startToCloseMs: number) =>
  proxyActivities<CentralActivities>(longOptions(policy, centralQueue, startToCloseMs));

/** Short calls on the instance's host queue; `override` changes options (e.g. a shorter wait for its worker). */
export const hostActivities = (policy: Policy, t: HostTarget, override: ActivityOptions = {}) =>
  proxyActivities<HostActivities>({ ...quickOptions(policy, instanceQueue(t.baseQueue, t.instance)), ...override });

/** Host calls that wait (install, restart, a device coming back). */
export const longHostActivities = (policy: Policy, t: HostTarget, startToCloseMs: number) =>
  proxyActivities<HostActivities>(longOptions(policy, instanceQueue(t.baseQueue, t.instance), startToCloseMs));

/**
 * Notifications: a short deadline and few retries, so a receiver that is down or hangs costs at most
 * ~30 s of a background send (never the rollout's time: workflows/lib/notify.ts never awaits a failure).
 */
export function notifyActivities(taskQueue: string) {
  return proxyActivities<CentralActivities>({
    taskQueue,
    startToCloseTimeout: '8s',
    scheduleToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '5s',
      maximumAttempts: 3,
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  });
}
