/**
 * `worker --metrics <host:port>`: the SDK's Runtime set to serve Prometheus metrics there (/metrics): the SDK's own (temporal_*: pollers, task slots, latencies) and the rollout's
 * (src/shared/metrics.ts), which the workflows and the fleet gauges record through the same Runtime.
 * Runtime.install must run before any connection exists.
 */
import { Runtime, type Logger, type TelemetryOptions } from '@temporalio/worker';
import { METRICS } from '../../shared/metrics.js';
import { UsageError } from '../../cli/command.js';

/** Histogram buckets of the rollout's histograms (seconds), by name. */
const buckets = Object.fromEntries(
  Object.values(METRICS)
    .filter((m) => 'buckets' in m)
    .map((m) => [m.name, [...(m as { buckets: readonly number[] }).buckets]]),
);

/**
 * The Runtime's telemetry: Prometheus on `bindAddress`, durations in seconds, our buckets, and
 * `worker_cluster` (the cluster of the worker's inventory) on every series, so the SDK's own can be
 * told apart by cluster (the rollout's carry the rollout's `cluster`).
 */
export function metricsTelemetry(bindAddress: string, cluster: string): TelemetryOptions {
  return {
    metrics: {
      prometheus: { bindAddress, useSecondsForDurations: true, histogramBucketOverrides: buckets },
      globalTags: { worker_cluster: cluster },
    },
  };
}

/** Installs the Runtime with metrics (before any connection). */
export function installMetricsRuntime(bindAddress: string, cluster: string, logger?: Logger): void {
  try {
    Runtime.install({ ...(logger ? { logger } : {}), telemetryOptions: metricsTelemetry(bindAddress, cluster) });
  } catch (err) {
    throw new UsageError(
      `worker: --metrics ${bindAddress}: could not serve metrics there (${(err as Error).message}); is the port taken?`,
    );
  }
}
