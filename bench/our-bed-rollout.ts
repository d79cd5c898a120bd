/**
 * Our rollout on a bed, ready to run: a worker with the real activities and workflows on the bed's
 * Temporal, and the bench's AutoApprover approving each instance as soon as it waits (watched from its
 * drain on: an instance without devices rotates nothing). `run` starts clusterRollout and resolves when
 * it is done; the worker's bundling is paid before, outside the measured time.
 */
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { join } from 'node:path';
import { createActivities } from '../src/activities/index.js';
import { rolloutWorkflowId } from '../src/shared/ids.js';
import type { Inventory } from '../src/shared/inventory.js';
import type { ClusterRolloutReport } from '../src/workflows/cluster-rollout.js';
import type { BedInfo } from '../test/bed/bed.js';
import { projectRoot } from '../test/bed/tools.js';
import { ActivityFeed } from './activity-feed.js';
import { AutoApprover } from './auto-approver.js';

export async function startOurRollout(info: BedInfo, inventory: Inventory) {
  const feed = new ActivityFeed();
  const activities = Object.fromEntries(
    Object.entries(createActivities()).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
        feed.emit({ activity: name, workflowId, at: Date.now() });
        return (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  const native = await NativeConnection.connect({ address: info.temporal.address });
  const worker = await Worker.create({
    connection: native,
    namespace: info.temporal.namespace,
    taskQueue: inventory.temporal.taskQueue,
    activities,
    workflowsPath: join(projectRoot, 'src/workflows/index.ts'),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: info.temporal.address });
  const client = new Client({ connection, namespace: info.temporal.namespace });
  const rolloutId = rolloutWorkflowId(inventory.cluster);
  return {
    async run(): Promise<void> {
      const approver = new AutoApprover(client, rolloutId, feed, {
        triggers: ['lbDrain'],
        pollMs: 100,
        waitMs: 15 * 60_000,
      });
      try {
        const handle = await client.workflow.start('clusterRollout', {
          taskQueue: inventory.temporal.taskQueue,
          workflowId: rolloutId,
          args: [{ inventory, targetVersion: info.targetVersion, startedBy: 'bench-starter' }],
        });
        const report = (await handle.result()) as ClusterRolloutReport;
        if (report.outcome !== 'done') throw new Error(`our rollout on the peer bed ended ${report.outcome}`);
      } finally {
        approver.close();
      }
    },
    async close(): Promise<void> {
      worker.shutdown();
      await running;
      await connection.close();
      await native.close();
    },
  };
}
