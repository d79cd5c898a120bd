/**
 * A large fleet's rollout stays within Temporal's limits: each run hands over when its next batch (or the
 * final check) would take its history past a budget of events (handover-by-estimate-v1), and the report
 * lists only the exceptions, the clean instances grouped (compact-report-v1). Tiny thresholds on a real
 * local Temporal server with stub activities; the 5,000-instance report from recorded results.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { decideFailureUpdate, type RolloutProgress } from '../../src/shared/messages/rollout.js';
import { approveRestUpdate } from '../../src/shared/messages/standing.js';
import { compactReport } from '../../src/workflows/rollout/compact-report.js';
import { unpackOutcomes } from '../../src/workflows/rollout/handed-outcomes.js';
import { rolloutEndedNotice } from '../../src/workflows/lib/notices.js';
import { progressTable } from '../../src/cli/views/status-view.js';
import { syntheticFleet } from '../helpers/synthetic-fleet.js';
import {
  FROM,
  TARGET,
  inPhase,
  rollout,
  runsOf,
  saveHistories,
  saveRun,
  stubEnv,
  useStubServer,
  type Run,
} from '../helpers/stub-rollout.js';

useStubServer();

/** A run's history size in bytes, as Temporal counts it. */
async function bytesOf(workflowId: string, runId: string): Promise<number> {
  const d = await stubEnv().client.workflow.getHandle(workflowId, runId).describe();
  return Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
}
// A stub instance adds some 10 KB (its child's input and result), the preflight some 12 KB, and the estimate
// of a batch of 3 is at least 3 × 12 KB: the first batch fits (12 + 36 KB), a second never does (42 + 36 KB).
// The budget sits mid-way so that a history a few KB smaller or larger (fewer workflow tasks under load) changes nothing.
const BYTES_BUDGET = 58_000;

describe('a large fleet, with tiny thresholds (handover-by-estimate-v1, compact-report-v1)', () => {
  const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5', 'gw-6', 'gw-7', 'gw-8'];
  // The preflight's 4 chunks take some 45 events, a batch of 2 some 40-60: one batch a run.
  const BUDGET = 70;

  it('hands over after the preflight, between batches and before the final check; the report lists the exceptions', async () => {
    const r = await rollout(
      'large',
      ids,
      { batchSize: 2, maxFailedInstances: 2 },
      (f) => f.failNext('restartGateway', 'gw-3', 'gateway did not come back'),
      { preflightChunkSize: 2, handoverBudgetEvents: BUDGET, fullReportUpTo: 4 },
    );
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice', comment: 'all of them' }] });
      await inPhase(r.handle, 'gw-3', 'Failed');
      await r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-3', decision: 'skip', by: 'bob' }] });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      const runs = await runsOf(r.handle);
      const instanceChildren = (run: Run) => run.children.filter((c) => /^rollout-large\/gw-\d$/.test(c));
      const checks = (run: Run) => run.children.filter((c) => /\/(preflight|final-check)\//.test(c));
      console.log(`runs: ${runs.map((x) => `${x.events} events (${x.children.length} children)`).join(', ')}`);

      // The first run checked the fleet (4 chunks) and handed over before any instance.
      expect(checks(runs[0]!)).toHaveLength(4);
      expect(instanceChildren(runs[0]!)).toEqual([]);
      // Every instance rolled out once; a second batch would have taken each run past the budget.
      expect(runs.flatMap(instanceChildren)).toEqual(ids.map((id) => `rollout-large/${id}`));
      expect(runs.slice(1, -1).map((run) => instanceChildren(run).length)).toEqual([2, 2, 2, 2]);
      // The last run ran the final check alone.
      const last = runs.at(-1)!;
      expect(instanceChildren(last)).toEqual([]);
      expect(checks(last)).toEqual([1, 2, 3, 4].map((n) => `rollout-large/final-check/${n}`));

      // The report: gw-3 listed (skipped, drained), the others grouped; the checks list only gw-3's drain.
      expect(report.outcome).toBe('partial');
      expect(report.instances.map((i) => [i.instance, i.phase])).toEqual([['gw-3', 'Skipped']]);
      expect(report.needsAttention?.map((n) => n.instance)).toEqual(['gw-3']);
      expect(report.compact).toMatchObject({ fleet: 8, preflightPassed: 8, finalCheckPassed: 7 });
      expect(report.compact?.notTouched).toBeUndefined();
      expect(report.preflight.instances).toEqual([]);
      expect(report.finalCheck?.instances.map((i) => [i.instance, i.lb?.admin ?? 'none'])).toEqual([['gw-3', 'drain']]);
      const all = unpackOutcomes({ groups: report.compact!.clean, others: report.instances }, ids);
      expect(all.map((i) => [i.instance, i.phase, i.phase === 'Done' ? i.versionAfter : '']).sort()).toEqual(
        ids.map((id) => (id === 'gw-3' ? [id, 'Skipped', ''] : [id, 'Done', TARGET])),
      );
      expect(all.find((i) => i.instance === 'gw-8')?.decision).toMatchObject({ approver: 'alice', via: 'rest' });
      for (const id of ids.filter((x) => x !== 'gw-3'))
        expect(r.fake.instances.get(id)).toMatchObject({ version: TARGET, lb: 'ready' });
      await saveRun('large-fleet-preflight-run', 'rollout-large', runs[0]!.runId);
      await saveRun('large-fleet-batch-run', 'rollout-large', runs[1]!.runId);
      await saveHistories('large-fleet', ['rollout-large']);
    } finally {
      await r.stop();
    }
  });
});

describe('a run hands over on bytes too (handover-by-estimate-v1)', () => {
  it('hands over when the next batch would take its history past the byte budget', async () => {
    const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5', 'gw-6'];
    const r = await rollout('large-bytes', ids, { batchSize: 3 }, undefined, {
      handoverBudgetEvents: 100_000,
      handoverBudgetBytes: BYTES_BUDGET,
    });
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice' }] });
      expect(((await r.handle.result()) as ClusterRolloutReport).outcome).toBe('done');
      const runs = await runsOf(r.handle);
      const sizes = await Promise.all(runs.map((x) => bytesOf('rollout-large-bytes', x.runId)));
      console.log(`runs: ${runs.map((x, n) => `${x.events} events, ${sizes[n]} bytes`).join('; ')}`);
      const instanceChildren = (run: Run) => run.children.filter((c) => /\/gw-\d$/.test(c));
      // One batch a run, and the final check (a chunk estimated at 40 KB) in a run of its own.
      expect(runs.map((run) => instanceChildren(run).length)).toEqual([3, 3, 0]);
    } finally {
      await r.stop();
    }
  });
});

describe('the report of 5,000 instances (compact-report-v1)', () => {
  const { instances, preflight } = syntheticFleet(5000);
  const ids = instances.map((i) => i.instance);
  const full: ClusterRolloutReport = {
    rolloutId: 'rollout-big',
    cluster: 'big',
    targetVersion: TARGET,
    outcome: 'partial',
    preflight,
    instances,
    finalCheck: {
      ok: true,
      instances: preflight.instances.map((i) => ({
        ...i,
        version: TARGET,
        lb: {
          ...i.lb!,
          admin: instances.find((x) => x.instance === i.instance)!.phase === 'Skipped' ? 'drain' : 'ready',
        },
      })),
    },
    ignored: [],
    needsAttention: instances
      .filter((i) => i.needsAttention)
      .map((i) => ({ instance: i.instance, why: i.needsAttention! })),
  };
  const compact = compactReport(full, ids);
  const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));

  it('fits well under the SDK payload warning (256 KB); the full one is past the 2 MB limit', () => {
    console.log(`report of 5,000 instances: ${bytes(compact)} bytes compact, ${bytes(full)} bytes full`);
    expect(bytes(full)).toBeGreaterThan(2 * 1024 * 1024);
    expect(bytes(compact)).toBeLessThan(128 * 1024);
  });

  it('lists the exceptions in full and every other instance as status shows it', () => {
    const unusual = instances.filter((i) => i.phase !== 'Done' || i.decisions?.length || i.needsAttention);
    expect(compact.instances.map((i) => i.instance)).toEqual(unusual.map((i) => i.instance));
    expect(compact.finalCheck?.instances.map((i) => i.instance)).toEqual(
      instances.filter((i) => i.phase === 'Skipped').map((i) => i.instance),
    );
    expect(compact.compact).toMatchObject({ fleet: 5000, preflightPassed: 5000 });
    const order = new Map(ids.map((id, n) => [id, n]));
    const back = unpackOutcomes({ groups: compact.compact!.clean, others: compact.instances }, ids).sort(
      (a, b) => order.get(a.instance)! - order.get(b.instance)!,
    );
    const table = (xs: RolloutProgress['instances']) =>
      progressTable({ ...(full as unknown as RolloutProgress), phase: 'Done', current: [], instances: xs });
    const tableOf = (xs: RolloutProgress['instances']) => table(xs).split('\n').length;
    expect(tableOf(back)).toBe(tableOf(instances));
    expect(table(back)).toMatch(/gw-0001 +Done +2026\.9\.5 → 2026\.9\.6 .* approved by op-0 \(--rest\)/);
  });

  it('the rollout-ended notice counts the usual outcomes and lists the others', () => {
    const place = { cluster: 'big', rolloutId: 'rollout-big', targetVersion: TARGET, namespace: 'default', now: '' };
    const notice = rolloutEndedNotice(place as Parameters<typeof rolloutEndedNotice>[0], { ...full });
    console.log(`rollout-ended notice of 5,000 instances: ${bytes(notice)} bytes, ${notice.text.length} lines`);
    expect(notice.text).toContain(`4980 instances: Done, ${FROM} → ${TARGET}`);
    expect(notice.text.filter((l) => /^gw-\d+: /.test(l))).toHaveLength(20);
    expect(bytes(notice)).toBeLessThan(16 * 1024);
  });
});
