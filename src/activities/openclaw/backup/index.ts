/**
 * The host side of "rollback from a verified backup": take a verified `openclaw backup create` archive
 * before an update (with the release that runs), stop and start the gateway through its supervisor
 * (../service.ts), restore the archive after a failed update (the migrated state is moved aside and
 * kept, never deleted), and check the restored databases with the old release's `openclaw database
 * preflight`. Plain async functions; the Temporal wrappers are in backup-activities.ts. This file
 * gathers them.
 *
 * Every step is safe to run again after a crash: a backup is a new file (older ones are pruned by
 * name), stop and start check the gateway first, and a restore keeps a small journal next to its
 * extraction so that a retry finishes the moves it started instead of losing or repeating one.
 */
export type { BackupRecord } from '../../../shared/facts.js';
export * from './archive.js';
export * from './create.js';
export * from './restore.js';
export * from './databases.js';
export {
  answersHttp,
  gatewayHttpUrl,
  serviceCommand,
  startGateway,
  stopGateway,
  type StartResult,
  type StopResult,
} from '../service.js';
