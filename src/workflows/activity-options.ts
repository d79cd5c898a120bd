/**
 * Activity proxies for workflows, built from the rollout policy: every activity has a deadline and a
 * retry policy (backoff, max attempts); misconfiguration and unreadable output are never retried.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors.js';
import type { Policy } from '../shared/inventory.js';

export function retryPolicy(policy: Policy): ActivityOptions['retry'] {
  return {
    initialInterval: policy.retries.initialInterval,
    maximumInterval: policy.retries.maximumInterval,
    backoffCoefficient: 2,
    maximumAttempts: policy.retries.maxAttempts,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  };
}

/** Activities for short CLI calls and load-balancer calls on `taskQueue`. */
export function quickActivities(policy: Policy, taskQueue: string) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: policy.stepTimeouts.cli + 10_000,
    // A host worker that is down should surface, not wait forever in the queue.
    scheduleToStartTimeout: '10m',
    retry: retryPolicy(policy),
  });
}

/** Activities that wait (install, restart, drain, device back): longer deadline, heartbeats. */
export function longActivities(policy: Policy, taskQueue: string, startToCloseMs: number) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: startToCloseMs,
    // A worker that died mid-step is noticed after this long, and the step retried on another worker.
    heartbeatTimeout: policy.stepTimeouts.heartbeat ?? 60_000,
    scheduleToStartTimeout: '10m',
    retry: retryPolicy(policy),
  });
}

/**
 * Notifications: a short deadline and few retries, so a receiver that is down or hangs costs at most
 * ~30 s of a background send (never the rollout's time: workflows/lib/notify.ts never awaits a failure).
 */
export function notifyActivities(taskQueue: string) {
  return proxyActivities<Activities>({
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
