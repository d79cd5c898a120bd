/**
 * The starter's side of the checks before anything changes (issue 20): which task queues have a worker
 * polling (host-worker: the Temporal server knows, no workflow can ask), the read-only preflight workflow
 * with the target (how they are printed: views/preflight-tables.ts).
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Inventory } from '../shared/inventory.js';
import { describeCheck, type CheckResult } from '../shared/preflight-rules.js';
import { ConfigurationError } from '../shared/errors.js';
import type { TakeUp } from '../shared/take-up.js';
import { centralQueue, instanceQueue } from '../shared/task-queues.js';
import { clusterPreflight } from '../workflows/index.js';
import { mergeChunkReports, PREFLIGHT_CHUNK, preflightChunks } from '../workflows/preflight/chunks.js';
import { preflightStart, type PreflightReport } from './workflow-starts.js';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** A poller seen more recently than this is polling (a long poll lasts about a minute; the server forgets pollers after ~5 min). */
export const POLLER_FRESH_MS = 90_000;

/** The workers polling `queue` for `type` tasks, seen within POLLER_FRESH_MS. */
export async function livePollers(
  client: Client,
  namespace: string,
  queue: string,
  type: 'workflow' | 'activity',
  now = Date.now(),
): Promise<string[]> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType:
      type === 'workflow' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
  return (res.pollers ?? [])
    .filter((p) => now - seconds(p.lastAccessTime) < POLLER_FRESH_MS)
    .map((p) => p.identity ?? '?');
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
  const central = centralQueue(inventory, process.env);
  const [wf, act] = await Promise.all([
    livePollers(client, ns, central, 'workflow'),
    livePollers(client, ns, central, 'activity'),
  ]);
  const centralCheck: CheckResult =
    wf.length && act.length
      ? {
          check: 'host-worker',
          status: 'ok',
          found: `central queue ${central}: ${wf.length} worker(s) polling (${[...new Set([...wf, ...act])].join(', ')})`,
        }
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
      perInstance.set(i.id, {
        ...centralCheck,
        found:
          centralCheck.status === 'ok'
            ? `no host: runs on the central worker (${act.length} polling)`
            : centralCheck.found,
      });
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

/**
 * Runs the read-only clusterPreflight workflow with the checks (needs the central worker) and returns its
 * report. A fleet larger than a chunk is checked one chunk after the other, one workflow each
 * (`<check id>/1`, ...), as the rollout does: no check workflow's history grows with the fleet.
 */
export async function runChecks(
  client: Client,
  inventory: Inventory,
  purpose: string,
  targetVersion: string | undefined,
  chunkSize = PREFLIGHT_CHUNK,
  takeUp: TakeUp[] = [],
): Promise<PreflightReport> {
  const whole = preflightStart(inventory, purpose, targetVersion, process.env, Date.now(), takeUp);
  if (inventory.instances.length <= chunkSize) return client.workflow.execute(clusterPreflight, whole);
  const [input] = whole.args;
  const reports: PreflightReport[] = [];
  for (const [n, c] of preflightChunks(input.inventory, chunkSize).entries())
    reports.push(
      await client.workflow.execute(clusterPreflight, {
        ...whole,
        workflowId: `${whole.workflowId}/${n + 1}`,
        args: [{ ...input, ...c }],
      }),
    );
  return mergeChunkReports(reports);
}

/**
 * The checks before anything changes: workers first (without the central one nothing runs; without a
 * host's, its instances' steps would wait), then the read-only preflight workflow with the target (and
 * what the last rollout left out of traffic: a gateway down there is taken up, not refused).
 */
export async function runPreflight(
  client: Client,
  inventory: Inventory,
  inventoryFile: string,
  purpose: 'preflight' | 'plan' | 'start',
  target: string | undefined,
  takeUp: TakeUp[] = [],
): Promise<PreflightReport> {
  const workers = await checkWorkers(client, inventory, inventoryFile);
  if (workers.central.status === 'failed')
    throw new ConfigurationError(
      `${purpose}: ${workers.central.found} Nothing can run without it: ${workers.central.fix}`,
    );
  if ([...workers.perInstance.values()].some((c) => c.status === 'failed'))
    return workersOnlyReport(inventory, workers);
  return withWorkerChecks(await runChecks(client, inventory, purpose, target, PREFLIGHT_CHUNK, takeUp), workers);
}

/** Adds the host-worker results to a report (and its problems), so one report says everything. */
export function withWorkerChecks(report: PreflightReport, workers: WorkerCheck): PreflightReport {
  const instances = report.instances.map((i) => {
    const w = workers.perInstance.get(i.instance);
    if (!w) return i;
    return {
      ...i,
      checks: [w, ...(i.checks ?? [])],
      problems: w.status === 'failed' ? [describeCheck(w), ...i.problems] : i.problems,
    };
  });
  return { ...report, instances, ok: report.ok && instances.every((i) => i.problems.length === 0) };
}

/** A report for instances whose host worker is missing: the preflight workflow would wait for them, so it does not run (the other checks run once every host has its worker). */
export function workersOnlyReport(inventory: Inventory, workers: WorkerCheck): PreflightReport {
  return {
    ok: false,
    instances: inventory.instances.map((i) => {
      const w = workers.perInstance.get(i.id)!;
      return {
        instance: i.id,
        healthy: false,
        version: null,
        lb: null,
        missingDevices: [],
        problems: w.status === 'failed' ? [describeCheck(w)] : [],
        checks: [w],
        unchecked: true,
      };
    }),
  };
}
