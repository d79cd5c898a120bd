/**
 * Section 2, scale: simulated fleets (no-op executor) of growing size (batch size 25, or a share of the
 * fleet for the largest): wall time,
 * the largest history (parent and children), the worker's peak memory, and how far the parent's history
 * is from Temporal's limits (warning at 10,240 events / 10 MB, termination at 51,200 events / 50 MB).
 */
import type { BenchContext } from './context.js';
import { runNoopRollout, type NoopRolloutResult } from './noop-rollout.js';
import { summarize, type Summary } from './stats.js';

export const HISTORY_LIMIT_EVENTS = 51_200;
export const HISTORY_WARN_EVENTS = 10_240;
export const HISTORY_LIMIT_BYTES = 50 * 1024 * 1024;
/** Temporal and the SDK warn about a payload past this size. */
export const PAYLOAD_WARN_BYTES = 256 * 1024;

export interface ScalePoint {
  instances: number;
  batchSize: number | string;
  repetitions: number;
  wallMs: Summary;
  parentEvents: number;
  parentBytes: number;
  /** Runs the parent took (continue-as-new); parentEvents / parentBytes are its largest run's. */
  parentRuns: number;
  largestChildEvents: number;
  largestChildBytes?: number;
  /** The largest single event of any measured history (an upper bound for the largest payload). */
  largestEventBytes?: number;
  workerPeakRssBytes: Summary;
  /** Instances at which the parent's history would reach the termination limit, from events per instance. */
  projectedInstancesAtEventLimit: number;
  projectedInstancesAtByteLimit: number;
  continueAsNewNeeded: boolean;
  /** Approval sent → rejoin started, for every approval of the first run. */
  approvalLatenciesMs: number[];
}

export async function measureScale(
  ctx: BenchContext,
  opts: {
    sizes: { instances: number; repetitions: number; batchSize?: number | string }[];
    batchSize: number;
    log: (s: string) => void;
  },
): Promise<ScalePoint[]> {
  const points: ScalePoint[] = [];
  for (const size of opts.sizes) {
    const runs: NoopRolloutResult[] = [];
    for (let rep = 1; rep <= size.repetitions; rep++) {
      const r = await runNoopRollout(ctx, { instances: size.instances, batchSize: size.batchSize ?? opts.batchSize });
      runs.push(r);
      opts.log(
        `scale ${size.instances} (${rep}/${size.repetitions}): ${r.wallMs} ms, parent history ${r.parentHistory.events} events / ${r.parentHistory.bytes} bytes (largest of ${r.parentRuns} runs), worker peak ${Math.round(r.workerPeakRssBytes / 1048576)} MB`,
      );
    }
    const parentEvents = Math.max(...runs.map((r) => r.parentHistory.events));
    const parentBytes = Math.max(...runs.map((r) => r.parentHistory.bytes));
    const atEvents = Math.floor((HISTORY_LIMIT_EVENTS / parentEvents) * size.instances);
    const atBytes = Math.floor((HISTORY_LIMIT_BYTES / parentBytes) * size.instances);
    points.push({
      instances: size.instances,
      batchSize: size.batchSize ?? opts.batchSize,
      repetitions: size.repetitions,
      wallMs: summarize(runs.map((r) => r.wallMs)),
      parentEvents,
      parentBytes,
      parentRuns: Math.max(...runs.map((r) => r.parentRuns)),
      largestChildEvents: Math.max(...runs.map((r) => r.largestOtherHistory.events)),
      largestChildBytes: Math.max(...runs.map((r) => r.largestOtherHistory.bytes)),
      largestEventBytes: Math.max(...runs.map((r) => r.largestEventBytes)),
      workerPeakRssBytes: summarize(runs.map((r) => r.workerPeakRssBytes)),
      projectedInstancesAtEventLimit: atEvents,
      projectedInstancesAtByteLimit: atBytes,
      continueAsNewNeeded: parentEvents > HISTORY_WARN_EVENTS || parentBytes > 10 * 1024 * 1024,
      approvalLatenciesMs: runs[0]!.approvalLatenciesMs,
    });
  }
  return points;
}
