/**
 * The Temporal activities of "rollback from a verified backup" (openclaw/backup/): thin wrappers that hand
 * the plain functions the activity's cancellation signal, heartbeat and timeout, and turn our typed
 * errors into Temporal failures (activity-wrap.ts). Backup and restore use the install step's timeout
 * (policy.stepTimeouts.update: they can take as long as an install on a large state); stop and start
 * the restart step's.
 */
import * as bk from './openclaw/backup/index.js';
import { asActivity, context, keepAlive } from './activity-wrap.js';
import type { InstanceTarget } from './index.js';

export type {
  BackupRecord,
  RestoreResult,
  RestoredDatabases,
  StartResult,
  StopResult,
} from './openclaw/backup/index.js';

export const backupActivities = {
  /**
   * `openclaw backup create --output <file> --verify --json` with the running release, checked (exit
   * code, file, JSON), with its sha256; prunes this tool's older archives beyond `backup.keep`.
   * `{ skipped }` when the instance has no local state (reached by url only): rollback cannot restore then.
   */
  async createBackup(t: InstanceTarget, runningVersion: string): Promise<bk.BackupRecord | { skipped: string }> {
    return keepAlive(() =>
      asActivity(() => bk.createBackup(t.instance, runningVersion, context(t.policy.stepTimeouts.update))),
    );
  },
  /** Before anything stops: the archive is there with the recorded sha256 (else a non-retryable ConfigurationError: nothing stopped or moved). */
  async checkBackupArchive(
    t: InstanceTarget,
    backup: bk.BackupRecord,
  ): Promise<{ path: string; sha256: string; bytes: number }> {
    return keepAlive(() => asActivity(() => bk.checkBackupArchive(t.instance, backup)));
  },
  /** Stops the gateway (`stop`, or derived from a supervisorctl/systemctl `restart`) and waits until /readyz stops answering. Idempotent. */
  async stopGateway(t: InstanceTarget): Promise<bk.StopResult> {
    return keepAlive(() => asActivity(() => bk.stopGateway(t.instance, context(t.policy.stepTimeouts.restart))));
  },
  /** Starts the gateway and waits until `gateway status` is healthy on `expectVersion`. Idempotent. */
  async startGateway(t: InstanceTarget, expectVersion: string): Promise<bk.StartResult> {
    const ctx = context(t.policy.stepTimeouts.restart);
    return keepAlive(() =>
      asActivity(() =>
        bk.startGateway(t.instance, expectVersion, { ...ctx, readyDeadlineMs: t.policy.stepTimeouts.restart }),
      ),
    );
  },
  /**
   * Restores the archive (gateway stopped): refuses with nothing moved when it is missing or its
   * sha256 differs; moves the migrated state (and config) aside, kept, and the restored ones into place.
   * A retry after a crash finishes the same job.
   */
  async restoreBackup(t: InstanceTarget, backup: bk.BackupRecord): Promise<bk.RestoreResult> {
    return keepAlive(() =>
      asActivity(() => bk.restoreBackup(t.instance, backup, context(t.policy.stepTimeouts.update))),
    );
  },
  /** The installed release's `database preflight` / `preflight-agent` on copies of the state's databases; allExact when every one is `exact`. */
  async checkRestoredDatabases(t: InstanceTarget): Promise<bk.RestoredDatabases> {
    return keepAlive(() => asActivity(() => bk.checkRestoredDatabases(t.instance, context(t.policy.stepTimeouts.cli))));
  },
};
