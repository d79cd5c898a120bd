/**
 * The preflight and the final check in chunks of the fleet, one child workflow per chunk, one chunk
 * after the other: no child's history grows with the fleet, and a chunk schedules few enough
 * activities at once that the backlog of a large fleet does not read as a missing host worker (the
 * checks give a host's worker HOST_WORKER_WAIT_MS to take each one). A fleet of one chunk keeps the
 * single child of before (`<rollout>/preflight`, `<rollout>/final-check`); larger ones number them
 * (`<rollout>/preflight/1`, ...). Patched ('preflight-chunks-v1') by the callers.
 */
import { executeChild } from '@temporalio/workflow';
import { clusterPreflight, type PreflightReport } from '../preflight.js';
import { mergeChunkReports, PREFLIGHT_CHUNK, preflightChunks } from '../preflight/chunks.js';
import type { RolloutRun } from './run.js';

/** The whole fleet's report, merged from its chunks' reports in inventory order. */
export async function preflightInChunks(
  r: RolloutRun,
  kind: 'preflight' | 'final-check',
  targetVersion?: string,
  pendingSince?: number,
): Promise<PreflightReport> {
  const { inventory, rolloutId } = r;
  const size = chunkSize(r);
  const base = `${rolloutId}/${kind}`;
  const takeUp = kind === 'preflight' ? r.input.takeUp : undefined;
  const asked = {
    ...(targetVersion !== undefined ? { targetVersion } : {}),
    ...(pendingSince !== undefined ? { pendingSince } : {}),
    ...(takeUp?.length ? { takeUp } : {}),
  };
  if (inventory.instances.length <= size)
    return executeChild(clusterPreflight, { workflowId: base, args: [{ inventory, ...asked }] });
  const reports: PreflightReport[] = [];
  for (const [n, c] of preflightChunks(inventory, size).entries())
    reports.push(
      await executeChild(clusterPreflight, {
        workflowId: `${base}/${n + 1}`,
        args: [{ inventory: c.inventory, ...asked, chunk: c.chunk }],
      }),
    );
  return mergeChunkReports(reports);
}

const chunkSize = (r: RolloutRun) => Math.max(1, r.input.preflightChunkSize ?? PREFLIGHT_CHUNK);

/** How many child workflows the fleet's check takes. */
export const checkChunks = (r: RolloutRun): number => Math.ceil(r.inventory.instances.length / chunkSize(r));
