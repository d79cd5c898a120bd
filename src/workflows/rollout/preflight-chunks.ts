/**
 * The preflight and the final check in chunks of the fleet, one child workflow per chunk, one chunk
 * after the other: no child's history grows with the fleet, and a chunk schedules few enough
 * activities at once that the backlog of a large fleet does not read as a missing host worker (the
 * checks give a host's worker HOST_WORKER_WAIT_MS to take each one). A fleet of one chunk keeps the
 * single child of before (`<rollout>/preflight`, `<rollout>/final-check`); larger ones number them
 * (`<rollout>/preflight/1`, ...). Patched ('preflight-chunks-v1') by the callers.
 */
import { executeChild } from '@temporalio/workflow';
import { instanceLocalState } from '../../shared/preflight-rules.js';
import { clusterPreflight, reportClusterChecks, type PreflightReport } from '../preflight.js';
import type { RolloutRun } from './run.js';

/** Instances per chunk (the input's preflightChunkSize overrides it, for tests). */
export const PREFLIGHT_CHUNK = 50;

/** The whole fleet's report, merged from its chunks' reports in inventory order. */
export async function preflightInChunks(
  r: RolloutRun,
  kind: 'preflight' | 'final-check',
  targetVersion?: string,
): Promise<PreflightReport> {
  const { inventory, rolloutId } = r;
  const size = Math.max(1, r.input.preflightChunkSize ?? PREFLIGHT_CHUNK);
  const base = `${rolloutId}/${kind}`;
  const version = targetVersion !== undefined ? { targetVersion } : {};
  if (inventory.instances.length <= size)
    return executeChild(clusterPreflight, { workflowId: base, args: [{ inventory, ...version }] });
  const localState = instanceLocalState(inventory.instances);
  const reports: PreflightReport[] = [];
  for (let start = 0; start < inventory.instances.length; start += size) {
    const instances = inventory.instances.slice(start, start + size);
    const chunk = {
      first: start === 0,
      localState: Object.fromEntries(
        instances.flatMap((i) => (localState.has(i.id) ? [[i.id, localState.get(i.id)!]] : [])),
      ),
    };
    reports.push(
      await executeChild(clusterPreflight, {
        workflowId: `${base}/${reports.length + 1}`,
        args: [{ inventory: { ...inventory, instances }, ...version, chunk }],
      }),
    );
  }
  const instances = reports.flatMap((x) => x.instances);
  const cluster = reports[0]!.cluster;
  if (cluster) reportClusterChecks(instances, cluster);
  return { ok: instances.every((i) => i.problems.length === 0), instances, ...(cluster ? { cluster } : {}) };
}
