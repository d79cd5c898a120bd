/** The emergency repair's input and result. */
import type { Device, Instance, NotificationsConfig, Policy } from '../../shared/inventory.js';
import type { RepairProgress } from '../../shared/messages/repair.js';
import type { OperatorCommand } from '../../shared/operator-command.js';

export interface EmergencyRepairInput {
  cluster: string;
  instance: Instance;
  device: Device;
  policy: Policy;
  /** The central task queue; the instance's commands go to its host's queue. */
  taskQueue: string;
  /** Why the repair runs (shown in the UI and the report). */
  reason: string;
  /** Who started it: `repair --by`, or the rollout's starter for a repair a rollout started (four-eyes). */
  startedBy?: string;
  /** The inventory's notifications and Web UI base URL (absent: no notifications). */
  notifications?: NotificationsConfig;
  uiUrl?: string;
  /** How the operator runs the CLI, for the commands its texts name (absent in older histories: the checkout's form). */
  operatorCommand?: OperatorCommand;
}

export interface EmergencyRepairResult extends RepairProgress {
  outcome: 'repaired' | 'rejected';
}
