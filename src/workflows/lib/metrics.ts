/**
 * The workflows' metrics (src/shared/metrics.ts lists them): events recorded through the SDK's workflow
 * `metricMeter`, which the worker that runs the workflow task exports. The SDK records nothing while a
 * worker replays a history (after a restart, a cache eviction, on another worker), so each event is
 * counted once across all workers; only a workflow task that failed and ran again may count twice.
 * Recording is not a command: it changes no history, and needs no patched().
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import { METRICS } from '../../shared/metrics.js';

/** Where an event happened: the cluster, and the instance when there is one. */
export interface MetricPlace {
  cluster: string;
  instance?: string;
}

const tags = (p: MetricPlace) => ({ cluster: p.cluster, openclaw_instance: p.instance ?? '' });

/** Adds `value` (0 too: the series then exists before its first event, so increase() sees that event). */
const count = (m: { name: string; help: string }, value: number, labels: Record<string, string>) =>
  metricMeter.createCounter(m.name, undefined, m.help).add(Math.max(0, value), labels);

const seconds = (m: { name: string; help: string }, ms: number, labels: Record<string, string>) =>
  metricMeter.createHistogram(m.name, 'float', undefined, m.help).record(Math.max(0, ms) / 1000, labels);

/** A stay out of traffic ended (rejoin or put-back) after `ms`. */
export const recordOutOfTraffic = (p: MetricPlace, ms: number) => seconds(METRICS.outOfTraffic, ms, tags(p));

/** A human gate got its decision after `ms`. */
export const recordApprovalWait = (p: MetricPlace, gate: 'rejoin' | 'failure' | 'repair', ms: number) =>
  seconds(METRICS.approvalWait, ms, { ...tags(p), gate });

/** A recorded step failed (after its retries). */
export const recordStepFailed = (p: MetricPlace, step: string) => count(METRICS.stepsFailed, 1, { ...tags(p), step });

export const recordRollback = (p: MetricPlace) => count(METRICS.rollbacks, 1, tags(p));

export const recordRepair = (p: MetricPlace, outcome: 'repaired' | 'rejected' | 'failed') =>
  count(METRICS.repairs, 1, { ...tags(p), outcome });

/**
 * `n` device token mismatch refusals a check found. A check of a workflow with a parent (an instance, a
 * repair or a preflight a rollout started) is in a rollout; a repair or preflight started by hand is not.
 */
export const recordMismatchRefusals = (p: MetricPlace, check: string, n: number, inRollout?: boolean) =>
  count(METRICS.mismatchRefusals, n, {
    ...tags(p),
    check,
    in_rollout: String(inRollout ?? workflowInfo().parent !== undefined),
  });

export const recordNotificationFailed = (cluster: string, event: string) =>
  count(METRICS.notificationsFailed, 1, { cluster, event });
