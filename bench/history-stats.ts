/** How big a workflow's history is: event count and encoded size (what Temporal's limits count). */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;

export interface HistoryStats {
  workflowId: string;
  events: number;
  bytes: number;
}

export async function historyStats(client: Client, workflowId: string, runId?: string): Promise<HistoryStats> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return {
    workflowId,
    events: history.events?.length ?? 0,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
  };
}

/** Every run of a workflow that continued-as-new, first to last, and the largest of them. */
export async function runsStats(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runs: number; largest: HistoryStats }> {
  const all: HistoryStats[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    all.push({
      workflowId,
      events: history.events?.length ?? 0,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
    });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return { runs: all.length, largest: all.reduce((a, b) => (b.events > a.events ? b : a)) };
}
