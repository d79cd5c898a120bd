/**
 * Counts of instances that the inventory may give as a share of the fleet (`policy.batchSize`,
 * `policy.maxFailedInstances`). Workflow-safe (no I/O).
 */

/**
 * `value` as a number of instances out of `total`: a number as it is, a percentage rounded down (as
 * Kubernetes rounds maxUnavailable), never below `atLeast`. So "10%" of 25 instances is 2, and a batch
 * of "1%" of 50 instances is still 1.
 */
export function countOf(value: number | `${number}%`, total: number, atLeast: number): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.slice(0, -1));
  return Math.max(atLeast, Math.floor((total * percent) / 100));
}
