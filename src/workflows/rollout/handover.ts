/**
 * Continue-as-new between batches, so the rollout's history stays bounded at any fleet size (Temporal
 * warns at 10,240 events / 10 MB and terminates at 51,200 / 50 MB). Only between batches, when no
 * instance child runs: the next run keeps the workflow id (status, approve, the Web UI, the one-rollout
 * lock and `result()` follow it) and starts from the compact state handed over here: where the next
 * batch starts, the outcomes of the instances done, pause, abort reason, standing approval, ignored
 * messages and the preflight's facts the later batches need. Patched ('continue-as-new-v1'): older
 * histories never reach it.
 */
import {
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import type { InstanceProgress, RolloutProgress, StepRecord } from '../../shared/messages/rollout.js';
import { CHECK_STEPS, isStep, type StepId } from '../../shared/steps.js';
import type { PreflightReport } from '../preflight.js';
import {
  packOutcomes,
  packPreflight,
  unpackOutcomes,
  unpackPreflight,
  type HandedOutcomes,
  type HandedPreflight,
} from './handed-outcomes.js';
import type { RolloutRun } from './run.js';
import type { ClusterRolloutInput } from './types.js';

/** Above this many events the rollout hands over even when the server does not suggest it yet. */
export const HANDOVER_AT_EVENTS = 8_000;
/** Records of ignored messages (and failed notifications) handed on, and in a compact report: the latest ones (earlier runs keep them all). */
export const KEPT_RECORDS = 50;

/** What one run hands the next (the input's `handover`). */
export interface Handover {
  /** Where in rollout order the next batch starts. */
  next: number;
  /** How many runs came before the one this starts. */
  runs: number;
  /** The instances rolled out so far, compact (see compactInstance); older runs (before slim-progress-v1). */
  done?: InstanceProgress[];
  /** The preflight's facts (compact: see compactPreflight); older runs. */
  preflight?: PreflightReport;
  /** slim-progress-v1: the instances rolled out so far and the preflight's facts, grouped (rollout/handed-outcomes.ts). */
  outcomes?: HandedOutcomes;
  facts?: HandedPreflight;
  /** canary mode: a human approved the first batch, later instances may be promoted on evidence. */
  canaryApproved: boolean;
  progress: Pick<RolloutProgress, 'paused' | 'abort' | 'standing' | 'withdrawn' | 'ignored' | 'notificationFailures'>;
}

/** Steps a finished instance keeps: the drain and the return (time out of traffic), the last check (status). */
const KEPT_STEPS: ReadonlySet<StepId> = new Set<StepId>(['drain', 'wait-drain', 'rejoin', 'put-back']);
const LEGACY_KEPT = /^drain|^wait for sessions|^rejoin$|^put back/;
const LEGACY_CHECK = /^verify|^doctor|connected again$/;

/** A finished instance's outcome with what status, the budget, the final check and the report read. */
export function compactInstance(i: InstanceProgress): InstanceProgress {
  const lastCheck = i.steps.filter((s) => isStep(s, CHECK_STEPS, LEGACY_CHECK) && s.status !== 'running').at(-1);
  const steps: StepRecord[] = i.steps.filter((s) => s === lastCheck || isStep(s, KEPT_STEPS, LEGACY_KEPT));
  const { ignored: _ignored, promotion, ...rest } = i;
  const compactPromotion = promotion?.evidence
    ? { ...promotion, evidence: { ...promotion.evidence, samples: promotion.evidence.samples.slice(0, 2) } }
    : promotion;
  return { ...rest, steps, ignored: [], ...(compactPromotion ? { promotion: compactPromotion } : {}) };
}

/** The preflight's facts later runs read: the verdict, per instance version, health and baseline. */
export function compactPreflight(p: PreflightReport): PreflightReport {
  return {
    ok: p.ok,
    instances: p.instances.map((i) => ({
      instance: i.instance,
      healthy: i.healthy,
      version: i.version,
      lb: i.lb,
      missingDevices: [],
      problems: [],
      ...(i.warnings?.length ? { warnings: i.warnings } : {}),
      ...(i.baseline ? { baseline: i.baseline } : {}),
    })),
  };
}

/**
 * With 'handover-by-estimate-v1', a run hands over when the next batch would take its history past
 * this many events (10% of Temporal's 51,200-event limit: the benchmark's goal for any history).
 */
export const HANDOVER_BUDGET_EVENTS = 5_000;
/** And when it would take the history past this many bytes (the goal is 5 MB; estimates are rough). */
export const HANDOVER_BUDGET_BYTES = 4 * 1024 * 1024;
/** Events and bytes one instance adds to the parent before this run has measured it (about 16 and 10 KB). */
const EVENTS_PER_INSTANCE_GUESS = 20;
const BYTES_PER_INSTANCE_GUESS = 12 * 1024;
/** Events and bytes one check chunk (a child workflow of 50 instances) adds: start, started, completed, a task. */
const EVENTS_PER_CHECK_CHUNK = 10;
const BYTES_PER_CHECK_CHUNK = 40 * 1024;

/**
 * Whether this run should hand over before the next batch of `batchLength` instances. Older histories
 * (before 'handover-by-estimate-v1'): never before a run's first batch, then past HANDOVER_AT_EVENTS. With
 * it: also when this run's history plus the batch's estimate would pass the budget (events or bytes), which lets the first
 * run hand over right after a large preflight; a continued run always rolls out one batch, so no run
 * hands over without progress.
 */
export function handoverDue(r: RolloutRun, batchesThisRun: number, batchLength: number): boolean {
  if (batchesThisRun === 0 && r.input.handover) return false;
  if (batchesThisRun === 0 && !estimateOn(r)) return false;
  if (!(r.handoverOn ??= isPatched('continue-as-new-v1'))) return false;
  const every = r.input.continueAsNewEvery;
  const info = workflowInfo();
  if ((every !== undefined && batchesThisRun >= every) || info.continueAsNewSuggested) return true;
  if (!estimateOn(r)) return info.historyLength >= HANDOVER_AT_EVENTS;
  const per = perInstance(r);
  return overBudget(r, batchLength * per.events, batchLength * per.bytes);
}

/** Whether this run should hand over before the final check, whose chunks would take it past the budget. */
export function handoverDueBeforeCheck(r: RolloutRun, chunks: number): boolean {
  if (r.instancesThisRun === 0 || !estimateOn(r)) return false;
  return overBudget(r, chunks * EVENTS_PER_CHECK_CHUNK, chunks * BYTES_PER_CHECK_CHUNK);
}

const estimateOn = (r: RolloutRun) => (r.estimateOn ??= isPatched('handover-by-estimate-v1'));

/** Whether adding this many events and bytes would take this run's history past either budget. */
function overBudget(r: RolloutRun, events: number, bytes: number): boolean {
  const info = workflowInfo();
  const budgetBytes = r.input.handoverBudgetBytes ?? HANDOVER_BUDGET_BYTES;
  const budgetEvents = r.input.handoverBudgetEvents ?? HANDOVER_BUDGET_EVENTS;
  return info.historyLength + events > budgetEvents || info.historySize + bytes > budgetBytes;
}

/** Events and bytes per instance this run has seen so far (never less than the guess: a later batch may need decisions). */
function perInstance(r: RolloutRun): { events: number; bytes: number } {
  const guess = { events: EVENTS_PER_INSTANCE_GUESS, bytes: BYTES_PER_INSTANCE_GUESS };
  if (!r.instancesThisRun || !r.atFirstBatch) return guess;
  const info = workflowInfo();
  return {
    events: Math.max(guess.events, Math.ceil((info.historyLength - r.atFirstBatch.events) / r.instancesThisRun)),
    bytes: Math.max(guess.bytes, Math.ceil((info.historySize - r.atFirstBatch.bytes) / r.instancesThisRun)),
  };
}

/**
 * Waits until every signal and Update handler finished (none is cut off), then continues as new with
 * the state as it is then: a decision applied before the handover is in it, one sent after it reaches
 * the next run. A cancellation (abort) that arrived meanwhile is not handed over: it stops this run.
 */
export async function handOver(r: RolloutRun, preflight: PreflightReport, next: number): Promise<never> {
  r.progress.current = [];
  await condition(allHandlersFinished);
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('cancelled during the handover');
  const handover = handoverState(r.progress, preflight, {
    next,
    runs: (r.input.handover?.runs ?? 0) + 1,
    canaryApproved: r.canaryApproved,
    slim: isPatched('slim-progress-v1'),
  });
  setCurrentDetails(
    `Handing over to a new run (history ${workflowInfo().historyLength} events) before ${next < r.inventory.instances.length ? `instance ${next + 1}` : 'the final check'}.`,
  );
  const input: ClusterRolloutInput = { ...r.input, handover };
  return continueAsNew<(i: ClusterRolloutInput) => Promise<unknown>>(input);
}

/**
 * What a run hands the next: where it goes on, the finished instances and the preflight (grouped with
 * slim-progress-v1, else compact), and the rollout's standing state with the latest records.
 */
export function handoverState(
  progress: RolloutProgress,
  preflight: PreflightReport,
  at: { next: number; runs: number; canaryApproved: boolean; slim: boolean },
): Handover {
  const finished = progress.instances.filter((i) => i.phase !== 'Pending');
  const ids = progress.instances.map((i) => i.instance);
  return {
    next: at.next,
    runs: at.runs,
    ...(at.slim
      ? { outcomes: packOutcomes(finished, ids), facts: packPreflight(preflight, ids) }
      : { done: finished.map(compactInstance), preflight: compactPreflight(preflight) }),
    canaryApproved: at.canaryApproved,
    progress: {
      paused: progress.paused,
      abort: progress.abort,
      standing: progress.standing,
      withdrawn: progress.withdrawn,
      ignored: progress.ignored.slice(-KEPT_RECORDS),
      ...(progress.notificationFailures
        ? { notificationFailures: progress.notificationFailures.slice(-KEPT_RECORDS) }
        : {}),
    },
  };
}

/** The preflight's facts a continuing run reads, in inventory order. */
export const handedPreflight = (r: RolloutRun, handover: Handover): PreflightReport =>
  handover.facts ? unpackPreflight(handover.facts, inventoryIds(r)) : handover.preflight!;

const inventoryIds = (r: RolloutRun) => r.inventory.instances.map((i) => i.id);

/** A run that continues a rollout: the state its previous run handed over, put back in place. */
export function takeOver(r: RolloutRun, handover: Handover): void {
  const { progress } = r;
  for (const done of handover.outcomes ? unpackOutcomes(handover.outcomes, inventoryIds(r)) : handover.done!) {
    const i = progress.instances.findIndex((x) => x.instance === done.instance);
    if (i >= 0) progress.instances[i] = done;
  }
  Object.assign(progress, dropUndefined(handover.progress));
  progress.phase = 'RollingOut';
  r.canaryApproved = handover.canaryApproved;
  r.decisionsOn = true;
  r.handoverOn = true;
}

const dropUndefined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
