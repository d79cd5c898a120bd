/**
 * The cluster's emergency repairs for `status`: running, and finished within the last day, found through
 * Temporal's visibility (workflow type and the two id forms of src/shared/ids.ts), each with its phase
 * (running: the repair's own progress query) or its outcome (finished: its result or failure).
 */
import {
  WorkflowFailedError,
  type WorkflowClient,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { repairIdParts, repairIdPrefixes, type RepairIdParts } from '../shared/ids.js';
import { repairProgressQuery } from '../shared/messages/repair.js';
import type { EmergencyRepairResult } from '../workflows/repair/types.js';

/** How far back finished repairs are listed. */
export const FINISHED_REPAIRS_WINDOW_MS = 24 * 3600_000;
/** At most this many repairs are read (newest first); status says when there were more. */
export const MAX_REPAIRS = 20;
/** A running repair's progress query waits this long: without a worker it would wait for the RPC's own deadline. */
const QUERY_DEADLINE_MS = 5_000;

export interface RepairRow extends RepairIdParts {
  workflowId: string;
  running: boolean;
  /** Running: the repair's phase (e.g. AwaitingApproval). Finished: repaired, rejected, failed, terminated… */
  state: string;
  /** What a person reads next: the running step, the request waiting, the approver, the failure. */
  detail: string;
  startTime: Date;
  closeTime?: Date;
}

/** The visibility query: the cluster's (or instance's) repairs, running or closed since `since`. */
export function repairsQuery(cluster: string, since: Date, instance?: string): string {
  const ids = repairIdPrefixes(cluster, instance).map((p) => `WorkflowId STARTS_WITH '${p}'`);
  return (
    `WorkflowType = 'emergencyRepair' AND (${ids.join(' OR ')}) ` +
    `AND (ExecutionStatus = 'Running' OR CloseTime >= '${since.toISOString()}')`
  );
}

export interface RepairList {
  rows: RepairRow[];
  /** More matched than MAX_REPAIRS. */
  truncated: boolean;
}

export async function listRepairs(
  client: WorkflowClient,
  cluster: string,
  instance?: string,
  now: Date = new Date(),
): Promise<RepairList> {
  const query = repairsQuery(cluster, new Date(now.getTime() - FINISHED_REPAIRS_WINDOW_MS), instance);
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.list({ query, pageSize: MAX_REPAIRS + 1 })) {
    found.push(info);
    if (found.length > MAX_REPAIRS) break;
  }
  const rows = await Promise.all(found.slice(0, MAX_REPAIRS).map((info) => repairRow(client, cluster, info)));
  return { rows: rows.filter((r): r is RepairRow => r !== undefined), truncated: found.length > MAX_REPAIRS };
}

async function repairRow(
  client: WorkflowClient,
  cluster: string,
  info: WorkflowExecutionInfo,
): Promise<RepairRow | undefined> {
  const parts = repairIdParts(cluster, info.workflowId);
  if (!parts) return undefined;
  const running = info.status.name === 'RUNNING';
  const handle = client.getHandle(info.workflowId, info.runId);
  const { state, detail } = running
    ? await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => runningState(handle))
    : await finishedState(handle, info.status.name);
  return {
    ...parts,
    workflowId: info.workflowId,
    running,
    state,
    detail,
    startTime: info.startTime,
    ...(info.closeTime ? { closeTime: info.closeTime } : {}),
  };
}

async function runningState(handle: WorkflowHandle): Promise<{ state: string; detail: string }> {
  const progress = await handle.query(repairProgressQuery).catch(() => undefined);
  if (!progress)
    return { state: 'Running', detail: `no worker answered its progress query within ${QUERY_DEADLINE_MS / 1000} s` };
  const step = progress.steps.find((s) => s.status === 'running');
  const detail =
    progress.phase === 'AwaitingApproval' && progress.request
      ? `request ${progress.request.requestId} waits for approve-repair`
      : step
        ? `worker: ${step.step}`
        : progress.reason;
  return { state: progress.phase, detail };
}

async function finishedState(handle: WorkflowHandle, status: string): Promise<{ state: string; detail: string }> {
  try {
    const result = (await handle.result()) as EmergencyRepairResult;
    const by = result.decision ? ` by ${result.decision.approver}` : '';
    return { state: result.outcome, detail: `${result.outcome === 'repaired' ? 'approved' : 'rejected'}${by}` };
  } catch (err) {
    if (err instanceof WorkflowFailedError && status === 'FAILED')
      return { state: 'failed', detail: (err.cause ?? err).message };
    return { state: status.toLowerCase().replace(/_/g, ' '), detail: '-' };
  }
}
