/**
 * Counts of instances that the inventory may give as a share of the fleet (`policy.batchSize`,
 * `policy.maxFailedInstances`). Workflow-safe (no I/O).
 */

type CountOrShare = number | `${number}%`;

/**
 * `value` as a number of instances out of `total`: a number as it is, a percentage rounded down (as
 * Kubernetes rounds maxUnavailable), never below `atLeast`. So "10%" of 25 instances is 2, and a batch
 * of "1%" of 50 instances is still 1.
 */
export function countOf(value: CountOrShare, total: number, atLeast: number): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.slice(0, -1));
  return Math.max(atLeast, Math.floor((total * percent) / 100));
}

/** The count with how it was reached: `4` for a number, `10% of 40 = 4` for a share of the fleet. */
export function countText(value: CountOrShare, total: number, atLeast: number): string {
  const count = countOf(value, total, atLeast);
  return typeof value === 'number' ? String(count) : `${value} of ${total} = ${count}`;
}

/** The policy's counts for a fleet of `total` instances, as `plan`, `preflight` and `start` show them. */
export function policyCountsLine(
  policy: { batchSize: CountOrShare; maxFailedInstances?: CountOrShare },
  total: number,
): string {
  const budget = countText(policy.maxFailedInstances ?? 1, total, 0);
  return `batch size ${countText(policy.batchSize, total, 1)}; failure budget (policy.maxFailedInstances) ${budget}`;
}
