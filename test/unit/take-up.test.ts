/**
 * A rerun takes up what the last rollout left out of traffic (shared/take-up.ts), on a local Temporal
 * server with stub activities over an in-memory cluster: an abort that could not start the gateway again
 * leaves it stopped and drained; the next rollout, given what that report says, does not refuse the
 * stopped gateway, rolls it forward from where it is, and counts its time out of traffic from the first
 * drain. Without that report the same gateway is refused; a cut-off restore is never taken up.
 */
import { describe, expect, it } from 'vitest';
import { decideFailureUpdate } from '../../src/shared/messages/rollout.js';
import { outOfTraffic } from '../../src/shared/out-of-traffic.js';
import { takeUpFrom } from '../../src/shared/take-up.js';
import type { ClusterRolloutReport } from '../../src/workflows/cluster-rollout.js';
import type { FakeCluster } from '../helpers/fake-cluster.js';
import {
  FROM,
  SAYS_ADMIN_STATE,
  TARGET,
  approve,
  inPhase,
  rollout,
  saveHistories,
  useStubServer,
} from '../helpers/stub-rollout.js';

useStubServer();

const JUMP = { instance: { restart: ['supervisorctl', 'restart', 'gw'] }, loadBalancer: SAYS_ADMIN_STATE };
const stoppedAndDrained = (f: FakeCluster) => Object.assign(f.instances.get('gw-1')!, { running: false, lb: 'drain' });

/** Waits for gw-1 to fail, decides abort, and returns the rollout's report (its worker stopped). */
async function abortedWhenFailed(first: Awaited<ReturnType<typeof rollout>>): Promise<ClusterRolloutReport> {
  try {
    await inPhase(first.handle, 'gw-1', 'Failed');
    await first.handle.executeUpdate(decideFailureUpdate, {
      args: [{ instance: 'gw-1', decision: 'abort', by: 'alice' }],
    });
    return (await first.handle.result()) as ClusterRolloutReport;
  } finally {
    await first.stop();
  }
}

describe('a rerun takes up what the last rollout left out of traffic', () => {
  it('an abort that left the gateway stopped: the rerun starts it, rolls it forward, and counts its time out from the first drain', async () => {
    const first = await rollout(
      'take-up',
      ['gw-1', 'gw-2'],
      {},
      (f) => {
        Object.assign(f.instances.get('gw-1')!, { stateOf: '2026.8.2', version: '2026.8.2', installed: '2026.8.2' });
        f.failNext('runDoctorFix', 'gw-1', 'doctor --fix: disk full');
        f.failNext('startGateway', 'gw-1', 'supervisor: spawn error');
      },
      JUMP,
    );
    const left = await abortedWhenFailed(first);
    expect(left.instances.find((i) => i.instance === 'gw-1')).toMatchObject({ leftStopped: 'start-failed' });
    expect(first.fake.instances.get('gw-1')).toMatchObject({ running: false, lb: 'drain' });
    const takeUp = takeUpFrom(left);
    expect(takeUp).toEqual([
      {
        instance: 'gw-1',
        by: 'rollout-take-up',
        outSince: expect.any(String),
        left: expect.stringContaining('stopped'),
        before: { version: '2026.8.2', backup: expect.objectContaining({ version: '2026.8.2' }) },
      },
    ]);

    const rerun = await rollout('take-up', ['gw-1', 'gw-2'], {}, undefined, { ...JUMP, fake: first.fake, takeUp });
    try {
      await approve(rerun.handle, 'gw-1');
      await approve(rerun.handle, 'gw-2');
      const report = (await rerun.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('done');
      expect(report.preflight.instances.find((i) => i.instance === 'gw-1')?.takenUp).toMatch(
        /^left out of traffic by rollout-take-up since .*, its gateway stopped \(its devices are checked once it runs\): this rollout takes it up/,
      );
      expect(rerun.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, running: true, lb: 'ready' });
      const gw1 = report.instances.find((i) => i.instance === 'gw-1')!;
      // Stopped, it reports no version: the installed release (the abort left 2026.9.6 installed) is read instead.
      expect(gw1.versionBefore).toBe(TARGET);
      // One stay out of traffic, from the aborted rollout's drain to this rollout's rejoin.
      expect(outOfTraffic(gw1).periods).toEqual([{ from: takeUp[0]!.outSince, to: expect.any(String) }]);
      expect(gw1.steps.find((s) => s.id === 'stage')?.step).toMatch(/\(out of traffic\)$/);
      // No release ran to check before the update: the read-only doctor is skipped, the canary decides.
      expect(gw1.steps.find((s) => s.id === 'doctor')).toMatchObject({ status: 'skipped' });
      await saveHistories('take-up', ['rollout-take-up', 'rollout-take-up/gw-1']);
    } finally {
      await rerun.stop();
    }
  });

  it('a rollback in the rerun goes back to the release before the first rollout, from the backup taken then', async () => {
    const first = await rollout(
      'take-up-back',
      ['gw-1'],
      {},
      (f) => f.failNext('startGateway', 'gw-1', 'supervisor: spawn error'),
      JUMP,
    );
    const left = await abortedWhenFailed(first);
    // The abort started the target on the state (migrated) and left it out of traffic; its backup is FROM's.
    expect(first.fake.instances.get('gw-1')).toMatchObject({ version: TARGET, stateOf: TARGET, lb: 'drain' });
    const takeUp = takeUpFrom(left);
    const firstBackup = takeUp[0]?.before?.backup?.path;
    expect(takeUp[0]?.before).toMatchObject({ version: FROM, backup: { version: FROM } });

    first.fake.failNext('startGateway', 'gw-1', 'supervisor: spawn error again');
    const rerun = await rollout('take-up-back', ['gw-1'], {}, undefined, { ...JUMP, fake: first.fake, takeUp });
    try {
      await inPhase(rerun.handle, 'gw-1', 'Failed');
      await rerun.handle.executeUpdate(decideFailureUpdate, {
        args: [{ instance: 'gw-1', decision: 'rollback', by: 'alice' }],
      });
      await approve(rerun.handle, 'gw-1');
      const report = (await rerun.handle.result()) as ClusterRolloutReport;
      expect(report.instances[0]).toMatchObject({ outcome: 'rolled-back', versionBefore: FROM, versionAfter: FROM });
      expect(rerun.fake.calls).toContain(`restoreBackup gw-1 ${firstBackup}`);
      expect(rerun.fake.instances.get('gw-1')).toMatchObject({ version: FROM, stateOf: FROM, lb: 'ready' });
      await saveHistories('take-up-rollback', ['rollout-take-up-back/gw-1']);
    } finally {
      await rerun.stop();
    }
  });

  it('without the last report a stopped gateway is refused; a cut-off restore is never taken up', async () => {
    const refused = await rollout('take-up-none', ['gw-1'], {}, stoppedAndDrained, JUMP);
    try {
      const report = (await refused.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('preflight-failed');
      expect(report.preflight.instances[0]?.problems).toEqual([
        'gateway not healthy (runtime not running, RPC probe failed)',
        'devices list: gateway closed (1006): connect ECONNREFUSED',
      ]);
    } finally {
      await refused.stop();
    }
    const cutOff = await rollout('take-up-cut', ['gw-1'], {}, stoppedAndDrained, {
      ...JUMP,
      takeUp: [
        { instance: 'gw-1', by: 'rollout-take-up-cut', outSince: new Date().toISOString(), restoreCutOff: true },
      ],
    });
    try {
      const report = (await cutOff.handle.result()) as ClusterRolloutReport;
      expect(report.outcome).toBe('preflight-failed');
      expect(report.preflight.instances[0]?.problems).toEqual([
        expect.stringMatching(
          /^left stopped by rollout-take-up-cut with the restore of its backup cut off .*\(supervisorctl start gw\)/,
        ),
        'devices list: gateway closed (1006): connect ECONNREFUSED',
      ]);
      expect(cutOff.fake.calls.filter((c) => /^(startGateway|installVersion|lbDrain)/.test(c))).toEqual([]);
    } finally {
      await cutOff.stop();
    }
  });
});
