/**
 * One rollout of a simulated fleet with the no-op executor: a fresh bench worker process, the real
 * clusterRollout started as the starter starts it, every instance approved as soon as it waits.
 * Measures wall time (start → result; the worker is already polling), activities run, approval
 * latencies, the worker's peak memory, and the sizes of the histories.
 */
import { rolloutWorkflowId } from '../src/shared/ids.js';
import type { ClusterRolloutReport } from '../src/workflows/cluster-rollout.js';
import { ActivityFeed } from './activity-feed.js';
import { APPROVER_NOTIFY, AutoApprover } from './auto-approver.js';
import type { BenchContext } from './context.js';
import { simulatedFleet, TARGET_VERSION } from './fleet.js';
import { historyStats, runsStats, type HistoryStats } from './history-stats.js';
import { PREFLIGHT_CHUNK } from '../src/workflows/preflight/chunks.js';
import { startBenchWorker } from './worker-handle.js';

export interface NoopRolloutResult {
  instances: number;
  batchSize: number | string;
  wallMs: number;
  activities: number;
  approvalLatenciesMs: number[];
  workerPeakRssBytes: number;
  /** The largest run of the parent (it continues-as-new between batches as its history grows). */
  parentHistory: HistoryStats;
  /** How many runs the parent took. */
  parentRuns: number;
  /** The largest of the children (first, middle, last), preflight and final check. */
  largestOtherHistory: HistoryStats;
  /** The largest single event of any history measured (every run of the parent, the others). */
  largestEventBytes: number;
}

export async function runNoopRollout(
  ctx: BenchContext,
  opts: { instances: number; batchSize: number | string },
): Promise<NoopRolloutResult> {
  const name = ctx.nextName(`rollout${opts.instances}`);
  const feed = new ActivityFeed();
  const worker = await startBenchWorker({
    address: ctx.server.address,
    taskQueue: name,
    bundlePath: ctx.bundlePath,
    notify: APPROVER_NOTIFY,
    onActivity: feed.emit,
  });
  try {
    const inventory = simulatedFleet({ ...opts, cluster: name, address: ctx.server.address, taskQueue: name });
    const rolloutId = rolloutWorkflowId(inventory.cluster);
    const approver = new AutoApprover(ctx.client, rolloutId, feed);
    const started = Date.now();
    const handle = await ctx.client.workflow.start('clusterRollout', {
      taskQueue: name,
      workflowId: rolloutId,
      args: [{ inventory, targetVersion: TARGET_VERSION, startedBy: 'bench-starter' }],
    });
    const report = (await handle.result()) as ClusterRolloutReport;
    const wallMs = Date.now() - started;
    approver.close();
    if (report.outcome !== 'done') throw new Error(`bench rollout of ${opts.instances} ended ${report.outcome}`);
    const activities = await worker.activityCount();
    const workerPeakRssBytes = await worker.peakRssBytes();
    const ids = inventory.instances.map((i) => i.id);
    // Past one chunk, the preflight and final check run one child per chunk: the first is measured.
    const chunk = ids.length > PREFLIGHT_CHUNK ? '/1' : '';
    const others = await Promise.all(
      [
        `${rolloutId}/preflight${chunk}`,
        `${rolloutId}/final-check${chunk}`,
        ...[ids[0]!, ids[Math.floor(ids.length / 2)]!, ids.at(-1)!].map((i) => `${rolloutId}/${i}`),
      ].map((id) => historyStats(ctx.client, id)),
    );
    const parent = await runsStats(ctx.client, rolloutId, handle.firstExecutionRunId);
    return {
      ...opts,
      wallMs,
      activities,
      approvalLatenciesMs: approver.latencies(),
      workerPeakRssBytes,
      parentHistory: parent.largest,
      parentRuns: parent.runs,
      largestOtherHistory: others.reduce((a, b) => (b.events > a.events ? b : a)),
      largestEventBytes: Math.max(parent.largestEventBytes, ...others.map((o) => o.largestEventBytes)),
    };
  } finally {
    await worker.stop();
  }
}
