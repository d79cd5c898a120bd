/**
 * The update of a `source` install (OpenClaw's `openclaw update`) where the gateway can be stopped and
 * started: the updater's doctor needs the databases free, and a running gateway holds them ("agent
 * database is in use"), so — as OpenClaw's docs say for a gateway it does not manage — stop it, run
 * `openclaw update --no-restart`, start it again. Doctor with the running release first (refuse early,
 * nothing changed yet) → stop (supervisor) → `openclaw update --yes --json --no-restart --tag <v>` (it
 * stages, validates, swaps and runs doctor itself) → start → verify. The instance is drained and backed
 * up before. The update's own report (status, reason, report path) is the install step's detail.
 */
import { describeUpdateReport } from '../../shared/update-report.js';
import type { InstanceRun } from './run.js';
import { runDoctor, startAndVerify, stopForUpdate } from './steps.js';

export async function updateSourceCheckout(r: InstanceRun): Promise<void> {
  const { state, targetVersion } = r;
  await runDoctor(r, ' (running release, before the update)');
  await r.setPhase('Updating');
  state.changed = true;
  await stopForUpdate(r);
  await r.step(
    'install',
    `openclaw update to ${targetVersion} (source, gateway stopped)`,
    () => r.install.installVersion(r.target, targetVersion),
    (x) => `${x.update ? describeUpdateReport(x.update) : x.command}; ${Math.round(x.durationMs / 1000)} s`,
  );
  state.ran = true;
  await startAndVerify(r, targetVersion);
}
