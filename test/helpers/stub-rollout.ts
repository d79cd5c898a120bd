/**
 * Rollouts of a fake cluster (test/helpers/fake-cluster.ts) on a real local Temporal server, with the
 * workflows' real code and stub activities: the inventory, the start, waiting for a phase, approving,
 * and saving the histories as replay fixtures. Shared by the unit tests of the rollout's decisions.
 */
import type { TakeUp } from '../../src/shared/take-up.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { liveProgress } from '../../src/cli/live-progress.js';
import { Inventory } from '../../src/shared/inventory.js';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import { workflowsPath } from '../../src/worker.js';
import { approveRejoinUpdate, type InstancePhase, type RolloutProgress } from '../../src/shared/messages/rollout.js';
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historiesDir, saveHistories as saveServerHistories } from '../bed/histories.js';
import { temporalBin } from '../bed/tools.js';
import { FakeCluster } from './fake-cluster.js';
import { quietLogger } from './quiet-logger.js';

export const FROM = '2026.9.5';
export const TARGET = '2026.9.6';
let env: TestWorkflowEnvironment;
let bundle: { code: string };

/**
 * Starts a local Temporal server (the CLI's dev server) and bundles the workflows once for the test file
 * that calls it; tears the server down after the file.
 */
export function useStubServer(): void {
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalBin() },
        searchAttributes: [...ROLLOUT_SEARCH_ATTRIBUTES],
      },
    });
    bundle = await bundleWorkflowCode({
      workflowsPath,
      logger: quietLogger,
    });
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
  });
}

/** The test server (after useStubServer's beforeAll ran). */
export const stubEnv = (): TestWorkflowEnvironment => env;

/** A worker with the workflows' real code and the given (stub) activities on `taskQueue`, until stop(). */
export async function stubWorker(taskQueue: string, activities: object): Promise<{ stop(): Promise<void> }> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** A load balancer the stubs answer for (lbState says ready or drain), like HAProxy's admin state. */
export const SAYS_ADMIN_STATE = {
  type: 'command',
  drain: ['lb', 'drain'],
  ready: ['lb', 'ready'],
  sessions: ['lb', 'sessions'],
};

export function inventory(
  cluster: string,
  ids: string[],
  policy: Record<string, unknown> = {},
  loadBalancer: Record<string, unknown> = { type: 'none' },
  perInstance: Record<string, unknown> = {},
) {
  return Inventory.parse({
    cluster,
    loadBalancer,
    temporal: { taskQueue: `q-${cluster}` },
    instances: ids.map((id) => ({
      id,
      gateway: { profile: id },
      lbServer: id,
      install: { type: 'global' },
      devices: id === ids[0] ? [{ deviceId: `device-of-${id}`, role: 'operator', scopes: ['operator.read'] }] : [],
      ...perInstance,
    })),
    policy: {
      retries: { maxAttempts: 1, initialInterval: '10ms' },
      mismatchWindow: '0ms',
      drainDeadline: '1s',
      ...policy,
    },
  });
}

/** Starts a rollout of a fake cluster with a worker on its own queue; returns handles and a stop(). */
export async function rollout(
  cluster: string,
  ids: string[],
  policy: Record<string, unknown> = {},
  prepare?: (fake: FakeCluster) => void,
  opts: {
    force?: boolean;
    loadBalancer?: Record<string, unknown>;
    instance?: Record<string, unknown>;
    /** Hand over to a new run after this many batches (the rollout's continueAsNewEvery). */
    continueAsNewEvery?: number;
    /** Instances per preflight / final-check child (the rollout's preflightChunkSize). */
    preflightChunkSize?: number;
    /** The rollout's handoverBudgetEvents and fullReportUpTo (tiny thresholds for tests). */
    handoverBudgetEvents?: number;
    handoverBudgetBytes?: number;
    fullReportUpTo?: number;
    /** What the last rollout left out of traffic (the starter reads it from that rollout's report). */
    takeUp?: TakeUp[];
    /** The cluster as an earlier rollout left it (default: a new one, every instance on FROM). */
    fake?: FakeCluster;
  } = {},
) {
  const inv = inventory(cluster, ids, policy, opts.loadBalancer, opts.instance);
  const fake = opts.fake ?? new FakeCluster(ids, FROM);
  prepare?.(fake);
  const worker = await stubWorker(inv.temporal.taskQueue, fake.activities());
  const handle = await env.client.workflow.start('clusterRollout', {
    taskQueue: inv.temporal.taskQueue,
    workflowId: `rollout-${cluster}`,
    args: [
      {
        inventory: inv,
        targetVersion: TARGET,
        startedBy: 'carol',
        searchAttributes: true,
        ...(opts.force ? { force: true } : {}),
        ...(opts.continueAsNewEvery ? { continueAsNewEvery: opts.continueAsNewEvery } : {}),
        ...(opts.preflightChunkSize ? { preflightChunkSize: opts.preflightChunkSize } : {}),
        ...(opts.handoverBudgetEvents ? { handoverBudgetEvents: opts.handoverBudgetEvents } : {}),
        ...(opts.handoverBudgetBytes ? { handoverBudgetBytes: opts.handoverBudgetBytes } : {}),
        ...(opts.fullReportUpTo ? { fullReportUpTo: opts.fullReportUpTo } : {}),
        ...(opts.takeUp?.length ? { takeUp: opts.takeUp } : {}),
      },
    ],
  });
  return {
    fake,
    handle: handle as WorkflowHandle,
    stop: () => worker.stop(),
  };
}

export async function waitFor(
  handle: WorkflowHandle,
  what: string,
  pred: (p: RolloutProgress) => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<RolloutProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // As `status` reads it: the instances being rolled out now from their own query.
    const p = await liveProgress(handle);
    if (await pred(p)) return p;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(p.instances.map((i) => [i.instance, i.phase]))} rollout ${p.phase}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
export const phaseOf = (p: RolloutProgress, id: string) => p.instances.find((i) => i.instance === id)?.phase;
export const inPhase = (handle: WorkflowHandle, id: string, phase: InstancePhase) =>
  waitFor(handle, `${id} ${phase}`, (p) => phaseOf(p, id) === phase);

export async function approve(handle: WorkflowHandle, id: string) {
  await inPhase(handle, id, 'AwaitingApproval');
  await handle.executeUpdate(approveRejoinUpdate, { args: [{ instance: id, approver: 'alice' }] });
}

/** Saves the histories of a finished rollout and its children as replay fixture candidates. */
export async function saveHistories(label: string, ids: string[]): Promise<void> {
  await saveServerHistories({ temporal: { address: env.address, namespace: 'default' } }, label, ids);
}

/** Saves one run's history (test-artifacts/histories/<label>--<id>.json) as a replay fixture candidate. */
export async function saveRun(label: string, workflowId: string, runId: string): Promise<void> {
  const { stdout } = await execa(temporalBin(), [
    ...['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId],
    ...['--address', env.address, '--namespace', 'default', '--output', 'json'],
  ]);
  await mkdir(historiesDir, { recursive: true });
  await writeFile(join(historiesDir, `${label}--${workflowId.replaceAll('/', '_')}.json`), stdout);
}

/** One run of a rollout: its id, its history length and the child workflows it started. */
export interface Run {
  runId: string;
  events: number;
  /** Child workflows this run started, by id. */
  children: string[];
}

const eventsOf = async (workflowId: string, runId: string) =>
  (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];

/** Each run of a rollout, first to latest: its history length and the children it started. */
export async function runsOf(handle: WorkflowHandle): Promise<Run[]> {
  const runs: Run[] = [];
  let runId: string | undefined = (handle as WorkflowHandleWithFirstExecutionRunId).firstExecutionRunId;
  while (runId) {
    const events = await eventsOf(handle.workflowId, runId);
    const children = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
    runs.push({ runId, events: events.length, children });
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}
