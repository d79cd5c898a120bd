/**
 * The starter's checks (`preflight`, `plan`, `start`) on a fleet larger than a chunk: one check workflow
 * per chunk, one after the other, as the rollout does (no check workflow's history grows with the fleet),
 * and one report that says the same as a single workflow over the whole fleet would: the instances in
 * inventory order, the instance-local state compared across chunks, the cluster's routing check on every
 * instance. Real local Temporal server, stub activities.
 */
import { expect, it } from 'vitest';
import type { Inventory } from '../../src/shared/inventory.js';
import { runChecks } from '../../src/cli/preflight-checks.js';
import { FakeCluster } from '../helpers/fake-cluster.js';
import { FROM, TARGET, inventory, stubEnv, stubWorker, useStubServer } from '../helpers/stub-rollout.js';

useStubServer();

const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5'];

/** Five instances; gw-5 shares gw-1's profile (so its state), three chunks apart. */
function sharedStateFleet(): Inventory {
  const inv = inventory('cli-chunks', ids);
  return {
    ...inv,
    instances: inv.instances.map((i) => (i.id === 'gw-5' ? { ...i, gateway: { ...i.gateway, profile: 'gw-1' } } : i)),
  };
}

/** The ids of the check workflows of this cluster, oldest first. */
async function checkWorkflows(): Promise<string[]> {
  const ids: { id: string; start: Date }[] = [];
  for await (const w of stubEnv().client.workflow.list({ query: `WorkflowType = 'clusterPreflight'` }))
    if (w.workflowId.includes('cli-chunks')) ids.push({ id: w.workflowId, start: w.startTime });
  return ids.sort((a, b) => a.start.getTime() - b.start.getTime()).map((x) => x.id);
}

it('checks a fleet larger than a chunk one chunk after the other and reports it as one workflow would', async () => {
  const inv = sharedStateFleet();
  const activities = {
    ...new FakeCluster(ids, FROM).activities(),
    preflightRouting: async () => ({
      check: 'sticky-routing',
      status: 'failed',
      found: 'backend gateways balances with roundrobin',
      fix: 'balance source',
    }),
  };
  const worker = await stubWorker(inv.temporal.taskQueue, activities);
  try {
    const whole = await runChecks(stubEnv().client, inv, 'preflight', TARGET);
    const chunked = await runChecks(stubEnv().client, inv, 'preflight', TARGET, 2);

    expect(chunked).toEqual(whole);
    expect(chunked.ok).toBe(false);
    expect(chunked.instances.map((i) => i.instance)).toEqual(ids);
    const problems = (id: string) => chunked.instances.find((i) => i.instance === id)!.problems;
    // Compared across chunks: gw-1 (chunk 1) and gw-5 (chunk 3) share a state.
    expect(problems('gw-1')).toEqual(expect.arrayContaining([expect.stringMatching(/instance-local-state.*gw-5/)]));
    expect(problems('gw-5')).toEqual(expect.arrayContaining([expect.stringMatching(/instance-local-state.*gw-1/)]));
    expect(problems('gw-3')).not.toEqual(expect.arrayContaining([expect.stringMatching(/instance-local-state/)]));
    // The routing check ran once (first chunk) and is on every instance.
    expect(problems('gw-1')).toEqual(expect.arrayContaining([expect.stringMatching(/^sticky-routing.*roundrobin/)]));
    for (const id of ids.slice(1))
      expect(problems(id)).toContain("sticky-routing: as for gw-1 (the cluster's load balancer)");

    const started = await checkWorkflows();
    expect(started).toHaveLength(4); // one for the whole fleet, three chunks
    expect(started.slice(1).map((id) => id.split('/').at(-1))).toEqual(['1', '2', '3']);
    const handles = started.slice(1).map((id) => stubEnv().client.workflow.getHandle(id));
    const descriptions = await Promise.all(handles.map((h) => h.describe()));
    for (let n = 1; n < 3; n++) expect(descriptions[n]!.startTime >= descriptions[n - 1]!.closeTime!).toBe(true);
  } finally {
    await worker.stop();
  }
});
