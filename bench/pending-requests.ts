/**
 * Pending pairing requests per gateway (`openclaw devices list --json` → pending, parsed by the
 * product's parser), and which appeared between two readings: what a rollout left behind.
 */
import * as oc from '../src/activities/openclaw/index.js';
import type { Instance } from '../src/shared/inventory.js';

/** Request ids pending on each instance, by instance id. */
export type PendingByInstance = Record<string, string[]>;

export async function pendingByInstance(instances: Instance[]): Promise<PendingByInstance> {
  const lists = await Promise.all(instances.map((i) => oc.devicesList(i.gateway, { timeoutMs: 60_000 })));
  return Object.fromEntries(instances.map((i, n) => [i.id, lists[n]!.pending.map((p) => p.requestId)]));
}

/** The requests pending after that were not pending before, by instance (every instance listed). */
export function newPending(before: PendingByInstance, after: PendingByInstance): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([id, ids]) => [id, ids.filter((r) => !(before[id] ?? []).includes(r)).length]),
  );
}
