/**
 * The end of a rollout rejects the pairing requests its clients left on other instances while their
 * home was out of traffic (see shared/stray-requests.ts for which ones and why), each on the host of
 * the instance that holds it. A request that cannot be rejected is reported, not fatal: it expires by
 * itself, and the report says not to approve it.
 */
import { ActivityFailure } from '@temporalio/workflow';
import type { PreflightReport } from '../preflight.js';
import { hostActivities } from '../activity-options.js';
import { strayRequests, type StrayRequestOutcome } from '../../shared/stray-requests.js';
import type { RolloutRun } from './run.js';

export async function rejectStrayRequests(r: RolloutRun, check: PreflightReport): Promise<StrayRequestOutcome[]> {
  const { inventory } = r;
  const strays = strayRequests(inventory, check.instances);
  return Promise.all(
    strays.map(async (s): Promise<StrayRequestOutcome> => {
      const instance = inventory.instances.find((i) => i.id === s.instance)!;
      const acts = hostActivities(inventory.policy, { baseQueue: inventory.temporal.taskQueue, instance });
      try {
        await acts.rejectPairingRequest({ instance, policy: inventory.policy }, s.requestId);
        return { ...s, rejected: true };
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        return { ...s, rejected: false, error: err.cause?.message ?? err.message };
      }
    }),
  );
}
