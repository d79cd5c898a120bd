/**
 * One instance rollout's working context: its activities, progress, state and human gates, with the
 * three things every part does — set the phase (search attribute, current details, the parent's
 * progress), run a recorded step (asking the operator when it fails), and wait for a failure decision.
 * The parts of the runbook (forward.ts, rejoin.ts, rollback.ts, way-back.ts) are functions of it.
 */
import {
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { isPatched } from '../patches.js';
import { workflowFailure, WorkflowFailureType } from '../../shared/errors.js';
import {
  instanceProgressSignal,
  type FailureDecision,
  type InstancePhase,
  type InstanceProgress,
  type StepRecord,
} from '../../shared/messages/rollout.js';
import { instancePhaseSignal, phaseDelta, phaseReported } from '../../shared/messages/phase-delta.js';
import { outOfTraffic } from '../../shared/out-of-traffic.js';
import { CLUSTER_KEY, INSTANCE_KEY, PHASE_KEY } from '../../shared/search-attributes.js';
import type { StepId } from '../../shared/steps.js';
import { centralActivities, hostActivities, longCentralActivities, longHostActivities } from '../activity-options.js';
import { pendingProgress } from '../lib/pending-progress.js';
import { StepRecorder, failureMessage } from '../lib/step-recorder.js';
import { recordOutOfTraffic, recordStepFailed, type MetricPlace } from '../lib/metrics.js';
import { failureQuestion } from './details.js';
import { failureGate, rejoinGate, setGateHandlers, type FailureGate, type RejoinGate } from './gates.js';
import { OperatorDecided, type InstanceRolloutInput, type InstanceState, type Rotation } from './types.js';

/** The steps that return an instance to traffic (they end a stay out of traffic). */
const BACK_IN: ReadonlySet<string> = new Set(['rejoin', 'put-back']);

/** A check that ran and said no: fails the step without retrying the same answer (the operator decides). */
export const checkFailed = (message: string) => workflowFailure(WorkflowFailureType.CheckFailed, message);

/**
 * The drain of the rollout that left this instance out of traffic, as the first step: its time out of
 * traffic counts from there (shared/out-of-traffic.ts), and this rollout's own drain opens no new period.
 */
const leftBefore = (left: { at: string; by: string }) => ({
  id: 'drain' as const,
  step: `out of traffic since ${left.by} drained it (taken up)`,
  status: 'ok' as const,
  startedAt: left.at,
  endedAt: left.at,
});

export class InstanceRun {
  readonly instance;
  readonly policy;
  readonly targetVersion;
  /** Short CLI calls on the instance's host; load-balancer calls on the central queue. */
  readonly quick;
  readonly lb;
  /** Calls that wait: the drain, installs, restarts, a device coming back. */
  readonly drainWait;
  readonly install;
  readonly restart;
  readonly deviceWait;
  /** What the host-bound activities need: the instance and the policy. */
  readonly target;
  readonly progress: InstanceProgress;
  readonly state: InstanceState = { drained: false, changed: false, rejoined: false, ran: false, stopped: false };
  readonly rotations: Rotation[] = [];
  readonly recorder: StepRecorder;
  /** Operator decisions after a failure (patched: in older histories a failed step fails the workflow). */
  readonly askOnFailure: boolean;
  readonly rejoinGate: RejoinGate;
  readonly failureGate: FailureGate;
  private readonly upsertPhase: boolean;
  /** Small deltas at the phases the rollout acts on (patched: older histories sent all progress at every phase). */
  private readonly slim: boolean;
  /** The phase the rollout heard last (slim). */
  private reported?: InstancePhase;
  readonly now = () => new Date().toISOString();
  /** Where its clients are before this rollout's drain, for the step labels: "in traffic", or out since the last rollout. */
  get beforeDrain(): string {
    return this.input.firstLeft ? 'out of traffic' : 'in traffic';
  }

  constructor(readonly input: InstanceRolloutInput) {
    const { instance, policy } = input;
    this.instance = instance;
    this.policy = policy;
    this.targetVersion = input.targetVersion;
    const host = { baseQueue: input.taskQueue, instance };
    this.quick = hostActivities(policy, host);
    this.lb = centralActivities(policy, input.taskQueue);
    this.drainWait = longCentralActivities(policy, input.taskQueue, policy.drainDeadline + 60_000);
    this.install = longHostActivities(policy, host, policy.stepTimeouts.update + 60_000);
    this.restart = longHostActivities(policy, host, policy.stepTimeouts.restart + 60_000);
    this.deviceWait = longHostActivities(policy, host, policy.reconnectDeadline + 60_000);
    this.target = { instance, policy };
    this.progress = pendingProgress(instance.id);
    this.recorder = new StepRecorder(this.progress.steps, this.now, (rec, err) => this.stepEnded(rec, err));
    if (input.firstLeft) this.progress.steps.push(leftBefore(input.firstLeft));
    // The order of the patched() calls below is part of the recorded histories: keep it.
    this.askOnFailure = isPatched('failure-decisions-v1');
    const gateContext = {
      cluster: input.cluster,
      instanceId: instance.id,
      progress: this.progress,
      rules: policy.approvals,
      startedBy: input.startedBy,
      now: this.now,
    };
    this.rejoinGate = rejoinGate(gateContext);
    this.failureGate = failureGate(gateContext);
    setGateHandlers(instance.id, this.progress, this.rejoinGate, this.failureGate);
    // Phases become the OpenclawPhase search attribute (patched: histories from before it replay unchanged).
    this.upsertPhase = input.searchAttributes === true && isPatched('search-attributes-v1');
    this.slim = isPatched('slim-progress-v1');
  }

  /**
   * Keeps the parent's `progress` query live: at every phase change and approval timeout the whole
   * progress (older histories), or a small delta at the changes it acts on (see messages/phase-delta.ts).
   */
  async reportToParent(always = true): Promise<void> {
    const parent = workflowInfo().parent;
    if (!parent) return;
    const handle = getExternalWorkflowHandle(parent.workflowId);
    if (!this.slim) return handle.signal(instanceProgressSignal, this.progress);
    const { phase } = this.progress;
    if (!always && !phaseReported(phase, this.reported)) return;
    this.reported = phase;
    const forNotice = this.input.notifications !== undefined && (phase === 'AwaitingApproval' || phase === 'Failed');
    // The drain call follows the Draining report at once: the rollout counts the time out of traffic (and
    // its out-of-traffic notice) from here, as it hears no other phase until the instance waits or fails.
    const outSince =
      outOfTraffic(this.progress).outSince ?? (phase === 'Draining' ? new Date(Date.now()).toISOString() : undefined);
    await handle.signal(instancePhaseSignal, phaseDelta(this.progress, outSince, forNotice));
  }

  /** Where this instance's metrics are recorded. */
  get place(): MetricPlace {
    return { cluster: this.input.cluster, instance: this.instance.id };
  }

  /** The metrics of a step that ended (recorded, or pushed by hand): a failure by step id, the end of a stay out of traffic. */
  stepEnded(rec: StepRecord, err?: unknown): void {
    const place = this.place;
    if (rec.status === 'failed' && !isCancellation(err)) recordStepFailed(place, rec.id ?? rec.step);
    const last = outOfTraffic(this.progress).periods.at(-1);
    if (rec.status === 'ok' && last?.to !== undefined && last.to === rec.endedAt && BACK_IN.has(rec.id ?? ''))
      recordOutOfTraffic(place, Date.parse(last.to) - Date.parse(last.from));
  }

  async setPhase(phase: InstancePhase): Promise<void> {
    this.progress.phase = phase;
    if (this.upsertPhase) {
      upsertSearchAttributes([
        { key: CLUSTER_KEY, value: this.input.cluster },
        { key: INSTANCE_KEY, value: this.instance.id },
        { key: PHASE_KEY, value: phase },
      ]);
    }
    setCurrentDetails(`**${this.instance.id}**: ${phase}\n\n${this.recorder.text()}`);
    await this.reportToParent(false);
  }

  /**
   * One recorded step. When it fails after its retries: with decisions on, the operator decides (retry
   * runs it again here; rollback, skip and abort leave through OperatorDecided); otherwise it fails the
   * workflow. Cancellation always passes through.
   */
  async step<T>(id: StepId, label: string, run: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    for (;;) {
      let message = '';
      try {
        this.state.inFlight = label;
        const result = await this.recorder.run(
          id,
          label,
          run,
          detail,
          (err) => (message = this.askOnFailure ? failureMessage(err) : (err as Error).message),
        );
        this.state.inFlight = undefined;
        return result;
      } catch (err) {
        if (isCancellation(err)) throw err; // inFlight stays: the step was cut off, its effect unknown
        this.state.inFlight = undefined;
        if (!this.askOnFailure) {
          await this.setPhase('Failed');
          setCurrentDetails(`**${this.instance.id}** failed at step "${label}": ${message}`);
          throw err;
        }
        const d = await this.awaitFailureDecision(label, message);
        if (d.decision !== 'retry') throw new OperatorDecided(d);
      }
    }
  }

  /** Waits (re-asking every approvalTimeout) for the operator's decision about the failure in progress. */
  async awaitFailureDecision(stepName: string, message: string): Promise<FailureDecision> {
    const { progress, state, instance } = this;
    const failedPhase = progress.phase;
    progress.failure = { step: stepName, message, at: this.now() };
    await this.setPhase('Failed');
    const ask = () =>
      setCurrentDetails(
        failureQuestion({
          instance: instance.id,
          stepName,
          message,
          rejoined: state.rejoined,
          failedPhase,
          versionBefore: progress.versionBefore,
          targetVersion: this.targetVersion,
          operatorCommand: this.input.operatorCommand,
        }),
      );
    ask();
    const d = await this.failureGate.wait(
      this.policy.approvalTimeout,
      () => undefined,
      () => {
        log.warn(
          `no decision after failure yet; instance ${state.rejoined ? 'is in traffic' : 'stays out of traffic'}`,
          { instance: instance.id, step: stepName },
        );
        ask();
      },
    );
    progress.decisions = [...(progress.decisions ?? []), { ...d, at: this.now() }];
    progress.failure = undefined;
    log.info('decision after failure', { instance: instance.id, step: stepName, decision: d.decision, by: d.by });
    if (d.decision === 'retry') await this.setPhase(failedPhase);
    return d;
  }
}

/** The label of a device in step names: its inventory name, or the start of its id. */
export const deviceLabel = (device: { name?: string; deviceId: string }) => device.name ?? device.deviceId.slice(0, 12);
