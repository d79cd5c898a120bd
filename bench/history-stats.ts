/** How big a workflow's history is: event count and encoded size (what Temporal's limits count). */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;
type History = proto.temporal.api.history.v1.IHistory;

export interface HistoryStats {
  workflowId: string;
  events: number;
  bytes: number;
  /**
   * The largest single event, encoded: an upper bound for the largest payload in the history (a
   * signal's, an activity's result, the input a continued run starts with). Temporal and the SDK warn
   * past 256 KB per payload and refuse past 2 MB.
   */
  largestEventBytes: number;
}

function statsOf(workflowId: string, history: History): HistoryStats {
  const events = history.events ?? [];
  let largestEventBytes = 0;
  for (const e of events)
    largestEventBytes = Math.max(largestEventBytes, temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  return {
    workflowId,
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    largestEventBytes,
  };
}

export async function historyStats(client: Client, workflowId: string, runId?: string): Promise<HistoryStats> {
  return statsOf(workflowId, await client.workflow.getHandle(workflowId, runId).fetchHistory());
}

/** Every run of a workflow that continued-as-new, first to last: the largest, and the largest event of any run. */
export async function runsStats(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runs: number; largest: HistoryStats; largestEventBytes: number }> {
  const all: HistoryStats[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    all.push(statsOf(workflowId, history));
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return {
    runs: all.length,
    largest: all.reduce((a, b) => (b.events > a.events ? b : a)),
    largestEventBytes: Math.max(...all.map((s) => s.largestEventBytes)),
  };
}
