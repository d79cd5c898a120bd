/**
 * The way forward, runbook steps 1-6 towards the target: read the running version (an instance already
 * healthy on the target and in traffic is verified and left alone) → drain → a verified backup with the
 * running release → update (the documented sequence where the gateway can be stopped and started, else
 * install + doctor + restart) → verify → rotate devices and reconnect hooks → approval → rejoin.
 */
import { isPatched } from '../patches.js';
import { canStopAndStart } from '../../shared/service-commands.js';
import { prepareWhileServing, type WindowPlan } from './prepare.js';
import { approveAndRejoin } from './rejoin.js';
import type { InstanceRun } from './run.js';
import { recordMismatchRefusals } from '../lib/metrics.js';
import { updateSourceCheckout } from './source-update.js';
import {
  drainAndWait,
  restartAndVerify,
  rotateAndReconnect,
  rotateWithoutHooks,
  runDoctor,
  startAndVerify,
  startGatewayStep,
  stopForUpdate,
  verifyRunning,
} from './steps.js';
import type { InstanceRolloutResult } from './types.js';

export async function rollForward(r: InstanceRun): Promise<InstanceRolloutResult> {
  const { targetVersion } = r;
  // Patched: histories from before it drained first and had no backup step.
  const safetyNet = isPatched('already-on-target-and-backup-v1');
  // Patched: histories from before it staged the release (and ran the first doctor) while still serving.
  const prepare = safetyNet && isPatched('stage-before-drain-v1');
  const before = safetyNet ? await readVersionFirst(r, !prepare) : await drainFirstThenReadVersion(r);
  if (before === 'already-on-target') return { ...r.progress, outcome: 'already-on-target' };
  let documented: boolean | undefined;
  let window: WindowPlan | undefined;
  if (prepare) {
    documented = documentedSequence(r, safetyNet);
    // Patched: histories from before it ran the canary, and doctor, status checks and reconnect hooks in the window.
    window = await prepareWhileServing(r, documented, documented && isPatched('client-window-v1'));
    await r.setPhase('Draining');
  }
  r.state.drained = true; // from here on (even if the drain call's answer is lost) cleanup puts it back
  await drainAndWait(r, '');
  if (safetyNet) await backUp(r, before.version ?? 'the running release');

  // 2-3. Update and doctor, restart and verify: the target version must be what runs now.
  if (documented ?? documentedSequence(r, safetyNet)) {
    await updateAsDocumented(r, prepare, window);
  } else if (
    safetyNet &&
    r.instance.install.type === 'source' &&
    canStopAndStart(r.instance) &&
    isPatched('source-update-stopped-v1')
  ) {
    await updateSourceCheckout(r); // stop, `openclaw update`, start: source-update.ts
  } else {
    await r.setPhase('Updating');
    r.state.changed = true;
    await installTarget(r);
    await runDoctor(r, '');
    await restartAndVerify(r, targetVersion);
  }
  // 3-5. (Client window: check, then) rotate the affected devices, then make their clients reconnect (after the rejoin, in the client window).
  if (window) {
    await verifyRunning(r, targetVersion);
    await rotateWithoutHooks(r);
    r.state.doctorAfterRejoin = true;
  } else await rotateAndReconnect(r);
  return approveAndRejoin(r, targetVersion, 'done');
}

/** OpenClaw's documented update (stop, install, doctor --fix, start) for an npm install the rollout can stop and start. */
function documentedSequence(r: InstanceRun, safetyNet: boolean): boolean {
  const { type } = r.instance.install;
  return (
    safetyNet &&
    (type === 'global' || type === 'staged') &&
    canStopAndStart(r.instance) &&
    isPatched('documented-update-sequence-v1')
  );
}

type Before = { version: string | null; healthy: boolean };

/** The running version, read before anything changes; an instance already finished is left alone. */
async function readVersionFirst(r: InstanceRun, drainNext: boolean): Promise<Before | 'already-on-target'> {
  const { progress, targetVersion } = r;
  await r.setPhase('Verifying');
  const before = await r.step(
    'read-version',
    'read version before',
    () => r.quick.gatewayStatus(r.target),
    (s) => `${s.version}`,
  );
  // A gateway the last rollout left stopped reports no version: the release installed is what it runs
  // once started (and what its backup is taken with). Only taken-up instances (new input): no patch needed.
  if (!before.version && r.input.firstLeft) {
    before.version = await r.step(
      'read-version',
      'read the installed release (the gateway is stopped)',
      () => r.quick.installedVersion(r.target),
      (v) => `${v ?? 'none found'}`,
    );
    r.state.stopped = true; // as the last rollout left it: an abort now starts it again (way-back.ts)
  }
  progress.versionBefore = before.version;
  if (before.healthy && before.version === targetVersion && !r.input.force) {
    const why = await r.step(
      'check-on-target',
      'check whether already on target',
      () => whyNotFinished(r),
      (w) => (w ? `not finished, rolling it out again: ${w}` : 'healthy, in traffic, channels ok, no mismatch'),
    );
    if (!why) {
      progress.versionAfter = before.version;
      progress.alreadyOnTarget = true;
      r.recorder.note(
        'already-on-target',
        'already on target',
        'skipped',
        `runs ${targetVersion} healthy and in traffic: no drain, install, restart or rotation (start --force redoes it)`,
      );
      await r.setPhase('Done');
      return 'already-on-target';
    }
  }
  if (drainNext) await r.setPhase('Draining');
  return before;
}

/** How histories from before the safety net ran: the phase was Draining while the version was read. */
async function drainFirstThenReadVersion(r: InstanceRun): Promise<Before> {
  await r.setPhase('Draining');
  const before = await r.step(
    'read-version',
    'read version before',
    () => r.quick.gatewayStatus(r.target),
    (s) => `${s.version}`,
  );
  r.progress.versionBefore = before.version;
  return before;
}

/**
 * An instance that already runs the target, healthy, is checked the way a finished one would be: in
 * traffic, channels healthy, no `device token mismatch` in the last mismatchWindow. Why not, or undefined
 * when it is finished and must be left alone (no drain, install, restart or rotation).
 */
async function whyNotFinished(r: InstanceRun): Promise<string | undefined> {
  const { input, instance, policy } = r;
  const [lb, channels, mismatches] = await Promise.all([
    r.lb.lbState(input.loadBalancer, instance.lbServer),
    r.quick.probeChannels(r.target),
    r.quick.countTokenMismatches(r.target, { sinceMs: Date.now() - policy.mismatchWindow }),
  ]);
  recordMismatchRefusals(r.place, 'already-on-target', mismatches.count, true);
  const inTraffic = lb.admin === 'ready' || input.loadBalancer.type === 'none';
  // A command adapter cannot tell (unknown): roll it out again rather than leave it drained.
  const lbProblem =
    lb.admin === 'unknown'
      ? 'not known to be in traffic (the load balancer cannot tell)'
      : `${lb.admin} in the load balancer, not in traffic`;
  const problems = [
    ...(inTraffic ? [] : [`${instance.lbServer} is ${lbProblem}`]),
    ...(channels.healthy ? [] : ['channels probe not healthy']),
    ...(mismatches.count
      ? [`${mismatches.count} device token mismatch refusals in the last ${policy.mismatchWindow / 1000} s`]
      : []),
  ];
  return problems.length ? problems.join('; ') : undefined;
}

/** A verified backup with the release that runs, so a rollback can bring back the state from before. */
async function backUp(r: InstanceRun, running: string): Promise<void> {
  r.progress.backup = await r.step(
    'backup',
    `backup (with ${running})`,
    () => r.install.createBackup(r.target, running),
    (b) =>
      'skipped' in b
        ? `no backup: ${b.skipped}`
        : `${b.path} (${(b.bytes / 1_048_576).toFixed(1)} MB, sha256 ${b.sha256.slice(0, 12)}…, verified)`,
  );
}

/** Installs the target release (`npm i -g`, `openclaw update` for a source checkout, or switches `current` to it). */
export function installTarget(r: InstanceRun, version = r.targetVersion, labelNote = '') {
  const { install } = r.instance;
  const [id, label] =
    install.type === 'staged'
      ? (['switch', `switch ${install.root}/current to ${version} (${labelNote}staged)`] as const)
      : (['install', `install ${version} (${labelNote}${install.type})`] as const);
  return r.step(
    id,
    label,
    () => r.install.installVersion(r.target, version),
    (x) =>
      x.kind === 'staged'
        ? `${x.switchedFrom === undefined ? 'already pointed there' : `was ${x.switchedFrom ?? 'nothing'}`} (${x.durationMs} ms)`
        : `${Math.round(x.durationMs / 1000)} s`,
  );
}

/**
 * OpenClaw's documented update of an npm install (docs/install/updating/update-methods.md): doctor
 * with the running release (refuse early, nothing changed yet) → stop → install → the new release's
 * `doctor --fix` (the migrations it requires, e.g. a jump over several releases) → start → verify,
 * doctor again read-only. The instance is drained and backed up before.
 */
async function updateAsDocumented(r: InstanceRun, doctoredBeforeDrain: boolean, window?: WindowPlan): Promise<void> {
  const { state, targetVersion } = r;
  if (!doctoredBeforeDrain) await runDoctor(r, ' (running release, before the update)');
  await r.setPhase('Updating');
  state.changed = true;
  await stopForUpdate(r);
  await installTarget(r);
  state.ran = true;
  if (!window || window.fixInWindow) await doctorFix(r);
  if (window) return startGatewayStep(r, targetVersion); // the checks follow in rollForward, doctor after the rejoin
  await startAndVerify(r, targetVersion);
  // Not beside the checks: a doctor left running after a failed check would compete with the rollback.
  await runDoctor(r, ' (after the start)');
}

/** The new release's `doctor --fix` on the stopped gateway's state: the migrations it requires. */
async function doctorFix(r: InstanceRun): Promise<void> {
  const { targetVersion } = r;
  await r.step(
    'doctor-fix',
    `doctor --fix with ${targetVersion} (migrations)`,
    () => r.install.runDoctorFix(r.target),
    (x) =>
      `${x.fixed.length ? `applied: ${x.fixed.join('; ')}` : x.migrationPendingBefore ? 'applied the pending state migration' : 'nothing to migrate'}${x.warnings.length ? `; ${x.warnings.length} warnings: ${x.warnings.join('; ')}` : ''}`,
  );
}
