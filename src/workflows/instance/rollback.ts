/**
 * The operator's rollback: the version the instance ran before, restarted and verified, then the normal
 * approval. With a backup from before the update it restores that state; without one (older histories,
 * an instance without local state) it reinstalls only, which works while the new release never started.
 */
import { isPatched } from '../patches.js';
import type { BackupRecord } from '../../shared/facts.js';
import { installTarget } from './forward.js';
import { approveAndRejoin } from './rejoin.js';
import { checkFailed, type InstanceRun } from './run.js';
import {
  drainAndWait,
  restartAndVerify,
  rotateAndReconnect,
  runDoctor,
  startGatewayStep,
  stopForUpdate,
  verifyRunning,
} from './steps.js';
import { recordRollback } from '../lib/metrics.js';
import type { InstanceRolloutResult } from './types.js';

export async function rollBack(r: InstanceRun): Promise<InstanceRolloutResult> {
  const { version, backup } = rollbackPoint(r);
  recordRollback({ cluster: r.input.cluster, instance: r.instance.id });
  await r.setPhase('RollingBack');
  r.state.changed = true;
  await drainIfRejoined(r);
  if (backup && !('skipped' in backup)) return rollBackFromBackup(r, version, backup);
  await installTarget(r, version, 'rollback, ');
  await runDoctor(r, ' (rollback)');
  await restartAndVerify(r, version);
  return approveAndRejoin(r, version, 'rolled-back');
}

/**
 * Where a rollback goes: the release the instance ran before this rollout and the backup taken with it;
 * for an instance taken up from an earlier rollout that had changed it (shared/take-up.ts), the release
 * it ran before that rollout and its backup, when that rollout took one. (Taken-up instances are new
 * input: older histories never have one.)
 */
function rollbackPoint(r: InstanceRun): { version: string; backup: InstanceRolloutResult['backup'] } {
  const earlier = r.input.firstLeft?.before;
  if (earlier?.backup && earlier.version !== r.progress.versionBefore) {
    r.progress.versionBefore = earlier.version;
    return { version: earlier.version, backup: earlier.backup };
  }
  return { version: r.progress.versionBefore!, backup: r.progress.backup };
}

/** After a failure past the rejoin the instance is serving again: drain it first, never restart it in traffic. */
async function drainIfRejoined(r: InstanceRun): Promise<void> {
  if (r.state.rejoined && isPatched('rollback-after-rejoin-drains')) {
    // As in rollForward: out of traffic from the drain call on (cleanup then lists it if cancelled).
    r.state.rejoined = false;
    r.rejoinGate.clear(); // the approval it rejoined with was for the target version: ask again
    await drainAndWait(r, ' (rollback)');
  }
}

/**
 * Rollback from the verified backup: the new release may have migrated the state, which the old one
 * refuses. Check the archive → stop → restore the state from before (the migrated one is moved aside
 * and kept) → reinstall the old release → its database preflight must say `exact` → doctor → start →
 * verify → rotate again if the roll-forward had rotated (the restore brought back the devices' old
 * tokens) → the normal approval before rejoin.
 */
async function rollBackFromBackup(
  r: InstanceRun,
  version: string,
  backup: BackupRecord,
): Promise<InstanceRolloutResult> {
  const file = backup.path.split('/').at(-1);
  // Before anything stops: a missing or changed archive fails here, with the gateway untouched.
  await r.step(
    'check-backup',
    `check backup ${file}`,
    () => r.install.checkBackupArchive(r.target, backup),
    () => `present, sha256 matches the one recorded at the backup`,
  );
  await stopForUpdate(r, ' (rollback)');
  await r.step(
    'restore',
    `restore backup ${file}`,
    () => r.install.restoreBackup(r.target, backup),
    (x) => `state from before restored; the migrated state is kept at ${x.movedAsideTo}`,
  );
  await installTarget(r, version, 'rollback, ');
  await checkRestoredDatabases(r, version);
  await runDoctor(r, ' (rollback)');
  r.state.ran = true;
  await startGatewayStep(r, version, ' (rollback)');
  await verifyRunning(r, version);
  await rotateAgainIfRotated(r);
  return approveAndRejoin(r, version, 'rolled-back');
}

/** The old release's `openclaw database preflight` must open the restored state unchanged. */
function checkRestoredDatabases(r: InstanceRun, version: string) {
  return r.step(
    'check-restored-databases',
    `check restored databases with ${version}`,
    () =>
      r.quick.checkRestoredDatabases(r.target).then((x) => {
        if (!x.allExact) {
          const off = x.databases
            .filter((d) => d.status !== 'exact')
            .map((d) => `${d.path}: ${d.status}`)
            .join('; ');
          throw checkFailed(
            `\`openclaw database preflight\` of ${version} does not open the restored state unchanged: ${off}. The gateway stays stopped; the migrated state is kept beside it.`,
          );
        }
        return x;
      }),
    (x) => {
      const notChecked = x.warnings ?? [];
      const exact = `${x.databases.length - notChecked.length} databases exact`;
      return notChecked.length ? `${exact}; not checked by ${version}: ${notChecked.join('; ')}` : exact;
    },
  );
}

/**
 * The restore brought back the tokens from before the backup: rotate again only if the roll-forward
 * rotated since (a rotation kicks the clients off). Patched: older histories always rotated.
 */
async function rotateAgainIfRotated(r: InstanceRun): Promise<void> {
  const rotatedSinceBackup = r.rotations.length > 0;
  r.rotations.length = 0;
  if (rotatedSinceBackup || !isPatched('rotate-after-restore-only-if-rotated-v1')) await rotateAndReconnect(r);
  else
    r.recorder.note(
      'rotate',
      'rotate devices (rollback)',
      'skipped',
      'no rotation since the backup: the restored tokens are the ones the clients hold',
    );
}
