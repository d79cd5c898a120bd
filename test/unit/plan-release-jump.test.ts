/**
 * `plan`'s preflight (releaseJump) says per instance which releases the update crosses (patched
 * 'plan-release-jump-v1'), and `preflight` does not ask. Real local Temporal server, stub activities; the
 * plan's history is saved as a replay fixture candidate (test-artifacts/histories), recorded in
 * test/fixtures/histories as plan-release-jump--plan-jump_plan_<time>.json.
 */
import { expect, it } from 'vitest';
import { runChecks } from '../../src/cli/preflight-checks.js';
import { FakeCluster } from '../helpers/fake-cluster.js';
import { FROM, TARGET, inventory, saveRun, stubEnv, stubWorker, useStubServer } from '../helpers/stub-rollout.js';

useStubServer();

const ids = ['gw-1', 'gw-2'];

it('plan names the releases each instance crosses; preflight does not ask', async () => {
  const inv = inventory('plan-jump', ids);
  const cluster = new FakeCluster(ids, FROM);
  const worker = await stubWorker(inv.temporal.taskQueue, cluster.activities());
  try {
    const plan = await runChecks(stubEnv().client, inv, 'plan', TARGET);
    expect(plan.instances.map((i) => [i.instance, i.jump])).toEqual(ids.map((id) => [id, `${FROM} → ${TARGET}`]));
    const preflight = await runChecks(stubEnv().client, inv, 'preflight', TARGET);
    expect(preflight.instances.map((i) => i.jump)).toEqual([undefined, undefined]);

    for await (const w of stubEnv().client.workflow.list({ query: `WorkflowType = 'clusterPreflight'` }))
      if (w.workflowId.startsWith('plan-jump/plan/')) await saveRun('plan-release-jump', w.workflowId, w.runId);
  } finally {
    await worker.stop();
  }
});
