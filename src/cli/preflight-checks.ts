/**
 * The starter's side of the checks before anything changes (issue 20): which task queues have a worker
 * polling (host-worker: the Temporal server knows, no workflow can ask), the read-only preflight workflow
 * with the target, and how `plan`, `start` and `preflight` print the checks and refuse.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Inventory } from '../shared/inventory.js';
import { describeCheck, type CheckResult } from '../shared/preflight-rules.js';
import { formatTable } from './views/text-table.js';
import { checkWorkflowId } from '../shared/ids.js';
import { centralQueue, instanceQueue } from '../shared/task-queues.js';
import type { PreflightReport } from '../workflows/preflight.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** A poller seen more recently than this is polling (a long poll lasts about a minute; the server forgets pollers after ~5 min). */
export const POLLER_FRESH_MS = 90_000;

/** The workers polling `queue` for `type` tasks, seen within POLLER_FRESH_MS. */
export async function livePollers(client: Client, namespace: string, queue: string, type: 'workflow' | 'activity', now = Date.now()): Promise<string[]> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: type === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0);
  return (res.pollers ?? []).filter((p) => now - seconds(p.lastAccessTime) < POLLER_FRESH_MS).map((p) => p.identity ?? '?');
}

export interface WorkerCheck {
  /** The central queue has a worker (workflows and central activities); without it nothing runs at all. */
  central: CheckResult;
  /** host-worker per instance. */
  perInstance: Map<string, CheckResult>;
}

/**
 * host-worker: the central queue has a worker polling workflows and activities, and every instance's
 * host queue (`worker --host <h>`) has one polling activities.
 */
export async function checkWorkers(client: Client, inventory: Inventory, inventoryFile: string): Promise<WorkerCheck> {
  const ns = inventory.temporal.namespace;
  const central = centralQueue(inventory);
  const [wf, act] = await Promise.all([livePollers(client, ns, central, 'workflow'), livePollers(client, ns, central, 'activity')]);
  const centralCheck: CheckResult =
    wf.length && act.length
      ? { check: 'host-worker', status: 'ok', found: `central queue ${central}: ${wf.length} worker(s) polling (${[...new Set([...wf, ...act])].join(', ')})` }
      : {
          check: 'host-worker',
          status: 'failed',
          found: `no worker polls the central task queue ${central} (${wf.length ? '' : 'workflows'}${!wf.length && !act.length ? ' and ' : ''}${act.length ? '' : 'activities'}) in namespace ${ns}.`,
          fix: `start one: npm run worker -- --inventory ${inventoryFile}`,
        };
  const hosts = new Map<string, Promise<string[]>>();
  for (const i of inventory.instances) {
    if (!i.host) continue;
    const q = instanceQueue(central, i);
    if (!hosts.has(i.host)) hosts.set(i.host, livePollers(client, ns, q, 'activity'));
  }
  const perInstance = new Map<string, CheckResult>();
  for (const i of inventory.instances) {
    if (!i.host) {
      perInstance.set(i.id, { ...centralCheck, found: centralCheck.status === 'ok' ? `no host: runs on the central worker (${act.length} polling)` : centralCheck.found });
      continue;
    }
    const pollers = await hosts.get(i.host)!;
    const q = instanceQueue(central, i);
    perInstance.set(
      i.id,
      pollers.length
        ? { check: 'host-worker', status: 'ok', found: `host ${i.host}: ${pollers.length} worker(s) polling ${q}` }
        : {
            check: 'host-worker',
            status: 'failed',
            found: `no worker polls host ${i.host}'s task queue ${q}: ${i.id}'s CLI, install and hooks would wait there and nothing would run.`,
            fix: `on ${i.host}, start: npm run worker -- --inventory ${inventoryFile} --host ${i.host}`,
          },
    );
  }
  return { central: centralCheck, perInstance };
}

/** Runs the read-only clusterPreflight workflow with the checks (needs the central worker) and returns its report. */
export async function runChecks(client: Client, inventory: Inventory, purpose: string, targetVersion: string | undefined): Promise<PreflightReport> {
  return (await client.workflow.execute('clusterPreflight', {
    taskQueue: inventory.temporal.taskQueue,
    workflowId: checkWorkflowId(inventory.cluster, purpose, Date.now()),
    args: [{ inventory, ...(targetVersion ? { targetVersion } : { checks: true }), ...(purpose === 'plan' ? { releaseJump: true } : {}) }],
    workflowExecutionTimeout: '10m',
  })) as PreflightReport;
}

/** Adds the host-worker results to a report (and its problems), so one report says everything. */
export function withWorkerChecks(report: PreflightReport, workers: WorkerCheck): PreflightReport {
  const instances = report.instances.map((i) => {
    const w = workers.perInstance.get(i.instance);
    if (!w) return i;
    return { ...i, checks: [w, ...(i.checks ?? [])], problems: w.status === 'failed' ? [describeCheck(w), ...i.problems] : i.problems };
  });
  return { ...report, instances, ok: report.ok && instances.every((i) => i.problems.length === 0) };
}

/** A report for instances whose host worker is missing: the preflight workflow would wait for them, so it does not run (the other checks run once every host has its worker). */
export function workersOnlyReport(inventory: Inventory, workers: WorkerCheck): PreflightReport {
  return {
    ok: false,
    instances: inventory.instances.map((i) => {
      const w = workers.perInstance.get(i.id)!;
      return { instance: i.id, healthy: false, version: null, lb: null, missingDevices: [], problems: w.status === 'failed' ? [describeCheck(w)] : [], checks: [w], unchecked: true };
    }),
  };
}

const SHOWN = { ok: 'ok', failed: 'FAILED', warning: 'warning', skipped: 'skipped' } as const;

/** The checks as a table: instance (or cluster), check, result, what was found (and the fix when it failed). */
export function checksTable(report: PreflightReport, inventory: Pick<Inventory, 'cluster'>): string {
  const row = (who: string, c: CheckResult) => [who, c.check, SHOWN[c.status], `${c.found}${c.status === 'failed' || c.status === 'warning' ? `${c.rule ? ` Runbook rule: "${c.rule}"` : ''}${c.fix ? ` Fix: ${c.fix}` : ''}` : ''}`.replace(/\s*\n\s*/g, ' ')];
  const rows = [...(report.cluster ?? []).map((c) => row(`(${inventory.cluster})`, c)), ...report.instances.flatMap((i) => (i.checks ?? []).map((c) => row(i.instance, c)))];
  return formatTable(['instance', 'check', 'result', 'what was found'], rows);
}

/** Every problem, one per line, named by instance (what `start` prints when it refuses). */
export function problemLines(report: PreflightReport): string[] {
  return report.instances.flatMap((i) => i.problems.map((p) => `${i.instance}: ${p.replace(/\s*\n\s*/g, ' ')}`));
}

/** Every warning, one per line. */
export function warningLines(report: PreflightReport): string[] {
  return report.instances.flatMap((i) => (i.warnings ?? []).map((p) => `${i.instance}: ${p.replace(/\s*\n\s*/g, ' ')}`));
}

/** The problems column of the preflight table: the gateway's own problems, and how many checks failed (listed below it). */
export function problemsCell(problems: string[], checks: CheckResult[] | undefined): string {
  const failedChecks = new Set((checks ?? []).filter((c) => c.status === 'failed').map((c) => c.check));
  const own = problems.filter((p) => ![...failedChecks].some((c) => p.startsWith(`${c}:`)) && !/^sticky-routing: as for /.test(p));
  const n = problems.length - own.length;
  return [...own, ...(n ? [`${n} failed check${n > 1 ? 's' : ''} (below)`] : [])].join('; ') || 'ok';
}
