/**
 * The worker. Central mode (default) serves the workflows and every activity on the central task queue
 * (TEMPORAL_TASK_QUEUE, else the inventory's). `--host <name>` serves only the activities of the
 * instances on that host, on that host's queue, so their CLI calls and hooks run where the gateway lives.
 *
 *   npm run worker -- --inventory cluster.yaml [--host h1]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { RolloutError } from '../shared/errors.js';
import type { Inventory } from '../shared/inventory.js';
import { centralQueue, hostQueue } from '../shared/task-queues.js';
import { loadInventory } from '../inventory-file.js';
import { connectionError, resolveConnection } from './connection.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

const HELP = `openclaw-rollout worker: runs rollout workflows and the commands they need.

Usage: npm run worker -- --inventory <cluster.yaml> [--host <host>]

  --inventory <file>  the cluster inventory (YAML or JSON); its temporal block says where to connect
  --host <host>       serve only the commands of instances with host: <host> (run one such worker on
                      each gateway host); without it, serve workflows and all commands
  --workflow-bundle <file>  a prebuilt workflow bundle (from bundleWorkflowCode) instead of bundling
                      src/workflows at start (faster restarts; it must come from this same code)
  -h, --help          this help

Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY,
TEMPORAL_TLS_SERVER_NAME and TEMPORAL_API_KEY override the inventory; TEMPORAL_TASK_QUEUE its task queue
(the starter's too). OPENCLAW_ROLLOUT_CODEC_KEYS or OPENCLAW_ROLLOUT_CODEC_KEY_FILE (id:base64key
entries, current first) encrypt payloads; starter and workers need the same keys. Secrets the inventory
references (gateway tokens, passwords) must be readable here.`;

export interface WorkerSetup {
  inventoryPath: string;
  host?: string;
  /** A prebuilt workflow bundle (bundleWorkflowCode output) to start faster than bundling src/workflows. */
  workflowBundlePath?: string;
  /** Extra options (tests pass a prebuilt workflowBundle). */
  overrides?: Partial<WorkerOptions>;
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
): Promise<{ worker: Worker; connection: NativeConnection; taskQueue: string }> {
  const inventory = await loadInventory(setup.inventoryPath);
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
    ...(setup.host
      ? {}
      : setup.workflowBundlePath
        ? { workflowBundle: { codePath: setup.workflowBundlePath } }
        : { workflowsPath }),
    ...setup.overrides,
  });
  return { worker, connection, taskQueue };
}

/** Bad usage of the worker's command line (exit 2). */
class WorkerUsageError extends Error {}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      inventory: { type: 'string' },
      host: { type: 'string' },
      'workflow-bundle': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(HELP);
  if (!values.inventory) throw new WorkerUsageError('--inventory <cluster.yaml> is required (see --help)');
  const { worker, connection, taskQueue } = await createWorker({
    inventoryPath: values.inventory,
    host: values.host,
    workflowBundlePath: values['workflow-bundle'],
  });
  console.log(
    `worker serving task queue ${taskQueue}${values.host ? ` (host ${values.host}: commands only)` : ' (workflows and commands)'}`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

/** Runs the worker of this process until it stops; prints an error and exits 1 (2 for bad usage) on failure. */
export async function runAsProcess(argv: string[]): Promise<void> {
  try {
    await serve(argv);
  } catch (err) {
    console.error(err instanceof RolloutError || err instanceof WorkerUsageError ? `error: ${err.message}` : err);
    process.exit(err instanceof WorkerUsageError ? 2 : 1);
  }
}
