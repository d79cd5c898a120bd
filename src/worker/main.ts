/**
 * The worker. Central mode (default) serves the workflows and every activity on the central task queue
 * (TEMPORAL_TASK_QUEUE, else the inventory's). `--host <name>` serves only the activities of the
 * instances on that host, on that host's queue, so their CLI calls and hooks run where the gateway lives.
 * Its command line (`openclaw-rollout worker`, `npm run worker`) is src/cli/commands/worker.ts.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Inventory } from '../shared/inventory.js';
import { centralQueue, hostQueue } from '../shared/task-queues.js';
import { loadInventory } from '../inventory-file.js';
import { connectionError, resolveConnection } from './connection.js';
import { workerTuning } from './tuning.js';
import { siblingModulePath } from '../module-path.js';
import { connectClient } from '../cli/client.js';
import { installMetricsRuntime } from './metrics/telemetry.js';
import { startFleetGauges } from './metrics/fleet-gauges.js';

/** The workflows to bundle at start: src/workflows/index.ts in a checkout, dist/workflows/index.js when installed. */
export const workflowsPath = siblingModulePath(import.meta.url, '../workflows/index');

export interface WorkerSetup {
  inventoryPath: string;
  host?: string;
  /** A prebuilt workflow bundle (bundleWorkflowCode output) to start faster than bundling src/workflows. */
  workflowBundlePath?: string;
  /** Extra options (tests pass a prebuilt workflowBundle). */
  overrides?: Partial<WorkerOptions>;
  /** `--metrics`: serve Prometheus metrics on this address (checked: metricsBindAddress). */
  metrics?: string;
}

/** The queue a worker serves: the central one, or with --host that host's (the same names the starter and workflows use). */
export function workerTaskQueue(
  inventory: Pick<Inventory, 'temporal'>,
  env: Readonly<Record<string, string | undefined>>,
  host?: string,
): string {
  const central = centralQueue(inventory, env);
  return host ? hostQueue(central, host) : central;
}

export async function createWorker(
  setup: WorkerSetup,
): Promise<{ worker: Worker; connection: NativeConnection; taskQueue: string; inventory: Inventory }> {
  const inventory = await loadInventory(setup.inventoryPath);
  if (setup.metrics) installMetricsRuntime(setup.metrics, inventory.cluster);
  const conn = await resolveConnection(inventory.temporal);
  if (conn.payloads.warning) console.error(conn.payloads.warning);
  const connection = await NativeConnection.connect(conn.options).catch(async (err: unknown) => {
    throw await connectionError(err, conn);
  });
  const taskQueue = workerTaskQueue(inventory, process.env, setup.host);
  const worker = await Worker.create({
    connection,
    namespace: conn.namespace,
    taskQueue,
    activities: createActivities(),
    dataConverter: conn.payloads.dataConverter,
    ...workerTuning,
    ...(setup.host
      ? {}
      : setup.workflowBundlePath
        ? { workflowBundle: { codePath: setup.workflowBundlePath } }
        : { workflowsPath }),
    ...setup.overrides,
  });
  return { worker, connection, taskQueue, inventory };
}

/**
 * Runs a worker until the process is asked to stop (SIGINT or SIGTERM: the SDK finishes in-flight work
 * first). `openclaw-rollout worker` (src/cli/commands/worker.ts) parses its command line and calls this.
 */
export async function runWorker(setup: WorkerSetup): Promise<void> {
  const { worker, connection, taskQueue, inventory } = await createWorker(setup);
  // The central worker also keeps the fleet gauges (what runs now, host queues polled); a host worker
  // serves only the SDK's metrics and those its activities record.
  const gauges = setup.metrics && !setup.host ? await fleetGauges(inventory) : undefined;
  console.log(
    `worker serving task queue ${taskQueue}${setup.host ? ` (host ${setup.host}: commands only)` : ' (workflows and commands)'}`,
  );
  if (setup.metrics) console.log(`metrics on http://${setup.metrics}/metrics`);
  try {
    await worker.run();
  } finally {
    await gauges?.stop();
    await connection.close();
  }
}

/** The fleet gauges on their own client connection (closed when they stop). */
async function fleetGauges(inventory: Inventory): Promise<{ stop(): Promise<void> }> {
  const { client, connection } = await connectClient(inventory);
  const gauges = startFleetGauges(client, inventory);
  return {
    async stop() {
      await gauges.stop();
      await connection.close();
    },
  };
}
