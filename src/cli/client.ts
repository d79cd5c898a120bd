/**
 * The CLI's one way to Temporal: connect (with the worker's connection settings and payload codec),
 * run a command with a client and close it, the Web UI link of a workflow, and the errors every command
 * turns "not found" and "already running" into.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { ConfigurationError } from '../shared/errors.js';
import type { Inventory } from '../shared/inventory.js';
import { rolloutWorkflowId } from '../shared/ids.js';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../shared/search-attributes.js';
import { connectionError, resolveConnection } from '../worker/connection.js';

export async function connectClient(inventory: Inventory): Promise<{ client: Client; connection: Connection }> {
  const conn = await resolveConnection(inventory.temporal);
  if (conn.payloads.warning) console.error(conn.payloads.warning);
  const connection = await Connection.connect({ ...conn.options, connectTimeout: 10_000 }).catch(
    async (err: unknown) => {
      throw await connectionError(err, conn);
    },
  );
  return {
    client: new Client({ connection, namespace: conn.namespace, dataConverter: conn.payloads.dataConverter }),
    connection,
  };
}

/** Connects, runs `fn` with the client, and closes the connection whatever happens. */
export async function withClient(inventory: Inventory, fn: (client: Client) => Promise<number>): Promise<number> {
  const { client, connection } = await connectClient(inventory);
  try {
    return await fn(client);
  } finally {
    await connection.close();
  }
}

/** The workflow's page in the Temporal Web UI (TEMPORAL_UI_URL or temporal.uiUrl), if one is configured. */
export function uiLink(inventory: Inventory, workflowId: string): string | undefined {
  const base = process.env.TEMPORAL_UI_URL ?? inventory.temporal.uiUrl;
  return base
    ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(inventory.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
}

/** Which of the rollout's search attributes the namespace lacks (empty: all registered). */
export async function missingSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  return ROLLOUT_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !(name in (customAttributes ?? {})));
}

/** The handle of the cluster's rollout (one per cluster: its id derives from the cluster name). */
export const rolloutHandle = (client: Client, inventory: Inventory) =>
  client.workflow.getHandle(rolloutWorkflowId(inventory.cluster));

/** Runs `call` on the cluster's rollout; when there is none, says so (exit 1, nothing changed). */
export async function onRunningRollout<T>(inventory: Inventory, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new ConfigurationError(
        `no rollout of cluster ${inventory.cluster} is running (${rolloutWorkflowId(inventory.cluster)})`,
      );
    throw err;
  }
}

/** Runs `start`; a workflow with that id already running becomes a ConfigurationError saying `alreadyRunning`. */
export async function startOnce<T>(start: () => Promise<T>, alreadyRunning: string): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new ConfigurationError(alreadyRunning);
    throw err;
  }
}
