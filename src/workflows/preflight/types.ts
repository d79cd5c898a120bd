/** The preflight's input and report. */
import type { Inventory } from '../../shared/inventory.js';
import type { CheckResult } from '../../shared/preflight-rules.js';
import type { RefusalBaseline } from '../../shared/promotion.js';
import type { NewRequest } from '../../shared/stray-requests.js';
import type { TakeUp } from '../../shared/take-up.js';

export interface PreflightInput {
  inventory: Inventory;
  /** The version a rollout would install: also checks that it exists and suits each instance. */
  targetVersion?: string;
  /** Run the checks before anything changes also without a target (the `preflight` command). */
  checks?: boolean;
  /** `plan`: also say per instance which releases the update crosses and whether migrations run. */
  releaseJump?: boolean;
  /**
   * One chunk of a larger fleet (the rollout checks it in chunks: see rollout/preflight-chunks.ts): the
   * inventory lists only the chunk's instances, the instance-local state check comes computed over the
   * whole fleet, the cluster's checks run in the first chunk only and the rollout puts them on every instance.
   */
  chunk?: { first: boolean; localState: Record<string, CheckResult> };
  /**
   * The final check of a rollout started at this time (epoch ms): each instance also reports the pending
   * pairing requests made since by devices it does not have (the rollout rejects the strays among them).
   */
  pendingSince?: number;
  /** What the last rollout of the cluster left out of traffic: a gateway down there is taken up, not refused. */
  takeUp?: TakeUp[];
}

export interface InstancePreflight {
  instance: string;
  healthy: boolean;
  version: string | null;
  lb: { status: string; sessions: number; admin: string } | null;
  missingDevices: string[];
  problems: string[];
  /** The checks before anything changes (when asked for), each ok / failed / warning / skipped. */
  checks?: CheckResult[];
  /** Failed checks that policy.preflight.warn turns into warnings: reported, not refused. */
  warnings?: string[];
  /** The gateway was not asked (a host worker is missing, so the preflight did not run). */
  unchecked?: boolean;
  /** canary mode: refused connects over the soak's length before anything changed (the promotion's baseline). */
  baseline?: RefusalBaseline;
  /** `plan`: the releases the update crosses, the schema migrations, whether a rollback needs the backup. */
  jump?: string;
  /** With pendingSince: pending requests made since then by devices this instance neither lists nor has paired. */
  newRequests?: NewRequest[];
  /** Left out of traffic by the last rollout: this one takes it up from where it is (shared/take-up.ts). */
  takenUp?: string;
}

export interface PreflightReport {
  ok: boolean;
  instances: InstancePreflight[];
  /** Checks of the whole cluster (sticky-routing), when asked for. */
  cluster?: CheckResult[];
}
