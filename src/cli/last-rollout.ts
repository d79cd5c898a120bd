/**
 * What the last rollout of the cluster left out of traffic (shared/take-up.ts), read from its report:
 * `start` hands it to the new rollout, and `plan` and `preflight` show what would be taken up.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { rolloutWorkflowId } from '../shared/ids.js';
import type { Inventory } from '../shared/inventory.js';
import { takeUpFrom, type LastReport, type TakeUp } from '../shared/take-up.js';

/**
 * The instances the cluster's last rollout left out of traffic. None when there was no rollout, when one
 * is still running (start refuses then), or when it ended without a report (failed or terminated: its
 * instances are whatever preflight finds).
 */
export async function lastRolloutLeft(client: Client, inventory: Inventory): Promise<TakeUp[]> {
  const handle = client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
  if (status !== 'COMPLETED') return [];
  const report = (await handle.result()) as LastReport | undefined;
  return report && Array.isArray(report.instances) ? takeUpFrom(report) : [];
}
