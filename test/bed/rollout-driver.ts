/**
 * One rollout on the bed, driven from the CLI as an operator would: `start`, `status --watch` (a new
 * table each time it changes), and for each instance in turn: wait until it asks for approval and the
 * watch has shown it waiting, `approve`, wait until it is Done. The demo (scripts/demo.ts) and the
 * full-rollout e2e (test/e2e/05-rollout.test.ts) both run it, so a demo that breaks fails CI.
 * Each caller adds its own narration or checks through the hooks, and gets back what happened.
 */
import type { Client } from '@temporalio/client';
import { run as starter } from '../../src/starter.js';
import { livePollers } from '../../src/cli/preflight-checks.js';
import { rolloutWorkflowId } from '../../src/shared/ids.js';
import { centralQueue } from '../../src/shared/task-queues.js';
import type { Instance, Inventory } from '../../src/shared/inventory.js';
import type { RolloutProgress } from '../../src/shared/messages/rollout.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { starterCli, type StarterResult } from './starter.js';
import { pollUntil, waitForInstancePhase } from './wait.js';

/** One instance's turn: from when the driver began waiting for it to when it was Done (ms since epoch). */
export interface InstanceTurn {
  instance: string;
  lbServer: string;
  from: number;
  to: number;
  /** What `approve` printed and returned. */
  approval: StarterResult;
}

export interface RolloutHooks {
  /** After `start` succeeded, while the rollout runs (05: a second start is refused). */
  afterStart?(rolloutId: string): Promise<void> | void;
  /** The instance waits for approval and the watch has shown it; the driver approves next. */
  beforeApprove?(instance: Instance, progress: RolloutProgress): Promise<void> | void;
  /** The instance is Done (rejoined and verified after its approval). */
  afterInstance?(turn: InstanceTurn, progress: RolloutProgress): Promise<void> | void;
}

export interface RolloutDriverOptions {
  /** A client of the bed's Temporal with the product's payload codec (the progress may be encrypted). */
  client: Client;
  inventory: Inventory;
  inventoryPath: string;
  target: string;
  startedBy: string;
  approver: string;
  comment?: string;
  /** Runs one CLI command in-process; 05 keeps every output for its secret scan, the demo prints it. */
  cli?: (...args: string[]) => Promise<StarterResult>;
  /** Each table `status --watch` prints (they are also returned in `watchOutput`). */
  onWatch?: (table: string) => void;
  /** How often the watch polls (the CLI's default is 3 s). */
  watchPollMs?: number;
  hooks?: RolloutHooks;
  /** Per instance: until it waits for approval (update, restart, checks) and until Done after it. */
  timeouts?: { approvalMs?: number; doneMs?: number };
}

export interface DrivenRollout {
  rolloutId: string;
  started: StarterResult;
  turns: InstanceTurn[];
  report: ClusterRolloutReport;
  /** Every table the watch printed, in order; the last one is the ended rollout. */
  watchOutput: string[];
  /** The watch's exit code (0: it followed the rollout to its end). */
  watchCode: number;
}

/** Resolves once the watch has printed a row showing `instance` waiting for approval. */
async function waitForWatched(watchOutput: string[], instance: string, timeoutMs: number): Promise<void> {
  const row = new RegExp(`\\n${instance}\\s+AwaitingApproval\\s`);
  await pollUntil(
    `status --watch to show ${instance} AwaitingApproval`,
    async () => row.test(watchOutput.join('\n')),
    timeoutMs,
    250,
  );
}

/** Starts the watch; it ends with the rollout, or at its next poll once `stop` is aborted. */
function startWatch(o: RolloutDriverOptions, watchOutput: string[], stop: AbortSignal): Promise<number> {
  const print = (table: string) => {
    watchOutput.push(table);
    o.onWatch?.(table);
  };
  return starter(['status', '--inventory', o.inventoryPath, '--watch'], print, {
    tty: false,
    pollMs: o.watchPollMs ?? 1000,
    stop,
  });
}

/** Fails with what the CLI printed when a command did not succeed. */
function mustSucceed(what: string, r: StarterResult): StarterResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
  return r;
}

/**
 * Waits until a worker polls the central queue for workflows and activities: `start` refuses without one,
 * and a worker started a moment before (the demo's) may not have polled yet on a busy machine.
 */
async function waitForWorker(o: RolloutDriverOptions): Promise<void> {
  const central = centralQueue(o.inventory, process.env);
  const ns = o.inventory.temporal.namespace;
  await pollUntil(
    `a worker polling the task queue ${central}`,
    async () => {
      const polling = await Promise.all(
        (['workflow', 'activity'] as const).map((type) => livePollers(o.client, ns, central, type)),
      );
      return polling.every((p) => p.length > 0);
    },
    60_000,
  );
}

/** Runs the rollout to its end; throws (after stopping the watch) when a step of the driving fails. */
export async function driveRollout(o: RolloutDriverOptions): Promise<DrivenRollout> {
  const cli = o.cli ?? starterCli;
  const rolloutId = rolloutWorkflowId(o.inventory.cluster);
  await waitForWorker(o);
  const started = mustSucceed(
    'start',
    await cli('start', '--inventory', o.inventoryPath, '--target', o.target, '--by', o.startedBy),
  );
  const watchOutput: string[] = [];
  const stopWatch = new AbortController();
  const watch = startWatch(o, watchOutput, stopWatch.signal);
  try {
    await o.hooks?.afterStart?.(rolloutId);
    const turns: InstanceTurn[] = [];
    for (const instance of o.inventory.instances) {
      const from = Date.now();
      const waiting = await waitForInstancePhase(
        o.client,
        rolloutId,
        instance.id,
        'AwaitingApproval',
        o.timeouts?.approvalMs ?? 8 * 60_000,
      );
      // Approve once the watching operator has seen the instance waiting: the watch polls and a faster
      // approval can fall between two polls (CI once saw gw-2 go from Verifying straight to VerifyingAfterRejoin).
      await waitForWatched(watchOutput, instance.id, 60_000);
      await o.hooks?.beforeApprove?.(instance, waiting);
      const comment = o.comment ? ['--comment', o.comment] : [];
      const approval = await cli(
        ...['approve', '--inventory', o.inventoryPath, '--instance', instance.id, '--approver', o.approver],
        ...comment,
      );
      mustSucceed(`approve ${instance.id}`, approval);
      const done = await waitForInstancePhase(
        o.client,
        rolloutId,
        instance.id,
        'Done',
        o.timeouts?.doneMs ?? 5 * 60_000,
      );
      const turn = { instance: instance.id, lbServer: instance.lbServer, from, to: Date.now(), approval };
      turns.push(turn);
      await o.hooks?.afterInstance?.(turn, done);
    }
    const report = (await o.client.workflow.getHandle(rolloutId).result()) as ClusterRolloutReport;
    return { rolloutId, started, turns, report, watchOutput, watchCode: await watch };
  } finally {
    // On success the watch has ended with the rollout; on a failure it must not outlive the driver.
    stopWatch.abort();
    await watch.catch(() => undefined);
  }
}
