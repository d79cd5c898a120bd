/**
 * The steps of the workflows, by id. Labels ("install 2026.9.6 (global)", "drain (rollback)") are for
 * people and change with their parameters; code that looks for a step (status, the report, tests)
 * finds it by its id. Workflow-safe (no I/O).
 */
import type { StepRecord } from './messages/rollout.js';

export const STEP_IDS = [
  // instance rollout, forward
  'read-version',
  'check-on-target',
  'already-on-target',
  'stage',
  'canary',
  'drain',
  'wait-drain',
  'backup',
  'doctor',
  'stop',
  'install',
  'switch',
  'doctor-fix',
  'start',
  'restart',
  'verify-status',
  'verify-channels',
  'rotate',
  'soak',
  'reconnect-hook',
  'rejoin',
  'device-back',
  'verify-after-rejoin',
  'start-repair',
  'repair',
  // rollback and the way back
  'check-backup',
  'restore',
  'check-restored-databases',
  'put-back',
  // emergency repair
  'revoke',
  'confirm-revoked',
  'wait-pairing-request',
  'approve-request',
  'verify-role-scopes',
] as const;

export type StepId = (typeof STEP_IDS)[number];

/**
 * Whether a step record is one of `ids`: by its id, or, for progress recorded before step ids (a rollout
 * started by older code), by its label.
 */
export function isStep(record: StepRecord, ids: ReadonlySet<StepId>, legacyLabel: RegExp): boolean {
  return record.id !== undefined ? ids.has(record.id) : legacyLabel.test(record.step);
}

/** The steps that check the instance (what `status` shows as its last check). */
export const CHECK_STEPS: ReadonlySet<StepId> = new Set<StepId>([
  'doctor',
  'verify-status',
  'verify-channels',
  'device-back',
  'verify-after-rejoin',
  'check-restored-databases',
  'verify-role-scopes',
]);
