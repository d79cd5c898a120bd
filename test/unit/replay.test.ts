/**
 * Replay: every history in test/fixtures/histories (exported with `temporal workflow show --output
 * json` from real rollouts on the bed by test/e2e/05-rollout.test.ts, see test/bed/histories.ts) must
 * replay against the current workflow code without a nondeterminism error. A change to a workflow's
 * command sequence must keep these replaying (use `patched()`); when a new path is added, record its
 * history and add it here. `npm run replay` runs the same check by hand.
 */
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../bed/tools.js';

const dir = new URL('../fixtures/histories/', import.meta.url).pathname;
const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();

describe('replaying recorded histories', () => {
  it('has recorded histories of the approved and the rejected rollout, parent and children', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'approved--rollout-bed.json',
        'rejected--rollout-bed.json',
        'approved--rollout-bed_gw-1.json',
        'rejected--rollout-bed_gw-1.json',
      ]),
    );
  });

  it('has a recorded history of a completed emergency repair (test/e2e/04a-emergency-repair.test.ts)', () => {
    expect(files.some((f) => /^repaired--repair-bed_gw-\d_[0-9a-f]{64}\.json$/.test(f))).toBe(true);
  });

  it('has a recorded rollout whose instance started an emergency repair by itself (test/e2e/04b-auto-repair.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'auto-repaired--rollout-bed-auto-repair.json',
        'auto-repaired--rollout-bed-auto-repair_gw-2.json',
      ]),
    );
    expect(files.some((f) => /^auto-repaired--rollout-bed-auto-repair_gw-\d_repair_[0-9a-f]{64}\.json$/.test(f))).toBe(
      true,
    );
  });

  it('has a recorded rollback after a failure past the rejoin, which drains first (test/unit/rollout-decisions.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'rollback-after-rejoin--rollout-ambiguous.json',
        'rollback-after-rejoin--rollout-ambiguous_gw-1.json',
      ]),
    );
  });

  it('has recorded histories of the safety net: rollback from the backup, a restore without its backup, an instance left alone (test/unit/rollout-decisions.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'rollback-from-backup--rollout-restore.json',
        'rollback-from-backup--rollout-restore_gw-1.json',
        'restore-missing-backup--rollout-restore-missing_gw-1.json',
        'already-on-target--rollout-rerun.json',
        'already-on-target--rollout-rerun_gw-1.json',
      ]),
    );
  });

  it('has recorded histories of the documented update (stop, install, doctor --fix, start), of a source install (stop, openclaw update, start) and of an unchanged instance put back after a skip', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'documented-update--rollout-jump_gw-1.json',
        'skipped-unchanged--rollout-jump-skip_gw-1.json',
        'source-update--rollout-source_gw-1.json',
      ]),
    );
  });

  it('has recorded histories of the real bed with the safety net: the documented update rollout, the rollback from a backup with faults, a repair through the approval gate', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'approved-documented--rollout-bed.json',
        'approved-documented--rollout-bed_gw-1.json',
        'faults-backup--rollout-bed-faults_gw-1.json',
      ]),
    );
    expect(files.some((f) => /^repaired-gate--repair-bed_gw-\d_[0-9a-f]{64}\.json$/.test(f))).toBe(true);
  });

  it('has a recorded history of batches given as a share of the fleet (batchSize "50%")', () => {
    expect(files).toContain('batch-share--rollout-share.json');
  });

  it('has recorded histories of one decision for many and of the canary mode (test/unit/approvals-at-scale.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'approve-batch--rollout-batch-each.json',
        'batch-mode--rollout-batch-mode.json',
        'batch-mode--rollout-batch-mode_gw-2.json',
        'approve-rest--rollout-rest.json',
        'canary-mode--rollout-canary.json',
        'canary-mode--rollout-canary_gw-2.json',
        'canary-mode--rollout-canary_gw-3.json',
        'canary-mode--rollout-canary_gw-4.json',
        'canary-mode--rollout-canary_preflight.json',
        'canary-bed--rollout-bed-canary.json',
        'canary-bed--rollout-bed-canary_gw-3.json',
      ]),
    );
  });

  it('has recorded histories of rollouts that send notifications (test/unit/notifications-rollout.test.ts, test/e2e/04g-notifications.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'notified--rollout-notify.json',
        'notified--rollout-notify_gw-1.json',
        'notified--rollout-notify_gw-2.json',
        'notified-bed--rollout-bed-notify.json',
      ]),
    );
  });

  it('has recorded histories of updates prepared while serving: a failed staging, the documented update with its first doctor before the drain and the checks side by side (test/unit/rollout-decisions.test.ts), the staged rollout and the faults on the real bed (05, 04d)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'failed-staging--rollout-stagefail.json',
        'failed-staging--rollout-stagefail_gw-1.json',
        'failed-staging--rollout-stagefail_gw-2.json',
        'documented-update-prepared--rollout-jump.json',
        'documented-update-prepared--rollout-jump_gw-1.json',
        'approved-staged--rollout-bed.json',
        'approved-staged--rollout-bed_gw-1.json',
        'faults-staged--rollout-bed-faults_gw-1.json',
      ]),
    );
  });

  it('has recorded histories of a rollout that continued-as-new: a run that hands over, one that takes over and hands over again, the last one (test/unit/handover.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'handover-run-1--rollout-handover.json',
        'handover-run-2--rollout-handover.json',
        'handover--rollout-handover.json',
        'handover--rollout-handover_gw-2.json',
      ]),
    );
  });

  it('has recorded histories of slim progress: deltas from the children, a grouped handover (test/unit/handover.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'slim-progress--rollout-batch-each.json',
        'slim-progress--rollout-batch-each_gw-1.json',
        'slim-handover-run-1--rollout-handover.json',
        'slim-handover-run-2--rollout-handover.json',
        'slim-handover--rollout-handover.json',
        'slim-handover--rollout-handover_gw-2.json',
        // An out-of-traffic notice during a long install (test/unit/notifications-rollout.test.ts).
        'notified-install--rollout-notify-install.json',
        'notified-install--rollout-notify-install_gw-1.json',
      ]),
    );
  });

  it('has recorded histories of a rollout whose preflight and final check ran in chunks (test/unit/handover.test.ts)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'chunks--rollout-chunks.json',
        'chunks--rollout-chunks_preflight_2.json',
        'chunks--rollout-chunks_final-check_1.json',
      ]),
    );
  });

  it('has recorded histories of the client window (the canary decides the fix; global installs keep it) of the pairing requests rejected at the end, of the decisions after a rejection, of a gateway started again after an abort while stopped (test/unit/rollout-decisions.test.ts), and of a rerun that took up what the last rollout left (test/unit/take-up.test.ts; on the real bed, e2e 04f)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'client-window-global--rollout-jump_gw-1.json',
        'client-window-canary--rollout-canary-boot_gw-1.json',
        'client-window-canary-fix--rollout-canary-fix_gw-1.json',
        'client-window-canary-refused--rollout-canary-refused_gw-1.json',
        'stray-requests--rollout-strays.json',
        'stray-requests--rollout-strays_final-check.json',
        'reject-rollback--rollout-reject-rollback_gw-1.json',
        'reject-retry-skip--rollout-reject-retry_gw-1.json',
        'cancelled-stopped--rollout-cancel-stopped_gw-1.json',
        'aborted-stopped--rollout-abort-stopped_gw-1.json',
        'cancelled-rollback-stopped--rollout-cancel-rollback_gw-1.json',
        'take-up--rollout-take-up.json',
        'take-up--rollout-take-up_gw-1.json',
        'take-up-rollback--rollout-take-up-back_gw-1.json',
        'take-up-stopped--rollout-bed-gw-jump.json',
        'take-up-stopped--rollout-bed-gw-jump_gw-jump.json',
      ]),
    );
  });

  it("has a recorded history of plan's preflight, which names the releases each instance crosses (test/unit/plan-release-jump.test.ts)", () => {
    expect(files.some((f) => /^plan-release-jump--plan-jump_plan_\d+\.json$/.test(f))).toBe(true);
  });

  it('replays every one of them against the current workflow code', async () => {
    const r = await execa('npx', ['tsx', 'scripts/replay.ts', dir], { cwd: projectRoot, reject: false });
    const results = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { file: string; ok: boolean; error?: string });
    expect(results.map((x) => x.file).sort()).toEqual(files);
    expect(results.filter((x) => !x.ok)).toEqual([]);
    expect(r.exitCode).toBe(0);
  }, 180_000);
});
