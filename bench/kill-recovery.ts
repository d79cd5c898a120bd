/**
 * Section 3b, worker crash: while an instance waits for approval (the worker holds the workflows in its
 * cache, nothing in flight), the worker process is SIGKILLed and a new one started at once, as a
 * supervisor would; the approval is sent right after the kill. Measured: kill → new worker polling,
 * and kill → the instance's rejoin activity started (the rollout progressing again). Repeated once per
 * instance of a small fleet; the rollout is terminated afterwards (the no-op state died with the worker).
 */
import { rolloutWorkflowId } from '../src/shared/ids.js';
import { ActivityFeed } from './activity-feed.js';
import { APPROVER_NOTIFY, AutoApprover } from './auto-approver.js';
import type { BenchContext } from './context.js';
import { simulatedFleet, TARGET_VERSION } from './fleet.js';
import { summarize, type Summary } from './stats.js';
import { startBenchWorker, type BenchWorker } from './worker-handle.js';
import { sleep } from '../test/bed/probes.js';

export interface KillRecoveryResult {
  kills: number;
  newWorkerReadyMs: Summary;
  progressingAgainMs: Summary;
  /** From the new worker polling to the rollout progressing again (absent in results before 2026-11-30). */
  progressingSinceReadyMs?: Summary;
}

export async function measureKillRecovery(
  ctx: BenchContext,
  opts: { kills: number; log: (s: string) => void },
): Promise<KillRecoveryResult> {
  const name = ctx.nextName('kill');
  const feed = new ActivityFeed();
  const spawn = () =>
    startBenchWorker({
      address: ctx.server.address,
      taskQueue: name,
      bundlePath: ctx.bundlePath,
      notify: APPROVER_NOTIFY,
      onActivity: feed.emit,
    });
  let worker: BenchWorker = await spawn();
  const inventory = simulatedFleet({
    instances: opts.kills,
    batchSize: 1,
    cluster: name,
    address: ctx.server.address,
    taskQueue: name,
  });
  const rolloutId = rolloutWorkflowId(inventory.cluster);
  const approver = new AutoApprover(ctx.client, rolloutId, feed);
  const ready: number[] = [];
  const killedAt = new Map<string, number>();
  const failures: Error[] = [];
  approver.onWaiting = (instance, approve) => {
    const run = async () => {
      const at = Date.now();
      killedAt.set(instance, at);
      await worker.kill();
      await approve();
      worker = await spawn();
      ready.push(Date.now() - at);
    };
    run().catch((err: unknown) => failures.push(err as Error));
  };
  const handle = await ctx.client.workflow.start('clusterRollout', {
    taskQueue: name,
    workflowId: rolloutId,
    args: [{ inventory, targetVersion: TARGET_VERSION, startedBy: 'bench-starter' }],
  });
  try {
    const deadline = Date.now() + 10 * 60_000;
    const last = inventory.instances.at(-1)!.id;
    while (approver.approvals.get(last)?.rejoinStartedAt === undefined) {
      if (failures.length) throw failures[0]!;
      if (Date.now() > deadline) throw new Error(`kill test: ${last} did not rejoin within 10 min`);
      await sleep(100);
    }
    const progressing = [...killedAt].map(([instance, at]) => approver.approvals.get(instance)!.rejoinStartedAt! - at);
    opts.log(
      `worker kills: new worker ready after ${ready.join(', ')} ms; progressing again after ${progressing.join(', ')} ms`,
    );
    return {
      kills: progressing.length,
      newWorkerReadyMs: summarize(ready),
      progressingAgainMs: summarize(progressing),
      progressingSinceReadyMs: summarize(progressing.map((p, i) => p - ready[i]!)),
    };
  } finally {
    approver.close();
    await handle.terminate('benchmark done').catch(() => undefined);
    await worker.stop();
  }
}
