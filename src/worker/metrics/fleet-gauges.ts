/**
 * The fleet gauges (src/shared/metrics.ts, source 'fleet'): what is true now, asked of Temporal every
 * `intervalMs` by the central worker started with --metrics: the cluster's rollout (running? its
 * instances by phase, out of traffic and waiting for a person: the live progress `status` shows) and the
 * workers polling each gateway host's queue. Every worker that asks gets the same answer, so two
 * central workers with --metrics report equal values (aggregate with max, never sum: docs/metrics.md);
 * after a restart the first update sets them again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { MetricMeter } from '@temporalio/common';
import { liveProgress } from '../../cli/live-progress.js';
import { livePollers } from '../../cli/preflight-checks.js';
import type { Inventory } from '../../shared/inventory.js';
import type { RolloutProgress } from '../../shared/messages/rollout.js';
import { rolloutWorkflowId } from '../../shared/ids.js';
import { METRICS } from '../../shared/metrics.js';
import { centralQueue, hostQueue } from '../../shared/task-queues.js';
import { fleetState } from './fleet-state.js';

export const FLEET_GAUGES_INTERVAL_MS = 15_000;

/** The cluster's rollout's live progress while it runs, else undefined. */
async function runningRollout(client: Client, cluster: string): Promise<RolloutProgress | undefined> {
  const handle = client.workflow.getHandle(rolloutWorkflowId(cluster));
  try {
    const d = await handle.describe();
    return d.status.name === 'RUNNING' ? await liveProgress(handle) : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Pollers per gateway host (worker --host) of the inventory. */
async function hostPollers(client: Client, inventory: Inventory): Promise<Record<string, number>> {
  const hosts = [...new Set(inventory.instances.flatMap((i) => (i.host ? [i.host] : [])))];
  const central = centralQueue(inventory, process.env);
  const counts = await Promise.all(
    hosts.map(async (h) => {
      const pollers = await livePollers(client, inventory.temporal.namespace, hostQueue(central, h), 'activity');
      return [h, pollers.length] as const;
    }),
  );
  return Object.fromEntries(counts);
}

/** One update of every fleet gauge. */
export async function updateFleetGauges(meter: MetricMeter, client: Client, inventory: Inventory): Promise<void> {
  const { cluster } = inventory;
  const [progress, pollers] = await Promise.all([runningRollout(client, cluster), hostPollers(client, inventory)]);
  const now = Date.now();
  const s = fleetState(
    progress,
    inventory.instances.map((i) => i.id),
    now,
  );
  const gauge = (m: { name: string; help: string }) => meter.createGauge(m.name, 'float', undefined, m.help);
  gauge(METRICS.running).set(s.running, { cluster });
  const instances = gauge(METRICS.instances);
  for (const [phase, n] of Object.entries(s.phases)) instances.set(n, { cluster, phase });
  const out = gauge(METRICS.outOfTrafficNow);
  for (const [id, sec] of Object.entries(s.outOfTraffic)) out.set(sec, { cluster, openclaw_instance: id });
  const waiting = gauge(METRICS.awaitingPerson);
  for (const [id, sec] of Object.entries(s.awaitingPerson)) waiting.set(sec, { cluster, openclaw_instance: id });
  const polling = gauge(METRICS.hostPollers);
  for (const [host, n] of Object.entries(pollers)) polling.set(n, { cluster, host });
  gauge(METRICS.gaugesUpdated).set(Math.floor(now / 1000), { cluster });
}

/**
 * Updates the fleet gauges now and every `intervalMs` until stopped. A failed update is logged (once
 * per distinct message) and leaves the last values; `openclaw_rollout_fleet_gauges_updated_seconds`
 * shows how old they are.
 */
export function startFleetGauges(
  client: Client,
  inventory: Inventory,
  intervalMs = FLEET_GAUGES_INTERVAL_MS,
  meter: MetricMeter = Runtime.instance().metricMeter,
): { stop(): Promise<void> } {
  let stopped = false;
  let lastError = '';
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = updateFleetGauges(meter, client, inventory).then(
      () => void (lastError = ''),
      (err: unknown) => {
        const message = (err as Error).message;
        if (message !== lastError) console.error(`metrics: the fleet gauges were not updated: ${message}`);
        lastError = message;
      },
    );
    void current.then(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
