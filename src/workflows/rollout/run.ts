/**
 * One cluster rollout's working context: its progress (what the `progress` query answers) and the
 * search attributes that show its phase, plus the report it ends with.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import type { Inventory } from '../../shared/inventory.js';
import type { RolloutProgress } from '../../shared/messages/rollout.js';
import { pendingProgress } from '../lib/pending-progress.js';
import { CLUSTER_KEY, INSTANCE_KEY, PHASE_KEY } from '../../shared/search-attributes.js';
import type { PreflightReport } from '../preflight.js';
import type { ClusterRolloutInput, ClusterRolloutReport } from './types.js';
import type { RolloutNotices } from './notices.js';
import { compactReport, FULL_REPORT_UP_TO } from './compact-report.js';

export class RolloutRun {
  readonly inventory: Inventory;
  readonly targetVersion: string;
  readonly rolloutId = workflowInfo().workflowId;
  readonly progress: RolloutProgress;
  /** Phase and current instances become search attributes (patched: older histories replay unchanged). */
  readonly upsert: boolean;
  /** Failure decisions, pause, budget and safe cancellation (patched after the preflight: see clusterRollout). */
  decisionsOn = false;
  /** Continue-as-new between batches (patched 'continue-as-new-v1', asked at the first chance: see rollout/handover.ts). */
  handoverOn?: boolean;
  /** Hand over on an estimate of the next batch's events (patched 'handover-by-estimate-v1': see rollout/handover.ts). */
  estimateOn?: boolean;
  /** This run's history (events, bytes) when its first batch began, and the instances it rolled out since (the estimate). */
  atFirstBatch?: { events: number; bytes: number };
  instancesThisRun = 0;
  /** Instances already handed an approval given for many (approve --batch / --rest): never twice. */
  readonly handed = new Set<string>();
  /** canary mode: a human approved every instance of the first batch, so later ones may be promoted on evidence. */
  canaryApproved = false;
  /** Notifications (inventory `notifications`, patched: see rollout/notices.ts), set by clusterRollout. */
  notices?: RolloutNotices;
  /** When each running instance left traffic, as its last delta said (slim-progress-v1: the copy has no steps). */
  readonly outSince = new Map<string, string>();
  private shownPhase = '';
  readonly now = () => new Date().toISOString();

  constructor(readonly input: ClusterRolloutInput) {
    const { inventory, targetVersion } = input;
    this.inventory = inventory;
    this.targetVersion = targetVersion;
    this.progress = {
      rolloutId: this.rolloutId,
      cluster: inventory.cluster,
      targetVersion,
      startedBy: input.startedBy,
      phase: 'Preflight',
      current: [],
      instances: inventory.instances.map((i) => pendingProgress(i.id)),
      ignored: [],
    };
    this.upsert = input.searchAttributes === true && isPatched('search-attributes-v1');
  }

  /** Upserts the search attributes when they changed. AwaitingApproval (or Failed) is shown while a current instance waits for a human. */
  showPhase(): void {
    if (!this.upsert) return;
    const { progress } = this;
    const current = progress.instances.filter((i) => progress.current.includes(i.instance));
    const failed = current.filter((i) => i.phase === 'Failed');
    const approving = current.filter((i) => i.phase === 'AwaitingApproval');
    // An instance waiting for a decision after a failure shows as Failed; one waiting for approval as AwaitingApproval.
    const waiting = failed.length ? failed : approving;
    const phase =
      progress.phase === 'RollingOut' && waiting.length
        ? failed.length
          ? 'Failed'
          : 'AwaitingApproval'
        : progress.phase;
    const instances = (waiting.length ? waiting.map((i) => i.instance) : progress.current).join(',');
    if (`${phase}|${instances}` === this.shownPhase) return;
    this.shownPhase = `${phase}|${instances}`;
    upsertSearchAttributes([
      { key: CLUSTER_KEY, value: this.inventory.cluster },
      { key: PHASE_KEY, value: phase },
      { key: INSTANCE_KEY, value: instances },
    ]);
  }

  report(
    preflight: PreflightReport,
    outcome: ClusterRolloutReport['outcome'],
    extra: Partial<ClusterRolloutReport> = {},
  ): ClusterRolloutReport {
    const { progress } = this;
    const needsAttention = progress.instances
      .filter((i) => i.needsAttention)
      .map((i) => ({ instance: i.instance, why: i.needsAttention! }));
    const report: ClusterRolloutReport = {
      rolloutId: this.rolloutId,
      cluster: this.inventory.cluster,
      targetVersion: this.targetVersion,
      outcome,
      preflight,
      instances: progress.instances,
      ignored: progress.ignored,
      ...(this.decisionsOn ? { needsAttention } : {}),
      ...extra,
    };
    return this.compactReport()
      ? compactReport(
          report,
          this.inventory.instances.map((i) => i.id),
        )
      : report;
  }

  /** A large fleet's report lists only the exceptions (patched: older histories kept the full one). */
  compactReport(): boolean {
    const fullUpTo = this.input.fullReportUpTo ?? FULL_REPORT_UP_TO;
    return this.inventory.instances.length > fullUpTo && isPatched('compact-report-v1');
  }

  /** Ends the rollout early (aborted): what was not touched and what needs attention, in the Web UI. */
  stop(preflight: PreflightReport, why: string): ClusterRolloutReport {
    const { progress } = this;
    progress.phase = 'Aborted';
    progress.current = [];
    this.showPhase();
    const rest = progress.instances.filter((i) => i.phase === 'Pending').map((i) => i.instance);
    const attention = progress.instances
      .filter((i) => i.needsAttention)
      .map((i) => `- ${i.instance}: ${i.needsAttention}`);
    setCurrentDetails(
      `Rollout stopped: ${why}.${rest.length ? ` Not touched: ${rest.join(', ')}.` : ''}${attention.length ? `\n\n**Needs attention:**\n${attention.join('\n')}` : ''}`,
    );
    return this.report(preflight, 'aborted', { stoppedBecause: why });
  }
}
