/**
 * One decision for many, and the canary mode's promotion on evidence, on a real local Temporal server
 * with stub activities (test/helpers/fake-cluster.ts): `approve --batch`, the batch mode's one approval
 * per batch, `approve --rest` and its withdrawal by a pause, and canary mode promoting on clean evidence
 * and asking a human on refused connects or without a baseline. Every decision still goes through the
 * same checks (four-eyes, allowed approvers, waiting state) and is recorded per instance. The histories
 * are saved as replay fixtures for these paths.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import { decideFailureUpdate, pauseRollout, resumeRollout } from '../../src/shared/messages/rollout.js';
import { approveBatchUpdate, approveRestUpdate, type ManyDecision } from '../../src/shared/messages/standing.js';
import { approve, inPhase, phaseOf, rollout, saveHistories, useStubServer, waitFor } from '../helpers/stub-rollout.js';

useStubServer();

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof WorkflowUpdateFailedError ? (e.cause?.message ?? e.message) : String(e)),
  );
const batch = (h: WorkflowHandle, d: ManyDecision) => h.executeUpdate(approveBatchUpdate, { args: [d] });
const rest = (h: WorkflowHandle, d: ManyDecision) => h.executeUpdate(approveRestUpdate, { args: [d] });
const decisionOf = (report: ClusterRolloutReport, id: string) =>
  report.instances.find((i) => i.instance === id)?.decision;

describe('approve --batch', () => {
  it('approves every waiting instance of the current batch, each recorded; four-eyes and nothing-waiting are refused', async () => {
    const r = await rollout('batch-each', ['gw-1', 'gw-2', 'gw-3', 'gw-4'], { batchSize: 2 });
    try {
      expect(await refusal(batch(r.handle, { approver: 'alice' }))).toMatch(/no instance of the current batch/);
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await inPhase(r.handle, 'gw-2', 'AwaitingApproval');
      expect(await refusal(batch(r.handle, { approver: 'carol' }))).toContain('four-eyes: carol started this rollout');
      const still = await waitFor(r.handle, 'both waiting', (p) => phaseOf(p, 'gw-1') === 'AwaitingApproval');
      expect(phaseOf(still, 'gw-2')).toBe('AwaitingApproval');
      expect(r.fake.drained().sort()).toEqual(['gw-1', 'gw-2']);

      const receipt = await batch(r.handle, { approver: 'alice', comment: 'dashboards green' });
      expect(receipt).toMatchObject({ scope: 'batch', approvedNow: ['gw-1', 'gw-2'], standing: false });
      // The next batch is not covered: it waits for its own decision.
      await inPhase(r.handle, 'gw-3', 'AwaitingApproval');
      await approve(r.handle, 'gw-3');
      await approve(r.handle, 'gw-4');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      for (const id of ['gw-1', 'gw-2'])
        expect(decisionOf(report, id)).toMatchObject({
          kind: 'approve',
          approver: 'alice',
          via: 'batch',
          comment: 'dashboards green',
        });
      expect(decisionOf(report, 'gw-3')).toMatchObject({ approver: 'alice' });
      expect(decisionOf(report, 'gw-3')?.via).toBeUndefined();
      await saveHistories('approve-batch', ['rollout-batch-each', 'rollout-batch-each/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('in mode batch stands for the instances of the batch that reach the gate later, and for no other batch', async () => {
    const r = await rollout(
      'batch-mode',
      ['gw-1', 'gw-2', 'gw-3'],
      { batchSize: 2, approvals: { mode: 'batch' } },
      (f) => f.failNext('restartGateway', 'gw-2', 'gateway did not come back'),
    );
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await inPhase(r.handle, 'gw-2', 'Failed');
      const receipt = await batch(r.handle, { approver: 'alice' });
      expect(receipt).toMatchObject({ approvedNow: ['gw-1'], standing: true });
      const standing = await waitFor(r.handle, 'gw-1 done', (p) => phaseOf(p, 'gw-1') === 'Done');
      expect(standing.standing).toMatchObject({ scope: 'batch', approver: 'alice', instances: ['gw-1', 'gw-2'] });
      await r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'retry', by: 'bob' }] });
      // gw-2 reaches the gate after the retry and is approved by the batch's approval, without a new decision.
      const after = await waitFor(
        r.handle,
        'gw-2 done and gw-3 waiting',
        (p) => phaseOf(p, 'gw-3') === 'AwaitingApproval',
      );
      expect(phaseOf(after, 'gw-2')).toBe('Done');
      expect(after.standing).toBeUndefined();
      await approve(r.handle, 'gw-3');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(decisionOf(report, 'gw-2')).toMatchObject({ approver: 'alice', via: 'batch' });
      expect(decisionOf(report, 'gw-3')?.via).toBeUndefined();
      await saveHistories('batch-mode', ['rollout-batch-mode', 'rollout-batch-mode/gw-2']);
    } finally {
      await r.stop();
    }
  });
});

describe('approve --rest', () => {
  it('stands for every later instance until a pause withdraws it; --withdraw without one is refused', async () => {
    const r = await rollout('rest', ['gw-1', 'gw-2', 'gw-3'], {}, (f) =>
      f.failNext('restartGateway', 'gw-2', 'gateway did not come back'),
    );
    try {
      expect(await refusal(rest(r.handle, { approver: 'alice', withdraw: true }))).toContain('no standing approval');
      expect(await refusal(rest(r.handle, { approver: 'carol' }))).toContain('four-eyes');
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      expect(await rest(r.handle, { approver: 'alice', comment: 'canary looked fine' })).toMatchObject({
        approvedNow: ['gw-1'],
        standing: true,
      });
      const failed = await inPhase(r.handle, 'gw-2', 'Failed');
      expect(failed.standing).toMatchObject({ scope: 'rest', approver: 'alice' });
      await r.handle.signal(pauseRollout, { by: 'bob', comment: 'looking at gw-2' });
      const paused = await waitFor(r.handle, 'the withdrawal', (p) => p.standing === undefined);
      expect(paused.withdrawn).toMatchObject({ approver: 'alice', withdrawnBy: 'bob', why: 'the rollout was paused' });
      await r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'retry', by: 'bob' }] });
      await inPhase(r.handle, 'gw-2', 'AwaitingApproval');
      await new Promise((x) => setTimeout(x, 1000));
      expect(phaseOf(await waitFor(r.handle, 'gw-2', () => true), 'gw-2')).toBe('AwaitingApproval'); // no longer covered
      await approve(r.handle, 'gw-2');
      await waitFor(r.handle, 'the pause', (p) => p.phase === 'Paused');
      await r.handle.signal(resumeRollout, { by: 'bob' });
      await approve(r.handle, 'gw-3');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      expect(decisionOf(report, 'gw-1')).toMatchObject({
        approver: 'alice',
        via: 'rest',
        comment: 'canary looked fine',
      });
      expect(decisionOf(report, 'gw-2')?.via).toBeUndefined();
      await saveHistories('approve-rest', ['rollout-rest', 'rollout-rest/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('canary mode', () => {
  it('promotes on clean evidence after a human approved the canary, and asks a human on refused connects or no baseline', async () => {
    const ids = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5'];
    const r = await rollout('canary', ids, { approvals: { mode: 'canary', soak: '1s' } }, (f) => {
      f.soakRefusals.set('gw-4', 2);
      f.failNext('soakEvidence', 'gw-5', 'logs unreadable'); // preflight's baseline read
    });
    try {
      await approve(r.handle, 'gw-1');
      const asked = await inPhase(r.handle, 'gw-4', 'AwaitingApproval');
      for (const id of ['gw-2', 'gw-3']) {
        const promoted = asked.instances.find((i) => i.instance === id)!;
        expect(promoted.phase).toBe('Done');
        expect(promoted.decision).toMatchObject({ kind: 'approve', approver: 'policy', via: 'policy' });
        expect(promoted.promotion).toMatchObject({
          promoted: true,
          soakMs: 1000,
          evidence: { refused: 0, baseline: { refused: 0, windowMs: 1000 } },
        });
        expect(promoted.steps.map((s) => s.id)).toContain('soak');
      }
      const gw4 = asked.instances.find((i) => i.instance === 'gw-4')!;
      expect(gw4.promotion).toMatchObject({ promoted: false, evidence: { refused: 2, allowed: 0 } });
      expect(gw4.promotion?.why).toContain(
        '2 refused connects (2 device token mismatch) during the soak, over the 0 allowed',
      );
      expect(r.fake.drained()).toEqual(['gw-4']);
      // A standing approval does not cover what the evidence stopped: a person looks at it alone.
      expect(await rest(r.handle, { approver: 'alice' })).toMatchObject({ approvedNow: [] });
      expect(phaseOf(await waitFor(r.handle, 'gw-4', () => true), 'gw-4')).toBe('AwaitingApproval');
      await r.handle.executeUpdate(approveRestUpdate, { args: [{ approver: 'alice', withdraw: true }] });
      await approve(r.handle, 'gw-4');
      const gw5 = await inPhase(r.handle, 'gw-5', 'AwaitingApproval');
      expect(gw5.instances.find((i) => i.instance === 'gw-5')?.promotion?.why).toContain('no baseline from preflight');
      await approve(r.handle, 'gw-5');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      expect(decisionOf(report, 'gw-1')).toMatchObject({ approver: 'alice' });
      expect(decisionOf(report, 'gw-4')).toMatchObject({ approver: 'alice' });
      await saveHistories('canary-mode', [
        'rollout-canary',
        'rollout-canary/gw-2',
        'rollout-canary/gw-4',
        'rollout-canary/preflight',
      ]);
    } finally {
      await r.stop();
    }
  });

  it('promotes nothing when a person did not approve the canary on the target (the canary was rolled back)', async () => {
    const r = await rollout(
      'canary-rolled-back',
      ['gw-1', 'gw-2'],
      { approvals: { mode: 'canary', soak: '1s' }, maxFailedInstances: 1 },
      (f) => f.failNext('restartGateway', 'gw-1', 'gateway did not come back'),
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await approve(r.handle, 'gw-1');
      const p = await inPhase(r.handle, 'gw-2', 'AwaitingApproval');
      expect(p.instances.find((i) => i.instance === 'gw-2')?.promotion).toBeUndefined();
      expect(r.fake.calls.filter((c) => c === 'soakEvidence gw-2')).toHaveLength(1); // preflight's baseline only
      await approve(r.handle, 'gw-2');
      expect(((await r.handle.result()) as ClusterRolloutReport).outcome).toBe('partial');
    } finally {
      await r.stop();
    }
  });
});
