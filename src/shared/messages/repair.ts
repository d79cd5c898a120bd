/**
 * Signals and query of the emergency repair (emergency-repair.ts), shared with the starter.
 * Workflow-safe: no I/O. The approval payload has the same shape and rules as the rejoin approval
 * (messages.ts checkDecision): `{"instance": "gw-2", "approver": "alice", "comment": "..."}`.
 */
import type { NotificationFailure } from '../notices.js';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionReceipt, IgnoredMessage, RejoinDecision, StepRecord } from './rollout.js';

export const approveRepair = defineSignal<[RejoinDecision]>('approveRepair');
export const rejectRepair = defineSignal<[RejoinDecision]>('rejectRepair');

export const APPROVE_REPAIR_DESCRIPTION =
  'Approve the device\'s new pairing request (runs `openclaw devices approve <requestId>`). Payload: {"instance": "gw-2", "approver": "alice", "comment": "checked the client"}. Ignored (and recorded) unless the repair is waiting for approval.';
export const REJECT_REPAIR_DESCRIPTION =
  'Do not approve the request: the repair ends, the device stays revoked on the instance. Payload: {"instance": "gw-2", "approver": "alice", "comment": "why"}.';

/**
 * The same decisions as Updates, for the starter's approve-repair / reject-repair: checked like the
 * signals (waiting? allowed approver? four-eyes against whoever started the repair or its rollout) and
 * refused at once with the reason, so nothing changes and the operator knows why.
 */
export const approveRepairUpdate = defineUpdate<DecisionReceipt, [RejoinDecision]>('approveRepairUpdate');
export const rejectRepairUpdate = defineUpdate<DecisionReceipt, [RejoinDecision]>('rejectRepairUpdate');
export const APPROVE_REPAIR_UPDATE_DESCRIPTION =
  'Like the approveRepair signal, but refused at once with the reason when the repair is not waiting or the approver is not allowed. Payload: {"instance": "gw-2", "approver": "alice", "comment": "..."}.';
export const REJECT_REPAIR_UPDATE_DESCRIPTION =
  'Like the rejectRepair signal, but refused at once with the reason when the repair is not waiting or the approver is not allowed.';

export type RepairPhase =
  | 'Revoking'
  | 'WaitingForPairingRequest'
  | 'AwaitingApproval'
  | 'Approving'
  | 'Verifying'
  | 'Repaired'
  | 'Rejected'
  | 'Failed';

export interface RepairProgress {
  instance: string;
  deviceId: string;
  role: string;
  reason: string;
  /** Who started the repair (`repair --by`, or the rollout's starter); four-eyes: may not approve it. */
  startedBy?: string;
  phase: RepairPhase;
  steps: StepRecord[];
  revokedAtMs?: number;
  request?: { requestId: string; scopes: string[] };
  decision?: RejoinDecision & { kind: 'approve' | 'reject' | 'auto'; at: string };
  ignored: IgnoredMessage[];
  approvalTimeouts: number;
  /** Notifications that could not be delivered after their retries. */
  notificationFailures?: NotificationFailure[];
}

export const repairProgressQuery = defineQuery<RepairProgress>('repairProgress');
