/**
 * Bounded histories: a rollout told to continue-as-new after every batch (continueAsNewEvery 1, the
 * test's tiny threshold) hands over to a new run between batches, keeps its workflow id, and nothing an
 * operator sent is lost or applied twice across the handovers: approvals, a failure decision, a pause
 * carried into the next run, a standing approval that covers an instance of a later run, an abort that
 * arrives while the rollout hands over. Real local Temporal server, stub activities; the runs' histories
 * are saved as replay fixtures.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import {
  abortReason,
  approveRejoin,
  progressQuery,
  approveRejoinUpdate,
  decideFailureUpdate,
  pauseRollout,
  resumeRollout,
} from '../../src/shared/messages/rollout.js';
import { approveBatchUpdate, approveRestUpdate } from '../../src/shared/messages/standing.js';
import { fromDelta, phaseDelta } from '../../src/shared/messages/phase-delta.js';
import type { InstanceProgress, RolloutProgress } from '../../src/shared/messages/rollout.js';
import { readInstance } from '../../src/cli/commands/status.js';
import { instanceDetail, progressTable } from '../../src/cli/views/status-view.js';
import { handoverState } from '../../src/workflows/rollout/handover.js';
import { unpackOutcomes, unpackPreflight } from '../../src/workflows/rollout/handed-outcomes.js';
import { syntheticFleet } from '../helpers/synthetic-fleet.js';
import {
  FROM,
  TARGET,
  approve,
  inPhase,
  phaseOf,
  rollout,
  saveHistories,
  runsOf,
  saveRun,
  stubEnv,
  useStubServer,
  waitFor,
} from '../helpers/stub-rollout.js';

useStubServer();

const fixturesDir = new URL('../fixtures/histories/', import.meta.url).pathname;
interface HistoryJson {
  events: {
    eventType: string;
    workflowExecutionCompletedEventAttributes?: { result: { payloads: { data: string }[] } };
  }[];
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause?.message ?? e.message) : String(e)),
  );

/** The run ids of a rollout, first to latest. */
const runIdsOf = async (handle: WorkflowHandle) => (await runsOf(handle)).map((run) => run.runId);

describe('continue-as-new between batches', () => {
  it('hands over after every batch; approvals, a failure decision, a pause and a standing approval carry across', async () => {
    const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4'];
    const r = await rollout(
      'handover',
      ids,
      {},
      (f) => f.failNext('restartGateway', 'gw-2', 'gateway did not come back'),
      { continueAsNewEvery: 1 },
    );
    try {
      await approve(r.handle, 'gw-1');
      // Sent while gw-1 finishes and the rollout hands over: recorded once, in whichever run took it.
      await r.handle.signal(approveRejoin, { instance: 'gw-9', approver: 'alice' });
      const failed = await inPhase(r.handle, 'gw-2', 'Failed');
      expect((await runIdsOf(r.handle)).length).toBe(2);
      expect(failed.instances.find((i) => i.instance === 'gw-1')).toMatchObject({
        phase: 'Done',
        versionAfter: TARGET,
        decision: { kind: 'approve', approver: 'alice' },
      });
      expect(
        failed.ignored.filter((i) => i.payload && (i.payload as { instance: string }).instance === 'gw-9'),
      ).toHaveLength(1);
      // An instance of an earlier run is not waiting any more: refused, as before the handover.
      expect(
        await refusal(r.handle.executeUpdate(approveRejoinUpdate, { args: [{ instance: 'gw-1', approver: 'bob' }] })),
      ).toContain('gw-1 is not being rolled out now');

      await r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'retry', by: 'bob' }] });
      await inPhase(r.handle, 'gw-2', 'AwaitingApproval');
      await r.handle.signal(pauseRollout, { by: 'bob', comment: 'look at gw-2 first' });
      await r.handle.executeUpdate(approveRejoinUpdate, { args: [{ instance: 'gw-2', approver: 'alice' }] });
      // The pause was handed over: the next run holds before gw-3.
      const paused = await waitFor(r.handle, 'the pause in the next run', (p) => p.phase === 'Paused');
      expect(paused.paused).toMatchObject({ by: 'bob', comment: 'look at gw-2 first' });
      expect(phaseOf(paused, 'gw-3')).toBe('Pending');
      expect((await runIdsOf(r.handle)).length).toBe(3);
      await new Promise((x) => setTimeout(x, 500));
      expect(r.fake.calls.filter((c) => c.startsWith('lbDrain gw-3'))).toEqual([]);
      await r.handle.signal(resumeRollout, { by: 'bob' });

      await inPhase(r.handle, 'gw-3', 'AwaitingApproval');
      const receipt = await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice', comment: 'ok' }] });
      expect(receipt).toMatchObject({ approvedNow: ['gw-3'], standing: true });
      const report = (await r.handle.result()) as ClusterRolloutReport;

      const runs = await runIdsOf(r.handle);
      expect(runs.length).toBe(4);
      expect(report.outcome).toBe('done');
      expect(report.instances.map((i) => [i.instance, i.phase])).toEqual(ids.map((id) => [id, 'Done']));
      const decision = (id: string) => report.instances.find((i) => i.instance === id)?.decision;
      expect(decision('gw-1')).toMatchObject({ approver: 'alice' });
      expect(decision('gw-2')).toMatchObject({ approver: 'alice' });
      expect(decision('gw-3')).toMatchObject({ approver: 'alice', via: 'rest' });
      // The standing approval given in run 3 covered gw-4 in run 4.
      expect(decision('gw-4')).toMatchObject({ approver: 'alice', via: 'rest', comment: 'ok' });
      expect(report.instances.find((i) => i.instance === 'gw-2')?.decisions).toMatchObject([
        { decision: 'retry', by: 'bob' },
      ]);
      expect(report.ignored.filter((i) => (i.payload as { instance?: string }).instance === 'gw-9')).toHaveLength(1);
      for (const id of ids) expect(r.fake.instances.get(id)).toMatchObject({ version: TARGET, lb: 'ready' });
      expect(r.fake.calls.filter((c) => c.startsWith('lbDrain gw-'))).toHaveLength(4);
      const described = await r.handle.describe();
      expect(described.runId).toBe(runs[3]);
      expect(described.searchAttributes.OpenclawPhase).toEqual(['Done']);
      await saveRun('slim-handover-run-1', 'rollout-handover', runs[0]!);
      await saveRun('slim-handover-run-2', 'rollout-handover', runs[1]!);
      await saveHistories('slim-handover', ['rollout-handover', 'rollout-handover/gw-2']);
    } finally {
      await r.stop();
    }
  });

  // The abort reaches the run that hands over (as gw-1 finishes), or the next one (just after it started).
  it.each([
    ['as gw-1 finishes', 'handover-abort', false],
    ['in the next run', 'handover-abort-next', true],
  ] as const)(
    'an abort sent %s stops the rollout with the reason; nothing after it is changed',
    async (_, cluster, late) => {
      // gw-2 waits for its sessions until cancelled, should the next run have started it.
      const r = await rollout(cluster, ['gw-1', 'gw-2', 'gw-3'], {}, (f) => f.blockOn.add('lbWaitDrained gw-2'), {
        continueAsNewEvery: 1,
      });
      try {
        await approve(r.handle, 'gw-1');
        // gw-1 done: the batch ends and the rollout hands over now.
        await waitFor(r.handle, 'gw-1 done', (p) => phaseOf(p, 'gw-1') === 'Done');
        if (late) await inPhase(r.handle, 'gw-2', 'Draining');
        await r.handle.signal(abortReason, { by: 'dave', reason: 'stop after the canary' });
        await r.handle.cancel();
        const report = (await r.handle.result()) as ClusterRolloutReport;
        if (late) expect((await runIdsOf(r.handle)).length).toBe(2);
        expect(report.outcome).toBe('aborted');
        expect(report.stoppedBecause).toBe('aborted by dave: stop after the canary');
        expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({
          phase: 'Done',
          decision: { approver: 'alice' },
        });
        expect(r.fake.drained()).toEqual([]);
        for (const id of ['gw-2', 'gw-3'])
          expect(r.fake.instances.get(id)).toMatchObject({ version: FROM, lb: 'ready' });
        expect(r.fake.calls.filter((c) => /^installVersion gw-[23]/.test(c))).toEqual([]);
        // As gw-1 finishes, the abort may reach either run: both end the same way (gw-2 put back if drained).
        if (late) expect(r.fake.calls.filter((c) => c.startsWith('lbDrain gw-2'))).toHaveLength(1);
      } finally {
        await r.stop();
      }
    },
  );
});

/** The instance ids in the inventory a child workflow was started with. */
async function inventoryOf(workflowId: string): Promise<string[]> {
  const history = await stubEnv().client.workflow.getHandle(workflowId).fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  const input = JSON.parse(Buffer.from(data!).toString()) as { inventory: { instances: { id: string }[] } };
  return input.inventory.instances.map((i) => i.id);
}

describe('the preflight and the final check in chunks of the fleet', () => {
  const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5'];

  it('checks each chunk in its own child, one after the other, and reports the whole fleet', async () => {
    const r = await rollout('chunks', ids, { batchSize: 5 }, undefined, { preflightChunkSize: 2 });
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice' }] });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      expect(report.preflight.instances.map((i) => i.instance)).toEqual(ids);
      expect(report.finalCheck?.instances.map((i) => [i.instance, i.version, i.lb?.admin])).toEqual(
        ids.map((id) => [id, TARGET, 'ready']),
      );
      for (const kind of ['preflight', 'final-check']) {
        const chunks = [1, 2, 3].map((n) => `rollout-chunks/${kind}/${n}`);
        expect(await Promise.all(chunks.map(inventoryOf))).toEqual([['gw-1', 'gw-2'], ['gw-3', 'gw-4'], ['gw-5']]);
        // One after the other: each chunk started after the one before it ended.
        const times = await Promise.all(chunks.map((id) => stubEnv().client.workflow.getHandle(id).describe()));
        for (let n = 1; n < 3; n++) expect(times[n]!.startTime >= times[n - 1]!.closeTime!).toBe(true);
      }
      await saveHistories('chunks', ['rollout-chunks', 'rollout-chunks/preflight/2', 'rollout-chunks/final-check/1']);
    } finally {
      await r.stop();
    }
  });

  it('refuses the rollout when an instance of a later chunk fails its preflight; nothing is changed', async () => {
    const r = await rollout(
      'chunks-refused',
      ids,
      {},
      (f) => f.failNext('gatewayStatus', 'gw-5', 'gateway unreachable'),
      { preflightChunkSize: 2 },
    );
    try {
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('preflight-failed');
      expect(report.preflight.instances.map((i) => i.instance)).toEqual(ids);
      expect(report.preflight.instances.find((i) => i.instance === 'gw-5')?.problems).toEqual([
        expect.stringContaining('gateway status: '),
      ]);
      expect(r.fake.calls.filter((c) => /^(lbDrain|installVersion)/.test(c))).toEqual([]);
    } finally {
      await r.stop();
    }
  });
});

describe('what a run hands the next, at 5,000 instances (slim-progress-v1)', () => {
  const { instances, preflight } = syntheticFleet(5000);
  const progress: RolloutProgress = {
    rolloutId: 'rollout-big',
    cluster: 'big',
    targetVersion: TARGET,
    phase: 'RollingOut',
    current: [],
    instances,
    ignored: [],
  };
  const at = { next: 5000, runs: 19, canaryApproved: true };
  const slim = handoverState(progress, preflight, { ...at, slim: true });
  const old = handoverState(progress, preflight, { ...at, slim: false });
  const ids = instances.map((i) => i.instance);
  const order = new Map(ids.map((id, n) => [id, n]));
  const inOrder = <T extends { instance: string }>(xs: T[]) =>
    [...xs].sort((a, b) => order.get(a.instance)! - order.get(b.instance)!);

  it('fits well under the SDK payload warning (256 KB)', () => {
    const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
    console.log(`handover of 5,000 instances: ${bytes(slim)} bytes grouped, ${bytes(old)} bytes before (compact form)`);
    expect(bytes(slim)).toBeLessThan(100 * 1024);
    expect(slim.outcomes!.others).toHaveLength(20); // 15 skipped, 5 rolled back: kept as compactInstance keeps them
  });

  it('reads back as status showed the compact form: phase, versions, sessions, time out of traffic, last check, who approved', () => {
    const table = (xs: InstanceProgress[]) => progressTable({ ...progress, instances: xs });
    expect(table(inOrder(unpackOutcomes(slim.outcomes!, ids)))).toBe(table(old.done!));
    expect(table(old.done!)).toMatch(/gw-0001 +Done +2026\.9\.5 → 2026\.9\.6 .* approved by op-0 \(--rest\)/);
  });

  it('keeps time out of traffic and last check over later handovers too (an instance handed over has no steps)', () => {
    const again = handoverState({ ...progress, instances: inOrder(unpackOutcomes(slim.outcomes!, ids)) }, preflight, {
      ...at,
      slim: true,
    });
    const table = (xs: InstanceProgress[]) => progressTable({ ...progress, instances: xs });
    expect(table(inOrder(unpackOutcomes(again.outcomes!, ids)))).toBe(table(old.done!));
    expect(again.outcomes!.groups.flatMap((g) => g.outS).filter((s) => s < 0)).toEqual([]);
  });

  it("keeps the preflight's facts later runs and the report read, each instance's baseline and sessions", () => {
    const rebuilt = unpackPreflight(slim.facts!, ids);
    expect(rebuilt.instances).toEqual(old.preflight!.instances);
    expect(rebuilt.ok).toBe(true);
  });
});

describe('an instance reports a phase to its rollout in a small delta (slim-progress-v1)', () => {
  it('carries no steps (unless notifications list them), whatever the instance ran', () => {
    const [full] = syntheticFleet(1).instances;
    const waiting: InstanceProgress = {
      ...full!,
      phase: 'AwaitingApproval',
      decision: undefined,
      steps: full!.steps.filter((s) => s.id !== 'rejoin' && s.id !== 'put-back'),
    };
    const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
    const delta = phaseDelta(waiting, waiting.steps[1]?.startedAt, false);
    const forNotice = phaseDelta(waiting, waiting.steps[1]?.startedAt, true);
    console.log(
      `signal at AwaitingApproval: ${bytes(delta)} bytes as a delta (${bytes(forNotice)} with notifications), ${bytes(waiting)} bytes before`,
    );
    expect(bytes(delta)).toBeLessThan(1024);
    expect(fromDelta(delta)).toMatchObject({ instance: 'gw-0001', phase: 'AwaitingApproval', steps: [] });
    expect(fromDelta(forNotice).steps.map((s) => s.step)).toEqual(
      waiting.steps.filter((s) => s.status === 'ok').map((s) => s.step),
    );
  });
});

describe('a small fleet with slim progress (slim-progress-v1)', () => {
  /** The recorded result of a workflow: test/fixtures/histories/<file>. */
  const recorded = async (file: string) => {
    const history = JSON.parse(await readFile(join(fixturesDir, file), 'utf8')) as HistoryJson;
    const data = history.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result.payloads[0]!.data;
    return { report: JSON.parse(Buffer.from(data, 'base64').toString()) as ClusterRolloutReport, history };
  };
  // Times, and the fake's backup counter (its order across a batch is the workers').
  const timeless = (x: unknown) =>
    JSON.parse(
      JSON.stringify(x)
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
        .replace(/-\d\.tar\.gz/g, '-<n>.tar.gz'),
    ) as unknown;

  // The scenario of approvals-at-scale's `approve --batch`, whose history was recorded before slim progress.
  it('ends with the same report and status as before, in fewer and smaller events', async () => {
    const before = await recorded('approve-batch--rollout-batch-each.json');
    const r = await rollout('batch-each', ['gw-1', 'gw-2', 'gw-3', 'gw-4'], { batchSize: 2 });
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await inPhase(r.handle, 'gw-2', 'AwaitingApproval');
      // The rollout's copy has no steps; `status --instance` reads them from the instance's workflow.
      const own = await r.handle.query(progressQuery);
      expect(own.instances[0]).toMatchObject({ phase: 'AwaitingApproval', steps: [] });
      const one = await readInstance(r.handle, own, 'gw-1');
      expect(one.source).toBe('its workflow rollout-batch-each/gw-1');
      const detail = instanceDetail(own, one.instance, one.source, { startedBy: own.startedBy });
      expect(detail).toMatch(
        /^gw-1 +AwaitingApproval +2026\.9\.5 → 2026\.9\.6 .*approval by any operator \(not carol\)$/m,
      );
      expect(detail).toMatch(/^ {2}ok +\d\d:\d\d:\d\d → \d\d:\d\d:\d\d {2}drain/m);
      expect(detail).toMatch(/^ {2}ok .* {2}verify gateway status: /m);
      await r.handle.executeUpdate(approveBatchUpdate, { args: [{ approver: 'alice', comment: 'dashboards green' }] });
      await approve(r.handle, 'gw-3');
      await approve(r.handle, 'gw-4');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      // Since that recording, the rollout warms npm's cache before the drain (a step of its own).
      const withoutWarming = (x: ClusterRolloutReport) => ({
        ...x,
        instances: x.instances.map((i) => ({ ...i, steps: i.steps.filter((s) => s.id !== 'stage') })),
      });
      expect(timeless(withoutWarming(report))).toEqual(timeless(before.report));
      const status = (x: ClusterRolloutReport) =>
        progressTable({ ...x, phase: 'Done', current: [], instances: x.instances });
      expect(status(report).replace(/\d+ s/g, '<s>')).toBe(status(before.report).replace(/\d+ s/g, '<s>'));

      const events = (await r.handle.fetchHistory()).events ?? [];
      const signals = events.flatMap((e) => e.workflowExecutionSignaledEventAttributes ?? []);
      const biggest = Math.max(...signals.map((s) => s.input?.payloads?.[0]?.data?.length ?? 0));
      console.log(
        `parent events per instance: ${events.length / 4} (before: ${before.history.events.length / 4}); ${signals.length} signals (before: ${before.history.events.filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED').length}), the largest ${biggest} bytes`,
      );
      expect(events.length).toBeLessThan(before.history.events.length * 0.75);
      expect(biggest).toBeLessThan(1024);
      await saveHistories('slim-progress', ['rollout-batch-each', 'rollout-batch-each/gw-1']);
    } finally {
      await r.stop();
    }
  });
});
