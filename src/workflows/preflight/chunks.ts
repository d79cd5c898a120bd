/**
 * How a fleet's checks are cut into chunks and how the chunks' reports become one report: shared by the
 * rollout (rollout/preflight-chunks.ts: one child workflow per chunk) and the starter's `preflight`,
 * `plan` and `start` (cli/preflight-checks.ts: one workflow per chunk), so that no check workflow's
 * history grows with the fleet. Pure: no Temporal calls.
 */
import type { Inventory } from '../../shared/inventory.js';
import { instanceLocalState } from '../../shared/preflight-rules.js';
import { reportClusterChecks } from '../preflight.js';
import type { PreflightInput, PreflightReport } from './types.js';

/** Instances per chunk (the rollout input's preflightChunkSize overrides it, for tests). */
export const PREFLIGHT_CHUNK = 50;

/**
 * The inventories and chunk settings of a fleet larger than `size`, in inventory order: each lists its
 * chunk's instances; the instance-local state check is computed over the whole fleet; the cluster's
 * checks run in the first chunk only.
 */
export function preflightChunks(
  inventory: Inventory,
  size: number,
): { inventory: Inventory; chunk: NonNullable<PreflightInput['chunk']> }[] {
  const localState = instanceLocalState(inventory.instances);
  const chunks: { inventory: Inventory; chunk: NonNullable<PreflightInput['chunk']> }[] = [];
  for (let start = 0; start < inventory.instances.length; start += size) {
    const instances = inventory.instances.slice(start, start + size);
    const chunkState = instances.flatMap((i) => (localState.has(i.id) ? [[i.id, localState.get(i.id)!] as const] : []));
    chunks.push({
      inventory: { ...inventory, instances },
      chunk: { first: start === 0, localState: Object.fromEntries(chunkState) },
    });
  }
  return chunks;
}

/** The whole fleet's report from its chunks' reports (in inventory order), the cluster's checks on every instance. */
export function mergeChunkReports(reports: PreflightReport[]): PreflightReport {
  const instances = reports.flatMap((x) => x.instances);
  const cluster = reports[0]?.cluster;
  if (cluster) reportClusterChecks(instances, cluster);
  return { ok: instances.every((i) => i.problems.length === 0), instances, ...(cluster ? { cluster } : {}) };
}
