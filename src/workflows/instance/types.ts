/**
 * The instance rollout's input, result and inner state: what the parts in this folder share.
 */
import type { Instance, LoadBalancerConfig, NotificationsConfig, Policy } from '../../shared/inventory.js';
import type { FailureDecision, InstanceProgress } from '../../shared/messages/rollout.js';
import type { OperatorCommand } from '../../shared/operator-command.js';
import type { RefusalBaseline } from '../../shared/promotion.js';
import type { TakeUp } from '../../shared/take-up.js';

export interface InstanceRolloutInput {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  instance: Instance;
  policy: Policy;
  loadBalancer: LoadBalancerConfig;
  /** The central task queue (load-balancer calls); host-bound calls go to the instance's queue. */
  taskQueue: string;
  /** Upsert the Openclaw* search attributes (the starter saw them registered). Absent in old histories. */
  searchAttributes?: boolean;
  /** Who started the rollout (four-eyes: may not approve). Absent in histories from before approval rules. */
  startedBy?: string;
  /** `start --force`: redo an instance that already runs the target (default: verify it and leave it alone). */
  force?: boolean;
  /**
   * canary mode after a human approved the canary: the policy may promote this instance on evidence
   * (the soak against this baseline from preflight, null when preflight took none). Absent: a human decides.
   */
  autoPromote?: { baseline: RefusalBaseline | null };
  /** The inventory's notifications and Web UI base URL, for the emergency repairs it starts (absent: none). */
  notifications?: NotificationsConfig;
  uiUrl?: string;
  /** How the operator runs the CLI, for the commands its texts name (absent in older histories: the checkout's form). */
  operatorCommand?: OperatorCommand;
  /**
   * The last rollout (`by`) left this instance out of traffic at `at`: it is taken up from where it is,
   * its steps say "(out of traffic)", and its time out of traffic counts from then. Absent: in traffic.
   */
  firstLeft?: { at: string; by: string; before?: TakeUp['before'] };
}

export interface InstanceRolloutResult extends InstanceProgress {
  /** done: on the target, in traffic. rolled-back: on the version before, in traffic. skipped: left drained
   *  by decision. rejected: drained by a human's rejection. aborted: stopped by decision, left drained.
   *  already-on-target: healthy on the target and in traffic before anything ran; verified, left alone. */
  outcome: 'done' | 'rejected' | 'rolled-back' | 'skipped' | 'aborted' | 'already-on-target';
}

/**
 * What the instance has been through, for cleanup and the report. `drained`: out of traffic from the
 * drain call on; `changed`: something was installed or stopped; `rejoined`: back in traffic after
 * approval; `ran`: a release was started, or doctor --fix migrated the state (an install alone is undone
 * by nothing but is checkable); `stopped`: the gateway was stopped by the update and not started again
 * yet; `inFlight`: the step running now (after a cancellation: the step that was cut off, whose effect
 * nobody knows).
 */
export interface InstanceState {
  drained: boolean;
  changed: boolean;
  rejoined: boolean;
  ran: boolean;
  stopped: boolean;
  inFlight?: string;
  /** The client window: the read-only doctor runs after the rejoin (findings recorded; an error asks a person). */
  doctorAfterRejoin?: boolean;
}

/** A device rotated during this rollout, and when (its client must come back after that). */
export interface Rotation {
  deviceId: string;
  role: 'operator' | 'node';
  rotatedAtMs: number;
}

/** Thrown out of a step when the operator decided rollback, skip or abort after its failure. */
export class OperatorDecided extends Error {
  constructor(readonly decision: FailureDecision) {
    super(`${decision.decision} decided by ${decision.by}`);
  }
}
