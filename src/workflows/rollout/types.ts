/** The cluster rollout's input and report, and the order it takes the instances in. */
import type { Inventory } from '../../shared/inventory.js';
import type { OperatorCommand } from '../../shared/operator-command.js';
import type { InstanceProgress, RolloutProgress } from '../../shared/messages/rollout.js';
import type { PreflightReport } from '../preflight.js';
import type { StrayRequestOutcome } from '../../shared/stray-requests.js';
import type { TakeUp } from '../../shared/take-up.js';
import type { Handover } from './handover.js';
import type { CompactSummary } from './compact-report.js';

export interface ClusterRolloutInput {
  inventory: Inventory;
  targetVersion: string;
  /** Who started it (recorded in the report). */
  startedBy: string;
  /** Upsert the Openclaw* search attributes (the starter saw them registered). Absent in old histories. */
  searchAttributes?: boolean;
  /** `start --force`: redo instances that already run the target (default: verify and leave them alone). */
  force?: boolean;
  /** How the operator runs the CLI, for the commands its texts name (absent in older histories: the checkout's form). */
  operatorCommand?: OperatorCommand;
  /**
   * What the last rollout of the cluster left out of traffic (the starter reads its report): the preflight
   * takes those instances up instead of refusing a gateway that is down, and their time out of traffic
   * counts from when they first left. Absent: none (and in older histories).
   */
  takeUp?: TakeUp[];
  /** Set only by continue-as-new: the state the previous run handed over (see rollout/handover.ts). */
  handover?: Handover;
  /** Hand over to a new run after this many batches (tests; by default when Temporal suggests it). */
  continueAsNewEvery?: number;
  /** Hand over when the next batch would take a run's history past this many events (tests; default HANDOVER_BUDGET_EVENTS). */
  handoverBudgetEvents?: number;
  /** And past this many bytes (tests; default HANDOVER_BUDGET_BYTES). */
  handoverBudgetBytes?: number;
  /** Fleets larger than this get the compact report (tests; default FULL_REPORT_UP_TO). */
  fullReportUpTo?: number;
  /** Instances per preflight / final-check child (tests; default PREFLIGHT_CHUNK in preflight/chunks.ts). */
  preflightChunkSize?: number;
}

export interface ClusterRolloutReport {
  rolloutId: string;
  cluster: string;
  targetVersion: string;
  /** done: all on the target. partial: the rest done, some rolled back or skipped by decision (see
   *  needsAttention). rejected / aborted: stopped early. preflight-failed: nothing changed. */
  outcome: 'done' | 'partial' | 'rejected' | 'aborted' | 'preflight-failed';
  preflight: PreflightReport;
  instances: InstanceProgress[];
  finalCheck?: PreflightReport;
  ignored: RolloutProgress['ignored'];
  /** Instances a human must look at after this rollout, and why. */
  needsAttention?: { instance: string; why: string }[];
  /** Why the rollout stopped early (aborted). */
  stoppedBecause?: string;
  /** Pairing requests clients left on another instance while their home was out of traffic, and whether each was rejected. */
  strayRequests?: StrayRequestOutcome[];
  /**
   * A large fleet's report (patched 'compact-report-v1', see rollout/compact-report.ts): `instances`,
   * `preflight.instances` and `finalCheck.instances` list only the exceptions; this says what they leave out.
   */
  compact?: CompactSummary;
}

/** Instances in rollout order: the canary first, then inventory order. */
export function rolloutOrder(inventory: Inventory): string[] {
  const ids = inventory.instances.map((i) => i.id);
  const canary = inventory.policy.canary;
  return canary ? [canary, ...ids.filter((id) => id !== canary)] : ids;
}
