/**
 * The rollout's behaviour when things break, on a real local Temporal server (the CLI's dev server) with
 * stub activities over an in-memory cluster (test/helpers/fake-cluster.ts): a failed step waits for an
 * operator decision with the instance out of traffic, and retry / rollback / skip / abort, the failure
 * budget, pause/resume and cancellation each do what the starter's --help promises. The histories of
 * these runs are saved (test-artifacts/histories) as replay fixtures for these paths.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import {
  abortReason,
  approveRejoinUpdate,
  decideFailure,
  decideFailureUpdate,
  rejectRejoinUpdate,
  pauseRollout,
  progressQuery,
  resumeRollout,
} from '../../src/shared/messages/rollout.js';
import {
  FROM,
  SAYS_ADMIN_STATE,
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
import type { FakeCluster } from '../helpers/fake-cluster.js';

useStubServer();

describe('a step that fails after its retries', () => {
  it('keeps the instance drained and waits; retry runs the failed step again and the rollout completes', async () => {
    const r = await rollout('retry', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('restartGateway', 'gw-1', 'gateway did not come back'),
    );
    try {
      const p = await inPhase(r.handle, 'gw-1', 'Failed');
      const slot = p.instances.find((i) => i.instance === 'gw-1')!;
      expect(slot.failure).toMatchObject({
        step: 'restart',
        message: expect.stringContaining('gateway did not come back'),
      });
      expect(r.fake.drained()).toEqual(['gw-1']);
      expect(p.current).toEqual(['gw-1']);

      // Bad decisions change nothing: an invalid payload is recorded, an Update for an instance not waiting is refused.
      await r.handle.signal(decideFailure, { instance: 'gw-1', decision: 'reboot' as never, by: 'alice' });
      await expect(
        r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'retry', by: 'alice' }] }),
      ).rejects.toThrow(WorkflowUpdateFailedError);
      const after = await waitFor(r.handle, 'the invalid decision to be recorded', (x) =>
        x.ignored.some((i) => i.signal === 'decideFailure'),
      );
      expect(after.ignored.find((i) => i.signal === 'decideFailure')?.reason).toContain(
        'decision: expected one of retry, rollback, skip, abort',
      );
      expect(phaseOf(after, 'gw-1')).toBe('Failed');

      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'retry', by: 'alice', comment: 'fixed the unit file' }],
      });
      await approve(r.handle, 'gw-1');
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const gw1 = report.instances.find((i) => i.instance === 'gw-1')!;
      expect(gw1.decisions).toMatchObject([{ decision: 'retry', by: 'alice', comment: 'fixed the unit file' }]);
      expect(gw1.steps.filter((s) => s.step === 'restart').map((s) => s.status)).toEqual(['failed', 'ok']);
      expect(r.fake.calls.filter((c) => c.startsWith('restartGateway gw-1'))).toHaveLength(2);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, lb: 'ready' });
      expect(r.fake.maxDrained).toBe(1);
      await saveHistories('failed-retry', ['rollout-retry', 'rollout-retry/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('rollback restores the backup, reinstalls the version it ran before, verifies it, and rejoins only after approval', async () => {
    const r = await rollout('rollback', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('restartGateway', 'gw-1', 'gateway did not come back'),
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, lb: 'drain' });
      await approve(r.handle, 'gw-1');
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('partial');
      expect(r.fake.calls).toEqual(
        expect.arrayContaining([`installVersion gw-1 ${FROM}`, `startGateway gw-1 ${FROM}`]),
      );
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, lb: 'ready' });
      expect(r.fake.instances.get('gw-2')).toMatchObject({ version: TARGET, lb: 'ready' });
      expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({
        versionBefore: FROM,
        versionAfter: FROM,
        decision: { kind: 'approve', approver: 'alice' },
      });
      await saveHistories('failed-rollback', ['rollout-rollback', 'rollout-rollback/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('skip leaves the instance drained and goes on; past the failure budget the rollout stops by itself', async () => {
    const r = await rollout('skip', ['gw-1', 'gw-2', 'gw-3'], { maxFailedInstances: 1 }, (f) => {
      f.failNext('installVersion', 'gw-1', 'npm ERR! code E404');
      f.failNext('runDoctor', 'gw-2', 'doctor reported errors');
    });
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'skip', by: 'alice', comment: 'investigate later' }],
      });
      await inPhase(r.handle, 'gw-2', 'Failed');
      // The failed install changed nothing (checked): gw-1 is back in traffic; gw-2 was changed and stays out.
      expect(r.fake.drained()).toEqual(['gw-2']);
      expect(r.fake.calls).toContain('installedVersion gw-1');
      await r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: 'gw-2', decision: 'skip', by: 'bob' }] });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(report.stoppedBecause).toBe('failure budget exceeded: 2 instances failed (policy.maxFailedInstances 1)');
      expect(report.needsAttention?.map((n) => n.instance)).toEqual(['gw-1', 'gw-2']);
      expect(report.needsAttention?.[0]?.why).toBe(
        `skip by alice (investigate later): back in traffic, not updated (still ${FROM}; the failed update changed nothing, checked)`,
      );
      expect(report.needsAttention?.[1]?.why).toContain('skip by bob: left out of traffic after changes');
      expect(r.fake.calls.filter((c) => /^(lbDrain|installVersion) gw-3/.test(c))).toEqual([]);
      expect(r.fake.instances.get('gw-3')).toMatchObject({ version: FROM, lb: 'ready' });
      await saveHistories('skipped-budget', ['rollout-skip', 'rollout-skip/gw-1', 'rollout-skip/gw-2']);
    } finally {
      await r.stop();
    }
  });

  it('a staging that fails leaves the instance in traffic and unchanged; the operator is asked; skip goes on', async () => {
    const r = await rollout('stagefail', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('prepareRelease', 'gw-1', 'npm error code ETARGET'),
    );
    try {
      const p = await inPhase(r.handle, 'gw-1', 'Failed');
      const slot = p.instances.find((i) => i.instance === 'gw-1')!;
      expect(slot.failure).toMatchObject({
        step: `warm npm's cache with ${TARGET} (in traffic)`,
        message: expect.stringContaining('ETARGET'),
      });
      // Asked while still serving: never drained, nothing installed or stopped.
      expect(r.fake.drained()).toEqual([]);
      expect(r.fake.calls.filter((c) => /^(lbDrain|installVersion|stopGateway|createBackup) gw-1/.test(c))).toEqual([]);
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'skip', by: 'alice' }],
      });
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({ outcome: 'skipped' });
      expect(report.needsAttention?.[0]?.why).toBe(
        `skip by alice: still in traffic, not updated (still ${FROM}; it failed before the drain, nothing changed)`,
      );
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, lb: 'ready' });
      expect(r.fake.instances.get('gw-2')).toMatchObject({ version: TARGET, lb: 'ready' });
      // The staging (here: warming npm's cache for a global install) ran before the drain.
      const gw2 = r.fake.calls.filter((c) => / gw-2\b/.test(c)).map((c) => c.split(' ')[0]);
      expect(gw2.indexOf('prepareRelease')).toBeGreaterThanOrEqual(0);
      expect(gw2.indexOf('prepareRelease')).toBeLessThan(gw2.indexOf('lbDrain'));
      await saveHistories('failed-staging', ['rollout-stagefail', 'rollout-stagefail/gw-1', 'rollout-stagefail/gw-2']);
    } finally {
      await r.stop();
    }
  });

  it('abort stops the rollout there: the failed instance stays drained, the rest untouched', async () => {
    const r = await rollout('abort', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('probeChannels', 'gw-1', 'channels probe not healthy'),
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      await r.handle.signal(decideFailure, { instance: 'gw-1', decision: 'abort', by: 'alice' });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(report.needsAttention).toEqual([
        { instance: 'gw-1', why: expect.stringContaining('abort by alice: left out of traffic after changes') },
      ]);
      expect(r.fake.drained()).toEqual(['gw-1']);
      expect(r.fake.calls.filter((c) => /^(lbDrain|installVersion) gw-2/.test(c))).toEqual([]);
      await saveHistories('aborted-decision', ['rollout-abort', 'rollout-abort/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('refused connects after rejoin', () => {
  it('that another paired device could have sent start no repair: the operator decides, and a rollback drains the instance first', async () => {
    const r = await rollout('ambiguous', ['gw-1', 'gw-2'], {}, (f) => f.refusals.set('gw-1', { ambiguous: 2 }));
    try {
      await approve(r.handle, 'gw-1');
      const p = await inPhase(r.handle, 'gw-1', 'Failed');
      const slot = p.instances.find((i) => i.instance === 'gw-1')!;
      expect(slot.failure).toMatchObject({
        step: 'verify after rejoin',
        message: expect.stringContaining(
          '2 refused connects after rejoin from a client that a rotated device shares with other paired devices',
        ),
      });
      expect(slot.failure?.message).toContain('no automatic repair');
      expect(slot.failure?.message).toContain('diagnose --inventory <file> --device <id>');
      expect(r.fake.calls.filter((c) => c.startsWith('revokeDeviceRole'))).toEqual([]);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, lb: 'ready' }); // it had rejoined
      await expect(
        stubEnv().client.workflow.getHandle('rollout-ambiguous/gw-1/repair/device-of-gw-1').describe(),
      ).rejects.toThrow(/not found/i);

      r.fake.refusals.delete('gw-1');
      const failedAt = r.fake.calls.length;
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      const after = r.fake.calls.slice(failedAt);
      expect(after.indexOf('lbDrain gw-1')).toBeGreaterThanOrEqual(0);
      expect(after.indexOf('lbDrain gw-1')).toBeLessThan(after.indexOf('stopGateway gw-1'));
      // It had rotated before the rejoin: the restore brought the old tokens back, so it rotates again.
      expect(after.indexOf('rotateDeviceToken gw-1 device-of-gw-1')).toBeGreaterThan(
        after.indexOf('restoreBackup gw-1'),
      );
      expect(r.fake.restartedInTraffic).toEqual([]);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, lb: 'drain' });
      // The approval it first rejoined with was for the target version: the rolled-back one needs its own.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(phaseOf(await r.handle.query(progressQuery), 'gw-1')).toBe('AwaitingApproval');
      expect(r.fake.instances.get('gw-1')?.lb).toBe('drain');
      await r.handle.executeUpdate(approveRejoinUpdate, {
        args: [{ instance: 'gw-1', approver: 'bob', comment: 'back on the old version' }],
      });
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('partial');
      expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({
        versionAfter: FROM,
        outcome: 'rolled-back',
        decision: { kind: 'approve', approver: 'bob' },
      });
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, lb: 'ready' });
      expect(r.fake.maxDrained).toBeLessThanOrEqual(1);
      await saveHistories('rollback-after-rejoin', ['rollout-ambiguous', 'rollout-ambiguous/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('rollback from the verified backup', () => {
  it('after the new release started and migrated the state: stop, restore, reinstall, exact databases, start, approval (no rotation to redo)', async () => {
    const r = await rollout('restore', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('probeChannels', 'gw-1', 'channels probe not healthy'),
    );
    try {
      const p = await inPhase(r.handle, 'gw-1', 'Failed');
      const slot = p.instances.find((i) => i.instance === 'gw-1')!;
      expect(slot.backup).toMatchObject({
        version: FROM,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        path: expect.stringContaining('gw-1'),
      });
      const order = r.fake.calls.filter((c) => c.includes('gw-1')).map((c) => c.split(' ')[0]);
      expect(order.indexOf('createBackup')).toBeGreaterThan(order.indexOf('lbWaitDrained'));
      expect(order.indexOf('createBackup')).toBeLessThan(order.indexOf('installVersion'));
      // The new release ran on the state: the old one would refuse it now.
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, stateOf: TARGET, lb: 'drain' });

      const failedAt = r.fake.calls.length;
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      const rollback = r.fake.calls
        .slice(failedAt)
        .filter((c) => / gw-1\b/.test(c))
        .map((c) => c.split(' ')[0]);
      // No rotation since the backup (the failure came before it): the restored tokens are current, none is rotated.
      expect(rollback).toEqual([
        'checkBackupArchive',
        'stopGateway',
        'restoreBackup',
        'installVersion',
        'checkRestoredDatabases',
        'runDoctor',
        'startGateway',
        'gatewayStatus',
        'probeChannels',
      ]);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, stateOf: FROM, lb: 'drain', running: true });
      expect(r.fake.movedAside).toEqual([`gw-1 ${TARGET}`]); // kept, never deleted
      expect(r.fake.restartedInTraffic).toEqual([]);
      await approve(r.handle, 'gw-1');
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('partial');
      expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({
        outcome: 'rolled-back',
        versionAfter: FROM,
      });
      expect(report.instances.find((i) => i.instance === 'gw-1')?.steps.map((s) => s.step)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^restore backup openclaw-backup-gw-1-/),
          `check restored databases with ${FROM}`,
          'start gateway (rollback)',
          'rotate devices (rollback)',
        ]),
      );
      expect(r.fake.instances.get('gw-2')).toMatchObject({ version: TARGET, lb: 'ready' });
      await saveHistories('rollback-from-backup-unrotated', ['rollout-restore', 'rollout-restore/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('whose backup is gone fails before it stops or moves anything, and waits for a decision', async () => {
    const r = await rollout('restore-missing', ['gw-1', 'gw-2'], {}, (f) =>
      f.failNext('probeChannels', 'gw-1', 'channels probe not healthy'),
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      r.fake.backups.clear();
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      const p = await waitFor(
        r.handle,
        'the rollback to fail',
        (x) => x.instances.find((i) => i.instance === 'gw-1')?.failure?.step.startsWith('check backup') === true,
      );
      expect(p.instances.find((i) => i.instance === 'gw-1')?.failure?.message).toContain(
        'is missing; nothing was stopped or moved: the migrated state is untouched',
      );
      expect(r.fake.movedAside).toEqual([]);
      expect(r.fake.instances.get('gw-1')).toMatchObject({
        stateOf: TARGET,
        version: TARGET,
        running: true,
        lb: 'drain',
      });
      expect(r.fake.calls.filter((c) => /^(stopGateway|restoreBackup) /.test(c))).toEqual([]);
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'abort', by: 'alice' }],
      });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(r.fake.drained()).toEqual(['gw-1']);
      await saveHistories('restore-missing-backup', ['rollout-restore-missing', 'rollout-restore-missing/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('the documented update sequence (stop, install, doctor --fix, start)', () => {
  const SUPERVISED = { instance: { restart: ['supervisorctl', 'restart', 'gw'] } };

  it('source install: doctor, stop, `openclaw update` with the gateway stopped, start, verify; its report in the step', async () => {
    const r = await rollout('source', ['gw-1'], {}, undefined, {
      instance: { ...SUPERVISED.instance, install: { type: 'source' } },
    });
    try {
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.instances[0]).toMatchObject({ outcome: 'done', versionBefore: FROM, versionAfter: TARGET });
      const order = r.fake.calls.filter((c) => / gw-1\b/.test(c)).map((c) => c.split(' ')[0]);
      const update = order.slice(order.indexOf('createBackup') + 1, order.indexOf('rotateDeviceToken'));
      expect(update).toEqual([
        'runDoctor',
        'stopGateway',
        'installVersion',
        'startGateway',
        'gatewayStatus',
        'probeChannels',
      ]);
      expect(r.fake.restartedInTraffic).toEqual([]);
      const install = report.instances[0]!.steps.find((x) => x.id === 'install');
      expect(install).toMatchObject({
        step: `openclaw update to ${TARGET} (source, gateway stopped)`,
        detail: `openclaw update ok (npm package): ${FROM} → ${TARGET}, report /state/update-reports/gw-1.md; 0 s`,
      });
      await saveHistories('source-update', ['rollout-source', 'rollout-source/gw-1']);
    } finally {
      await r.stop();
    }
  });

  /** The calls of gw-1, by activity name, in order. */
  const callsOf = (fake: { calls: string[] }) =>
    fake.calls.filter((c) => / gw-1\b/.test(c)).map((c) => c.split(' ')[0]!);

  it('jumps releases (global install, no canary): doctor --fix in the window, checks then rotation, hooks and doctor after the rejoin', async () => {
    const r = await rollout(
      'jump',
      ['gw-1'],
      {},
      (f) =>
        Object.assign(f.instances.get('gw-1')!, { stateOf: '2026.8.2', version: '2026.8.2', installed: '2026.8.2' }),
      SUPERVISED,
    );
    try {
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const order = callsOf(r.fake);
      // The running release's doctor ran before the drain (in traffic); a global install has no canary.
      expect(order.indexOf('runDoctor')).toBeLessThan(order.indexOf('lbDrain'));
      expect(order).not.toContain('canaryBoot');
      const window = order.slice(order.indexOf('createBackup') + 1, order.indexOf('lbReady'));
      expect(window.slice(0, 4)).toEqual(['stopGateway', 'installVersion', 'runDoctorFix', 'startGateway']);
      expect(window.slice(4, 6).sort()).toEqual(['gatewayStatus', 'probeChannels']); // side by side
      expect(window.slice(6)).toEqual(['rotateDeviceToken']); // after the checks, no hook before the rejoin
      expect(order.lastIndexOf('runDoctor')).toBeGreaterThan(order.indexOf('lbReady')); // read-only, after the rejoin
      expect(r.fake.restartedInTraffic).toEqual([]);
      expect(r.fake.instances.get('gw-1')).toMatchObject({
        version: TARGET,
        stateOf: TARGET,
        lb: 'ready',
        running: true,
      });
      const steps = report.instances[0]!.steps;
      expect(steps.find((x) => x.id === 'canary')).toMatchObject({
        status: 'skipped',
        detail: expect.stringContaining('global install'),
      });
      expect(steps.find((x) => x.step === `doctor --fix with ${TARGET} (migrations)`)).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('legacy schema; run openclaw doctor --fix'),
      });
      expect(steps.at(-1)).toMatchObject({ step: 'doctor (after the rejoin)', status: 'ok' });
      await saveHistories('client-window-global', ['rollout-jump', 'rollout-jump/gw-1']);
    } finally {
      await r.stop();
    }
  });

  const STAGED = { instance: { ...SUPERVISED.instance, install: { type: 'staged', root: '/opt/openclaw' } } };

  it('staged: the canary boots the release on a copy before the drain; it starts by itself, so no doctor --fix in the window', async () => {
    const r = await rollout('canary-boot', ['gw-1'], {}, undefined, STAGED);
    try {
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const order = callsOf(r.fake);
      expect(order.indexOf('canaryBoot')).toBeGreaterThan(order.indexOf('prepareRelease'));
      expect(order.indexOf('canaryBoot')).toBeLessThan(order.indexOf('lbDrain'));
      const window = order.slice(order.indexOf('createBackup') + 1, order.indexOf('lbReady'));
      expect(window.slice(0, 3)).toEqual(['stopGateway', 'installVersion', 'startGateway']);
      expect(window.slice(3, 5).sort()).toEqual(['gatewayStatus', 'probeChannels']);
      expect(window.slice(5)).toEqual(['rotateDeviceToken']);
      expect(order).not.toContain('runDoctorFix');
      // No client is sent through the load balancer while its instance is out: hooks only after the rejoin.
      expect(
        order.indexOf('runReconnectHook') === -1 || order.indexOf('runReconnectHook') > order.indexOf('lbReady'),
      ).toBe(true);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, stateOf: TARGET, lb: 'ready' });
      const canary = report.instances[0]!.steps.find((x) => x.id === 'canary');
      expect(canary).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/^ready by itself in \d+ s; migrated: state of 2026\.9\.5 migrated/),
      });
      await saveHistories('client-window-canary', ['rollout-canary-boot', 'rollout-canary-boot/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('staged: a release that starts on the copy only after doctor --fix gets the fix in the window', async () => {
    const r = await rollout('canary-fix', ['gw-1'], {}, (f) => f.needsFixToStart.add('gw-1'), STAGED);
    try {
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const order = callsOf(r.fake);
      const window = order.slice(order.indexOf('createBackup') + 1, order.indexOf('lbReady'));
      expect(window.slice(0, 4)).toEqual(['stopGateway', 'installVersion', 'runDoctorFix', 'startGateway']);
      const canary = report.instances[0]!.steps.find((x) => x.id === 'canary');
      expect(canary?.detail).toMatch(/^ready after doctor --fix on the copy \(the window runs it\)/);
      await saveHistories('client-window-canary-fix', ['rollout-canary-fix', 'rollout-canary-fix/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('staged: a release that cannot start on the copy fails the instance while it still serves (nothing drained)', async () => {
    const r = await rollout(
      'canary-refused',
      ['gw-1'],
      {},
      (f) => {
        Object.assign(f.instances.get('gw-1')!, { stateOf: '2026.9.9' });
      },
      STAGED,
    );
    try {
      const p = await waitFor(r.handle, 'the canary to fail', (x) => x.instances[0]?.phase === 'Failed');
      expect(p.instances[0]!.failure).toMatchObject({ step: expect.stringMatching(/^canary boot of /) });
      expect(p.instances[0]!.failure?.message).toContain('refuses the state');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ lb: 'ready', version: FROM, running: true });
      expect(callsOf(r.fake)).not.toContain('lbDrain');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'abort', by: 'alice' }],
      });
      expect(((await r.handle.result()) as ClusterRolloutReport).outcome).toBe('aborted');
      await saveHistories('client-window-canary-refused', ['rollout-canary-refused', 'rollout-canary-refused/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('a failed install that changed nothing, then skip: the gateway is started again on its release and back in traffic', async () => {
    const r = await rollout(
      'jump-skip',
      ['gw-1', 'gw-2'],
      { maxFailedInstances: 1 },
      (f) => f.failNext('installVersion', 'gw-1', 'npm says ETARGET: no such version'),
      SUPERVISED,
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ running: false, lb: 'drain' });
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'skip', by: 'alice' }],
      });
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('partial');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, running: true, lb: 'ready' });
      expect(r.fake.calls).toEqual(
        expect.arrayContaining(['installedVersion gw-1', `startGateway gw-1 ${FROM}`, 'lbReady gw-1']),
      );
      expect(report.needsAttention).toEqual([
        { instance: 'gw-1', why: expect.stringContaining('back in traffic, not updated') },
      ]);
      await saveHistories('skipped-unchanged', ['rollout-jump-skip', 'rollout-jump-skip/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('a rejection at the rejoin gate', () => {
  const reject = (r: { handle: WorkflowHandle }, id: string) =>
    r.handle.executeUpdate(rejectRejoinUpdate, { args: [{ instance: id, approver: 'bob', comment: 'latency up' }] });
  const decide = (r: { handle: WorkflowHandle }, id: string, decision: 'rollback' | 'retry' | 'skip') =>
    r.handle.executeUpdate(decideFailureUpdate, { args: [{ instance: id, decision, by: 'alice' }] });

  it('waits for a decision out of traffic; rollback restores the state from the backup, and the rollout stops after it', async () => {
    const r = await rollout('reject-rollback', ['gw-1', 'gw-2']);
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await reject(r, 'gw-1');
      const p = await inPhase(r.handle, 'gw-1', 'Failed');
      expect(p.instances[0]!.failure).toMatchObject({
        step: 'rejoin approval',
        message: expect.stringContaining('rejected by bob (latency up). It stays out of traffic on 2026.9.6'),
      });
      expect(r.fake.drained()).toEqual(['gw-1']);
      await decide(r, 'gw-1', 'rollback');
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('rejected');
      const gw1 = report.instances[0]!;
      expect(gw1).toMatchObject({ outcome: 'rolled-back', versionAfter: FROM, rejection: { approver: 'bob' } });
      expect(gw1.steps.map((x) => x.id)).toContain('restore');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: FROM, stateOf: FROM, lb: 'ready' });
      expect(report.instances.find((i) => i.instance === 'gw-2')?.phase).toBe('Pending');
      expect(r.fake.calls.some((c) => / gw-2\b/.test(c) && c.startsWith('lbDrain'))).toBe(false);
      await saveHistories('reject-rollback', ['rollout-reject-rollback', 'rollout-reject-rollback/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('retry checks the instance again and asks again; skip leaves it out of traffic, flagged', async () => {
    const r = await rollout('reject-retry', ['gw-1', 'gw-2']);
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await reject(r, 'gw-1');
      await inPhase(r.handle, 'gw-1', 'Failed');
      await decide(r, 'gw-1', 'retry');
      // The retry checked it again (a second status check), and the rollout has heard it waits again.
      await waitFor(r.handle, 'gw-1 checked again and waiting', (p) => {
        const slot = p.instances.find((i) => i.instance === 'gw-1');
        return slot?.phase === 'AwaitingApproval' && slot.steps.filter((x) => x.id === 'verify-status').length === 2;
      });
      await waitFor(
        r.handle,
        'the rollout to hear it',
        async () => phaseOf(await r.handle.query(progressQuery), 'gw-1') === 'AwaitingApproval',
      );
      await reject(r, 'gw-1');
      await inPhase(r.handle, 'gw-1', 'Failed');
      await decide(r, 'gw-1', 'skip');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('rejected');
      expect(report.instances[0]).toMatchObject({ outcome: 'skipped', versionAfter: TARGET });
      expect(report.instances[0]!.needsAttention).toMatch(/^skip by alice: left out of traffic/);
      expect(r.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, lb: 'drain' });
      expect(r.fake.calls.filter((c) => c.startsWith('gatewayStatus gw-1')).length).toBeGreaterThanOrEqual(2);
      expect(report.instances.find((i) => i.instance === 'gw-2')?.phase).toBe('Pending');
      await saveHistories('reject-retry-skip', ['rollout-reject-retry', 'rollout-reject-retry/gw-1']);
    } finally {
      await r.stop();
    }
  });
});

describe('pairing requests left on the wrong instance', () => {
  it('rejects at the end the requests its clients left on another instance; leaves older ones and unknown devices alone', async () => {
    const later = Date.now() + 60_000; // made during the rollout (it starts within the minute)
    const stray = { requestId: 'req-stray-0001', deviceId: 'device-of-gw-1', ts: later };
    const before = { requestId: 'req-older-0001', deviceId: 'device-of-gw-1', ts: 1_000 };
    const stranger = { requestId: 'req-stranger-01', deviceId: 'a-new-device', ts: later };
    const r = await rollout('strays', ['gw-1', 'gw-2'], {}, (f) => f.pending.set('gw-2', [stray, before, stranger]));
    try {
      await approve(r.handle, 'gw-1');
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      expect(r.fake.pending.get('gw-2')).toEqual([before, stranger]);
      expect(report.strayRequests).toEqual([
        {
          instance: 'gw-2',
          requestId: stray.requestId,
          deviceId: stray.deviceId,
          ts: later,
          home: ['gw-1'],
          rejected: true,
        },
      ]);
      await saveHistories('stray-requests', ['rollout-strays', 'rollout-strays/final-check']);
    } finally {
      await r.stop();
    }
  });
});

describe('reruns', () => {
  it('leave an instance that already runs the target, healthy and in traffic, alone', async () => {
    const r = await rollout('rerun', ['gw-1', 'gw-2'], {}, (f) => f.onVersion('gw-1', TARGET), {
      loadBalancer: SAYS_ADMIN_STATE,
    });
    try {
      await approve(r.handle, 'gw-2');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      const gw1 = report.instances.find((i) => i.instance === 'gw-1')!;
      expect(gw1).toMatchObject({
        outcome: 'already-on-target',
        alreadyOnTarget: true,
        phase: 'Done',
        versionBefore: TARGET,
        versionAfter: TARGET,
      });
      expect(gw1.steps.map((s) => [s.step, s.status])).toEqual([
        ['read version before', 'ok'],
        ['check whether already on target', 'ok'],
        ['already on target', 'skipped'],
      ]);
      expect(
        r.fake.calls.filter((c) =>
          /^(lbDrain|createBackup|installVersion|restartGateway|rotateDeviceToken|runReconnectHook) gw-1/.test(c),
        ),
      ).toEqual([]);
      expect(r.fake.calls).toContain('installVersion gw-2 2026.9.6');
      await saveHistories('already-on-target', ['rollout-rerun', 'rollout-rerun/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('roll out again an instance on the target that was left drained, and --force redoes a finished one', async () => {
    const r = await rollout(
      'rerun-drained',
      ['gw-1', 'gw-2'],
      {},
      (f) => {
        f.onVersion('gw-1', TARGET);
        f.instances.get('gw-1')!.lb = 'drain';
        f.onVersion('gw-2', TARGET);
      },
      { loadBalancer: SAYS_ADMIN_STATE, force: false },
    );
    try {
      await approve(r.handle, 'gw-1');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.instances.find((i) => i.instance === 'gw-1')).toMatchObject({ outcome: 'done' });
      expect(report.instances.find((i) => i.instance === 'gw-1')?.steps[1]?.detail).toContain(
        'gw-1 is drain in the load balancer, not in traffic',
      );
      expect(report.instances.find((i) => i.instance === 'gw-2')).toMatchObject({ outcome: 'already-on-target' });
      expect(r.fake.instances.get('gw-1')?.lb).toBe('ready');
    } finally {
      await r.stop();
    }
    const forced = await rollout('rerun-forced', ['gw-1'], {}, (f) => f.onVersion('gw-1', TARGET), {
      loadBalancer: SAYS_ADMIN_STATE,
      force: true,
    });
    try {
      await approve(forced.handle, 'gw-1');
      const report = (await forced.handle.result()) as ClusterRolloutReport;
      expect(report.instances[0]).toMatchObject({ outcome: 'done' });
      expect(forced.fake.calls).toEqual(
        expect.arrayContaining([
          'lbDrain gw-1',
          `installVersion gw-1 ${TARGET}`,
          'rotateDeviceToken gw-1 device-of-gw-1',
        ]),
      );
    } finally {
      await forced.stop();
    }
  });
});

describe('batches given as a share of the fleet', () => {
  it('batchSize "50%" of 4 instances rolls out two at a time', async () => {
    const r = await rollout('share', ['gw-1', 'gw-2', 'gw-3', 'gw-4'], { batchSize: '50%' });
    try {
      const first = await waitFor(r.handle, 'the first batch waiting', (p) =>
        ['gw-1', 'gw-2'].every((id) => phaseOf(p, id) === 'AwaitingApproval'),
      );
      expect(first.current).toEqual(['gw-1', 'gw-2']);
      expect(phaseOf(first, 'gw-3')).toBe('Pending');
      await approve(r.handle, 'gw-1');
      await approve(r.handle, 'gw-2');
      const second = await waitFor(r.handle, 'the second batch', (p) => p.current.includes('gw-3'));
      expect(second.current).toEqual(['gw-3', 'gw-4']);
      await approve(r.handle, 'gw-3');
      await approve(r.handle, 'gw-4');
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      await saveHistories('batch-share', ['rollout-share']);
    } finally {
      await r.stop();
    }
  });
});

describe('pause and resume', () => {
  it('pauses before the next instance and goes on after resume', async () => {
    const r = await rollout('pause', ['gw-1', 'gw-2']);
    try {
      await inPhase(r.handle, 'gw-1', 'AwaitingApproval');
      await r.handle.signal(pauseRollout, { by: 'alice', comment: 'lunch' });
      await approve(r.handle, 'gw-1');
      const paused = await waitFor(r.handle, 'Paused', (p) => p.phase === 'Paused');
      expect(paused.paused).toMatchObject({ by: 'alice', comment: 'lunch' });
      expect(phaseOf(paused, 'gw-2')).toBe('Pending');
      expect(r.fake.calls.filter((c) => c.startsWith('lbDrain gw-2'))).toEqual([]);
      await r.handle.signal(resumeRollout, { by: 'alice' });
      await approve(r.handle, 'gw-2');
      expect(((await r.handle.result()) as ClusterRolloutReport).outcome).toBe('done');
    } finally {
      await r.stop();
    }
  });
});

describe('cancellation (starter abort)', () => {
  const JUMP = {
    instance: { restart: ['supervisorctl', 'restart', 'gw'] },
  };
  const onOldRelease = (f: FakeCluster) =>
    Object.assign(f.instances.get('gw-1')!, { stateOf: '2026.8.2', version: '2026.8.2', installed: '2026.8.2' });

  it('starts a gateway the update had stopped on the release it can run, still out of traffic, and says so', async () => {
    const r = await rollout(
      'cancel-stopped',
      ['gw-1', 'gw-2'],
      {},
      (f) => (onOldRelease(f), f.blockOn.add('runDoctorFix gw-1')),
      JUMP,
    );
    try {
      await waitFor(r.handle, 'doctor --fix to start', () => r.fake.calls.includes('runDoctorFix gw-1'));
      expect(r.fake.instances.get('gw-1')).toMatchObject({ running: false, installed: TARGET });
      await r.handle.cancel();
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(r.fake.instances.get('gw-1')).toMatchObject({ running: true, version: TARGET, lb: 'drain' });
      expect(r.fake.calls).toContain(`startGateway gw-1 ${TARGET}`);
      expect(report.needsAttention).toEqual([
        {
          instance: 'gw-1',
          why: expect.stringContaining(
            `the gateway: started again on ${TARGET} (the release installed now), out of traffic`,
          ),
        },
      ]);
      await saveHistories('cancelled-stopped', ['rollout-cancel-stopped', 'rollout-cancel-stopped/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('a rollback cancelled while it has the gateway stopped starts it again on the release it reinstalled', async () => {
    const r = await rollout(
      'cancel-rollback',
      ['gw-1', 'gw-2'],
      {},
      (f) => f.failNext('probeChannels', 'gw-1', 'channels probe not healthy'),
      JUMP,
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      r.fake.blockOn.add('checkRestoredDatabases gw-1');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await waitFor(r.handle, 'the restored databases check', () =>
        r.fake.calls.includes('checkRestoredDatabases gw-1'),
      );
      expect(r.fake.instances.get('gw-1')).toMatchObject({ running: false, installed: FROM, stateOf: FROM });
      await r.handle.cancel();
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(r.fake.instances.get('gw-1')).toMatchObject({ running: true, version: FROM, lb: 'drain' });
      expect(report.needsAttention).toEqual([
        { instance: 'gw-1', why: expect.stringContaining(`the gateway: started again on ${FROM}`) },
      ]);
      await saveHistories('cancelled-rollback-stopped', ['rollout-cancel-rollback', 'rollout-cancel-rollback/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('abort decided after a failure while stopped: a gateway that cannot start again is reported stopped, with the command to start it', async () => {
    const r = await rollout(
      'abort-stopped',
      ['gw-1', 'gw-2'],
      {},
      (f) => {
        onOldRelease(f);
        f.failNext('runDoctorFix', 'gw-1', 'doctor --fix: disk full', 20);
        f.failNext('startGateway', 'gw-1', 'supervisor: spawn error', 20);
      },
      JUMP,
    );
    try {
      await inPhase(r.handle, 'gw-1', 'Failed');
      await r.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'abort', by: 'alice' }],
      });
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(report.needsAttention).toEqual([
        {
          instance: 'gw-1',
          why: expect.stringMatching(
            /the gateway: stopped: starting it again failed \(.*supervisor: spawn error.*\); start it by hand: supervisorctl start gw$/,
          ),
        },
      ]);
      await saveHistories('aborted-stopped', ['rollout-abort-stopped', 'rollout-abort-stopped/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('puts back an instance that was drained but not changed yet', async () => {
    const r = await rollout('cancel-drained', ['gw-1', 'gw-2'], {}, (f) => f.blockOn.add('lbWaitDrained gw-1'));
    try {
      await inPhase(r.handle, 'gw-1', 'Draining');
      await waitFor(r.handle, 'the drain wait to start', () => r.fake.calls.includes('lbWaitDrained gw-1'));
      await r.handle.cancel();
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(report.stoppedBecause).toBe('cancelled by an operator (abort)');
      expect(r.fake.drained()).toEqual([]);
      expect(report.needsAttention).toEqual([]);
      expect(report.instances.find((i) => i.instance === 'gw-1')?.phase).toBe('Cancelled');
      await saveHistories('cancelled', ['rollout-cancel-drained', 'rollout-cancel-drained/gw-1']);
    } finally {
      await r.stop();
    }
  });

  it('leaves a changed instance drained and lists it as needing attention', async () => {
    const r = await rollout('cancel-changed', ['gw-1', 'gw-2'], {}, (f) => f.blockOn.add('installVersion gw-1'));
    try {
      await inPhase(r.handle, 'gw-1', 'Updating');
      await waitFor(r.handle, 'the install to start', () => r.fake.calls.includes(`installVersion gw-1 ${TARGET}`));
      // What `abort --by bob --reason ...` sends: the reason first (recorded), then the cancellation.
      await r.handle.signal(abortReason, { by: 'bob', reason: '' });
      await r.handle.signal(abortReason, { by: 'bob', reason: 'the maintenance window closed' });
      await r.handle.cancel();
      const report = (await r.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('aborted');
      expect(report.stoppedBecause).toBe('aborted by bob: the maintenance window closed');
      expect(report.ignored.map((i) => [i.signal, i.reason])).toEqual([
        ['abortReason', 'invalid payload: reason: expected why the rollout is aborted'],
      ]);
      expect(r.fake.drained()).toEqual(['gw-1']);
      expect(report.needsAttention).toEqual([
        { instance: 'gw-1', why: expect.stringContaining('cancelled after changes') },
      ]);
      expect(r.fake.calls.filter((c) => c.startsWith('lbReady gw-1'))).toEqual([]);
      expect(
        r.fake.calls.filter((c) => c.includes('gw-2') && !/^(gatewayStatus|listDevices|lbState) /.test(c)),
      ).toEqual([]);
    } finally {
      await r.stop();
    }
  });
});
