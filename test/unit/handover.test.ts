/**
 * Bounded histories: a rollout told to continue-as-new after every batch (continueAsNewEvery 1, the
 * test's tiny threshold) hands over to a new run between batches, keeps its workflow id, and nothing an
 * operator sent is lost or applied twice across the handovers: approvals, a failure decision, a pause
 * carried into the next run, a standing approval that covers an instance of a later run, an abort that
 * arrives while the rollout hands over. Real local Temporal server, stub activities; the runs' histories
 * are saved as replay fixtures.
 */
import {
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import {
  abortReason,
  approveRejoin,
  approveRejoinUpdate,
  decideFailureUpdate,
  pauseRollout,
  resumeRollout,
} from '../../src/shared/messages/rollout.js';
import { approveRestUpdate } from '../../src/shared/messages/standing.js';
import { historiesDir } from '../bed/histories.js';
import { temporalBin } from '../bed/tools.js';
import {
  FROM,
  TARGET,
  approve,
  inPhase,
  phaseOf,
  rollout,
  saveHistories,
  stubEnv,
  useStubServer,
  waitFor,
} from '../helpers/stub-rollout.js';

useStubServer();

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause?.message ?? e.message) : String(e)),
  );

/** The run ids of a rollout, first to latest, following each run's continue-as-new to the next. */
async function runsOf(handle: WorkflowHandle): Promise<string[]> {
  const runs = [(handle as WorkflowHandleWithFirstExecutionRunId).firstExecutionRunId];
  for (;;) {
    const history = await stubEnv().client.workflow.getHandle(handle.workflowId, runs.at(-1)).fetchHistory();
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(next);
  }
}

/** Saves one run's history (test-artifacts/histories/<label>--<id>.json) as a replay fixture candidate. */
async function saveRun(label: string, workflowId: string, runId: string): Promise<void> {
  const { stdout } = await execa(temporalBin(), [
    ...['workflow', 'show', '--workflow-id', workflowId, '--run-id', runId],
    ...['--address', stubEnv().address, '--namespace', 'default', '--output', 'json'],
  ]);
  await mkdir(historiesDir, { recursive: true });
  await writeFile(join(historiesDir, `${label}--${workflowId.replaceAll('/', '_')}.json`), stdout);
}

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
      expect((await runsOf(r.handle)).length).toBe(2);
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
      expect((await runsOf(r.handle)).length).toBe(3);
      await new Promise((x) => setTimeout(x, 500));
      expect(r.fake.calls.filter((c) => c.startsWith('lbDrain gw-3'))).toEqual([]);
      await r.handle.signal(resumeRollout, { by: 'bob' });

      await inPhase(r.handle, 'gw-3', 'AwaitingApproval');
      const receipt = await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice', comment: 'ok' }] });
      expect(receipt).toMatchObject({ approvedNow: ['gw-3'], standing: true });
      const report = (await r.handle.result()) as ClusterRolloutReport;

      const runs = await runsOf(r.handle);
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
      await saveRun('handover-run-1', 'rollout-handover', runs[0]!);
      await saveRun('handover-run-2', 'rollout-handover', runs[1]!);
      await saveHistories('handover', ['rollout-handover', 'rollout-handover/gw-2']);
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
        if (late) expect((await runsOf(r.handle)).length).toBe(2);
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
